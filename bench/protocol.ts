// The SPEC seed-benchmark protocol, shared by the benchmark and its peers.
import { evaluate } from 'mm-tokenize-batcher';
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

/** A peer's plan scored by the library's `evaluate` (the SPEC metrics), `dims` the stream's sizes. */
export function scorePeer(dims: Dims[], batches: PeerBatch[]) {
  return evaluate(batches.map((b) => ({ images: b.indices.map((i) => dims[i]!), resizeSize: b.resizeSize })), { batchSize: BATCH_SIZE });
}

/**
 * A peer's plan of a stream already cut into buffers (cut once, outside any timing, as the
 * library's buffers are), with the peer's indices made stream-wide.
 */
export function planPeer(strategy: PeerStrategy, parts: { start: number; items: Dims[] }[], multipleOf: number): PeerBatch[] {
  return parts.flatMap((p) => strategy(p.items, BATCH_SIZE, multipleOf).map((b) => ({ ...b, indices: b.indices.map((i) => i + p.start) })));
}

/**
 * Plans with `plan` for `WARM_UP_MS` before anything is timed. V8 tiers wasm and JS up in the
 * background, late, and re-optimises the package's size reader once `evaluate` has used it too:
 * with a few rounds only, the first cases timed (buffer 128) came out 10-40% slow and up to 2x
 * between processes, and the case timed after the first `evaluate` up to 40% slow. (Without it
 * the real-data suite's first cell read Clustered at 2.4 us per sample, 0.54 in the next.)
 */
const WARM_UP_MS = 300;
export function warmUp(plan: () => void): void {
  const start = performance.now();
  do plan();
  while (performance.now() - start < WARM_UP_MS);
}

/**
 * Shortest timing sample, in ms. A stream planned faster than this is planned several times per
 * sample (the sample is their mean), so that neither the timer's grain nor one GC pause decides a
 * run: 39 buffers of 128 plan in about 0.4 ms, and single runs of that length put Simple at 128
 * anywhere from 0.078 to 0.091 us per sample in consecutive processes.
 */
const MIN_SAMPLE_MS = 10;

/**
 * Plans every buffer `runs + 1` times (the first warms up and sets how many plans make one
 * sample of at least `MIN_SAMPLE_MS`) and returns the median wall time per sample in
 * microseconds, with the last run's result.
 */
export function timed<T>(runs: number, count: number, planAll: () => T): { costUs: number; result: T } {
  return timedInRounds(runs, count, [planAll])[0]!;
}

/**
 * `timed` for many cases at once, in rounds: each round takes one timing sample of every case in
 * turn, so that a passing load on the machine (a background job, V8 optimising late) spreads over
 * all cases instead of deciding every sample of one. (Timed one case after the other, the first
 * case of a run, Simple at 128, read 0.112 us per sample once against 0.068-0.081 in other runs.)
 */
export function timedInRounds<T>(runs: number, count: number, cases: (() => T)[]): { costUs: number; result: T }[] {
  const state = cases.map((planAll) => {
    const first = performance.now();
    const result = planAll();
    const repeats = Math.max(1, Math.ceil(MIN_SAMPLE_MS / Math.max(performance.now() - first, 1e-3)));
    return { planAll, result, repeats, times: [] as number[] };
  });
  for (let run = 0; run < runs; run++) {
    for (const c of state) {
      const start = performance.now();
      for (let k = 0; k < c.repeats; k++) c.result = c.planAll();
      c.times.push((performance.now() - start) / c.repeats);
    }
  }
  return state.map(({ result, times }) => {
    times.sort((a, b) => a - b);
    return { costUs: (times[times.length >> 1]! * 1000) / count, result };
  });
}

export { costGoals, type CostCell } from './cost-goals.js';
