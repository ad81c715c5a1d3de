// Aspect-ratio bucketing as diffusion trainers do it (kohya-ss / SDXL style): a fixed list of
// bucket sizes at one pixel budget, each image to the bucket nearest its aspect ratio, batches
// cut within each bucket. A benchmark peer, not part of the package.
import type { PeerBatch, PeerStrategy } from '../protocol.js';

/**
 * Buckets of about `budget` pixels, sides multiples of `step`, from `minSide` up: for each width,
 * the largest height that keeps the area within the budget, and the transposes.
 */
export function bucketList(budget: number, step: number, minSide: number, maxSide: number): [number, number][] {
  const buckets = new Map<string, [number, number]>();
  for (let width = minSide; width <= maxSide; width += step) {
    const height = Math.min(maxSide, Math.floor(budget / width / step) * step);
    if (height < minSide) continue;
    buckets.set(`${height}x${width}`, [height, width]);
    buckets.set(`${width}x${height}`, [width, height]);
  }
  return [...buckets.values()];
}

export function bucketing(budget: number): PeerStrategy {
  return (dims, batchSize, multipleOf) => {
    const step = multipleOf > 1 ? multipleOf : 32;
    const buckets = bucketList(budget, step, 256, 2048);
    const logAspects = buckets.map(([h, w]) => Math.log(w / h));
    const members: number[][] = buckets.map(() => []);
    dims.forEach((d, i) => {
      const la = Math.log(d.width / d.height);
      let best = 0;
      for (let b = 1; b < buckets.length; b++) {
        if (Math.abs(logAspects[b]! - la) < Math.abs(logAspects[best]! - la)) best = b;
      }
      members[best]!.push(i);
    });
    const out: PeerBatch[] = [];
    members.forEach((group, b) => {
      for (let at = 0; at < group.length; at += batchSize) out.push({ indices: group.slice(at, at + batchSize), resizeSize: buckets[b]! });
    });
    return out;
  };
}
