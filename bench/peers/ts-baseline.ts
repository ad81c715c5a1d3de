// A deliberate benchmark baseline: the seed's three strategies in plain TypeScript, no wasm, to
// show what the wasm build buys. Not part of the package; the library's algorithms live in Rust.
// Faithful to the seed: k-means (k-means++ start, Lloyd) on raw (aspect ratio, ln area) with
// k = floor(n / batchSize), each cluster cut into batches in input order; sizing as in SPEC.
import type { PeerBatch, PeerStrategy } from '../protocol.js';

interface Dims {
  width: number;
  height: number;
}

function chunk(order: number[], batchSize: number): number[][] {
  const out: number[][] = [];
  for (let at = 0; at < order.length; at += batchSize) out.push(order.slice(at, at + batchSize));
  return out;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** SPEC sizing: medians of ln aspect and ln area, each side rounded to `multipleOf`. */
export function specResizeSize(dims: Dims[], members: number[], multipleOf: number): [number, number] {
  const la = median(members.map((i) => Math.log(dims[i]!.width / dims[i]!.height)));
  const lp = median(members.map((i) => Math.log(dims[i]!.width * dims[i]!.height)));
  const round = (x: number) => Math.max(multipleOf, Math.round(x / multipleOf) * multipleOf);
  return [round(Math.exp((lp - la) / 2)), round(Math.exp((lp + la) / 2))];
}

function sized(dims: Dims[], groups: number[][], multipleOf: number): PeerBatch[] {
  return groups.map((indices) => ({ indices, resizeSize: specResizeSize(dims, indices, multipleOf) }));
}

/** mulberry32: a tiny seeded generator, enough for a baseline's k-means++ draws. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function kmeans(xs: Float64Array, ys: Float64Array, k: number, iterations: number, seed: number): Int32Array {
  const n = xs.length;
  const rand = random(seed);
  const cx = new Float64Array(k);
  const cy = new Float64Array(k);
  const nearest = new Float64Array(n).fill(Infinity);
  // k-means++ start, updating each point's nearest distance incrementally: O(n k).
  let pick = Math.floor(rand() * n);
  for (let c = 0; c < k; c++) {
    cx[c] = xs[pick]!;
    cy[c] = ys[pick]!;
    let total = 0;
    for (let i = 0; i < n; i++) {
      const d = (xs[i]! - cx[c]!) ** 2 + (ys[i]! - cy[c]!) ** 2;
      if (d < nearest[i]!) nearest[i] = d;
      total += nearest[i]!;
    }
    let r = rand() * total;
    pick = n - 1;
    for (let i = 0; i < n; i++) {
      r -= nearest[i]!;
      if (r <= 0) {
        pick = i;
        break;
      }
    }
  }
  const labels = new Int32Array(n);
  for (let iter = 0; iter < iterations; iter++) {
    let changed = false;
    for (let i = 0; i < n; i++) {
      let best = 0;
      let bestD = Infinity;
      for (let c = 0; c < k; c++) {
        const d = (xs[i]! - cx[c]!) ** 2 + (ys[i]! - cy[c]!) ** 2;
        if (d < bestD) {
          bestD = d;
          best = c;
        }
      }
      if (labels[i] !== best) changed = true;
      labels[i] = best;
    }
    const sx = new Float64Array(k);
    const sy = new Float64Array(k);
    const count = new Float64Array(k);
    for (let i = 0; i < n; i++) {
      sx[labels[i]!]! += xs[i]!;
      sy[labels[i]!]! += ys[i]!;
      count[labels[i]!]!++;
    }
    for (let c = 0; c < k; c++) {
      if (count[c]! > 0) {
        cx[c] = sx[c]! / count[c]!;
        cy[c] = sy[c]! / count[c]!;
      }
    }
    if (!changed && iter > 0) break;
  }
  return labels;
}

export const tsBaseline: Record<string, PeerStrategy> = {
  simple: (dims, batchSize, multipleOf) => sized(dims, chunk([...dims.keys()], batchSize), multipleOf),
  sorted: (dims, batchSize, multipleOf) => {
    const order = [...dims.keys()].sort((a, b) => dims[a]!.width / dims[a]!.height - dims[b]!.width / dims[b]!.height || a - b);
    return sized(dims, chunk(order, batchSize), multipleOf);
  },
  clustered: (dims, batchSize, multipleOf) => {
    const n = dims.length;
    const k = Math.max(1, Math.floor(n / batchSize));
    const xs = Float64Array.from(dims, (d) => d.width / d.height);
    const ys = Float64Array.from(dims, (d) => Math.log(d.width * d.height));
    const labels = kmeans(xs, ys, Math.min(k, n), 25, 0);
    const clusters: number[][] = Array.from({ length: k }, () => []);
    labels.forEach((label, i) => clusters[label]!.push(i));
    return sized(dims, clusters.flatMap((members) => chunk(members, batchSize)), multipleOf);
  },
};
