// Many ranks, one plan: every rank plans the same buffer and takes its own batches. Planning and
// dealing happen in Rust in one call (crates/core/src/ranks.rs); this file shapes the result.
import { planBatch, type Batch, type Sample, type ShuffleOptions, type WasmPlan } from './batchers.js';
import { BatcherError, type Reject } from '../shared/errors.js';
import { composeRejects } from './image-sizes.js';
import { isBatcher, type AnyBatcher } from './strategies.js';

export type { AnyBatcher } from './strategies.js';

/**
 * What happens to the batches left over when their count is not a multiple of `worldSize`
 * (docs/ranks.md): `'split'` (default) re-cuts their samples into one more step;
 * `'pad'` does the same and fills a batch that would be empty with one repeated sample (counted in
 * `padding`); `'drop'` leaves them out and lists them in `dropped`; `'hold'` lists them in `held`
 * for you to plan with your next buffer.
 */
export type Leftover = 'split' | 'pad' | 'drop' | 'hold';

/** Ranks, plus the shuffle options (over the batcher's): whole steps are permuted, so every rank
 * still sees one size per step. */
export interface RankOptions extends ShuffleOptions {
  /** Number of data-parallel ranks, >= 1. */
  worldSize: number;
  /** This rank, in `0 .. worldSize - 1`. */
  rank: number;
  /** What happens to the last batches when their count is not a multiple of `worldSize`. Default `'split'`. */
  leftover?: Leftover;
}

/** A batch of one rank: batch `step` of every rank has the same `resizeSize`. */
export interface RankBatch<S extends Sample = Sample> extends Batch<S> {
  /** Step number: every rank gets exactly one batch per step. */
  step: number;
  rank: number;
  /** How many of the last entries repeat a sample already in the plan (only `leftover: 'pad'`). */
  padding: number;
}

/** One rank's batches, plus what the dealing left out on request. */
export type RankBatches<S extends Sample = Sample> = RankBatch<S>[] & {
  readonly rejects: readonly Reject[];
  /** Batches per rank (the same for every rank). */
  readonly steps: number;
  /** Buffer positions left out with `leftover: 'drop'` (the same list on every rank). */
  readonly dropped: readonly number[];
  /** Buffer positions held back with `leftover: 'hold'`: plan them with your next buffer. */
  readonly held: readonly number[];
  /** Empty batches over all ranks (only `'split'` with fewer leftover samples than ranks). */
  readonly empty: number;
};

/** The batches of `rank` in a dealing, with samples looked up by buffer position. */
export function rankBatches<S extends Sample>(dealt: WasmPlan, rank: number, sampleAt: (index: number) => S, stepBase = 0): RankBatch<S>[] {
  const out: RankBatch<S>[] = [];
  const w = dealt.worldSize;
  for (let b = rank; b + 1 < dealt.offsets.length; b += w) {
    out.push({
      ...planBatch(dealt, b, sampleAt),
      step: stepBase + Math.floor(b / w),
      rank,
      padding: dealt.padding[b] as number,
    });
  }
  return out;
}

/**
 * Plans `buffer` with `batcher` and returns the batches of `rank` out of `worldSize`: every rank
 * gets the same number of batches, the batches of one step share one `resizeSize` across ranks,
 * and the union over ranks is every sample exactly once (unless `leftover` is `'drop'`, `'hold'`
 * or `'pad'`, which report what they did). Every rank computes it alone from the same buffer and
 * options (same seed): no communication.
 */
export function batchForRank<T extends S, S extends Sample = Sample>(batcher: AnyBatcher<S>, buffer: readonly T[], options: RankOptions): RankBatches<T> {
  if (typeof options !== 'object' || options === null) {
    throw new BatcherError('INVALID_OPTION', 'rank options must be an object with `worldSize` and `rank`', { option: 'options' });
  }
  if (!isBatcher<S>(batcher)) throw new BatcherError('INVALID_INPUT', 'batchForRank takes one of the library\'s batchers (SimpleBatcher, SortedBatcher, ...)');
  const { worldSize, rank, leftover, shuffle, shuffleSeed, epoch, shuffleMembers } = options;
  const dealt = batcher.plan(buffer, { worldSize, rank, leftover, shuffle, shuffleSeed, epoch, shuffleMembers });
  const batches = rankBatches<T>(dealt, rank ?? 0, (i) => buffer[i] as T);
  return Object.assign(batches, {
    rejects: composeRejects(dealt.rejects),
    steps: dealt.offsets.length > 1 ? (dealt.offsets.length - 1) / dealt.worldSize : 0,
    dropped: Array.from(dealt.dropped),
    held: Array.from(dealt.held),
    empty: dealt.empty,
  });
}
