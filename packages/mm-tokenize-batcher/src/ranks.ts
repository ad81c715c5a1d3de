// Many ranks, one plan: deals a plan's batches to data-parallel ranks. The dealing rule lives in
// Rust (crates/core/src/ranks.rs); this file flattens batches into typed arrays, crosses once,
// and maps positions back to samples.
import {
  BalancedBatcher,
  ClusteredBatcher,
  SimpleBatcher,
  SortedBatcher,
  makeBatch,
  wireOptions,
  type Batch,
  type Batches,
  type Sample,
} from './batchers.js';
import { BatcherError, callWasm, type Reject } from './errors.js';
import { readImageSizes } from './image-size.js';
import { wasm } from './wasm.js';

/** Any of the library's batchers. */
export type AnyBatcher<S extends Sample = Sample> = SimpleBatcher<S> | SortedBatcher<S> | ClusteredBatcher<S> | BalancedBatcher<S>;

/**
 * What happens to the batches left over when their count is not a multiple of `worldSize`
 * (README, "Many ranks"): `'split'` (default) re-cuts their samples into one more step;
 * `'pad'` does the same and fills a batch that would be empty with one repeated sample (counted in
 * `padding`); `'drop'` leaves them out and lists them in `dropped`; `'hold'` lists them in `held`
 * for you to plan with your next buffer.
 */
export type Leftover = 'split' | 'pad' | 'drop' | 'hold';

export interface RankOptions {
  /** Number of data-parallel ranks, >= 1. */
  worldSize: number;
  /** This rank, in `0 .. worldSize - 1`. */
  rank: number;
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

export function strategyOf(batcher: unknown): 'simple' | 'sorted' | 'clustered' | 'balanced' {
  if (batcher instanceof SimpleBatcher) return 'simple';
  if (batcher instanceof SortedBatcher) return 'sorted';
  if (batcher instanceof ClusteredBatcher) return 'clustered';
  if (batcher instanceof BalancedBatcher) return 'balanced';
  throw new BatcherError('INVALID_INPUT', 'expected a SimpleBatcher, SortedBatcher, ClusteredBatcher or BalancedBatcher');
}

/** Rank options as Rust reads them. Throws `INVALID_OPTION` like the batchers do. */
export function checkRankOptions(options: Record<string, unknown>): void {
  callWasm(() => wasm().checkRankOptions(wireOptions(options)));
}

interface WasmDealt {
  worldSize: number;
  order: Uint32Array;
  offsets: Uint32Array;
  heights: Uint32Array;
  widths: Uint32Array;
  padding: Uint32Array;
  held: Uint32Array;
  dropped: Uint32Array;
  empty: number;
}

/** Every rank's dealing, in flat arrays whose positions index `members` (internal). */
export interface Dealt {
  worldSize: number;
  /** Buffer positions of the planned batches' members, in plan order. */
  members: Uint32Array;
  /** Batch `b` holds `members[order[offsets[b]] ...]`; it is rank `b % worldSize`'s, step `b / worldSize`. */
  order: Uint32Array;
  offsets: Uint32Array;
  heights: Uint32Array;
  widths: Uint32Array;
  padding: Uint32Array;
  /** Buffer positions. */
  held: number[];
  dropped: number[];
  empty: number;
}

/**
 * Crosses into wasm once with a plan's batches and deals them (internal; the stream adds
 * `holdPartial` and `pinned`, by buffer position).
 */
export function dealBatches<S extends Sample>(
  batcher: AnyBatcher<S>,
  batches: readonly Batch<S>[],
  rankOptions: Record<string, unknown>,
  pinned?: (position: number) => boolean,
): Dealt {
  let n = 0;
  for (const b of batches) n += b.indices.length;
  const members = new Uint32Array(n);
  const widths = new Float64Array(n);
  const heights = new Float64Array(n);
  const offsets = new Uint32Array(batches.length + 1);
  const sizeHeights = new Uint32Array(batches.length);
  const sizeWidths = new Uint32Array(batches.length);
  const pins = pinned ? new Uint8Array(n) : undefined;
  // Sizes as planning read them (encoded images: every header in one wasm call, not one each).
  const { sizes } = readImageSizes(batches.flatMap((b) => b.images));
  let at = 0;
  batches.forEach((batch, b) => {
    batch.indices.forEach((position) => {
      const size = sizes[at]!;
      // Planned samples were read once already; their sizes are valid.
      if ('code' in size) throw new BatcherError(size.code, size.message, { index: position });
      members[at] = position;
      widths[at] = size.width;
      heights[at] = size.height;
      if (pins && pinned!(position)) pins[at] = 1;
      at++;
    });
    offsets[b + 1] = at;
    sizeHeights[b] = batch.resizeSize[0];
    sizeWidths[b] = batch.resizeSize[1];
  });
  const dealt = callWasm(
    () =>
      wasm().dealRanks(
        strategyOf(batcher),
        wireOptions(batcher.options),
        wireOptions(rankOptions),
        widths,
        heights,
        offsets,
        sizeHeights,
        sizeWidths,
        pins,
      ) as WasmDealt,
  );
  return {
    ...dealt,
    members,
    held: Array.from(dealt.held, (p) => members[p] as number),
    dropped: Array.from(dealt.dropped, (p) => members[p] as number),
  };
}

/** The batches of `rank` in a dealing, with samples looked up by buffer position. */
export function rankBatches<S extends Sample>(dealt: Dealt, rank: number, sampleAt: (position: number) => S, stepBase = 0): RankBatch<S>[] {
  const out: RankBatch<S>[] = [];
  const w = dealt.worldSize;
  for (let b = rank; b + 1 < dealt.offsets.length; b += w) {
    const indices = Array.from(dealt.order.subarray(dealt.offsets[b], dealt.offsets[b + 1]), (p) => dealt.members[p] as number);
    out.push({
      ...makeBatch(indices, sampleAt, [dealt.heights[b] as number, dealt.widths[b] as number]),
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
export function batchForRank<S extends Sample>(batcher: AnyBatcher<S>, buffer: readonly S[], options: RankOptions): RankBatches<S> {
  if (typeof options !== 'object' || options === null) {
    throw new BatcherError('INVALID_OPTION', 'rank options must be an object with `worldSize` and `rank`', { option: 'options' });
  }
  const { worldSize, rank, leftover } = options;
  const rankWire = { worldSize, rank, leftover };
  checkRankOptions(rankWire);
  const planned: Batches<S> = batcher.batch(buffer);
  const dealt = dealBatches(batcher, planned, rankWire);
  const batches = rankBatches<S>(dealt, rank, (p) => buffer[p] as S);
  return Object.assign(batches, {
    rejects: planned.rejects,
    steps: dealt.offsets.length > 1 ? (dealt.offsets.length - 1) / dealt.worldSize : 0,
    dropped: dealt.dropped,
    held: dealt.held,
    empty: dealt.empty,
  });
}
