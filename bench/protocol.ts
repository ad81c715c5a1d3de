// The SPEC seed-benchmark protocol, shared by the benchmark and its peers.
export const COUNT = 5000;
export const SEED = 0;
export const BATCH_SIZE = 32;
export const BUFFER_SIZES = [128, 256, 512, 1024, 2048, 5000];
export const MULTIPLES = [1, 28];

export interface Dims {
  width: number;
  height: number;
}

/** A batch as a peer returns it: input indices (within the buffer) and `[height, width]`. */
export interface PeerBatch {
  indices: number[];
  resizeSize: [number, number];
}

/** A peer's strategy: plans one buffer. */
export type PeerStrategy = (dims: Dims[], batchSize: number, multipleOf: number) => PeerBatch[];

/** The stream cut into consecutive buffers, each with the index of its first sample. */
export function buffers<T>(stream: readonly T[], size: number): { start: number; items: T[] }[] {
  const out: { start: number; items: T[] }[] = [];
  for (let start = 0; start < stream.length; start += size) out.push({ start, items: stream.slice(start, start + size) });
  return out;
}

/**
 * Plans every buffer `runs + 1` times (the first warms up) and returns the median wall time per
 * sample in microseconds, with the last run's result.
 */
export function timed<T>(runs: number, count: number, planAll: () => T): { costUs: number; result: T } {
  const times: number[] = [];
  let result!: T;
  for (let run = 0; run <= runs; run++) {
    const start = performance.now();
    result = planAll();
    if (run > 0) times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { costUs: (times[times.length >> 1]! * 1000) / count, result };
}
