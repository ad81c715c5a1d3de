import { BatcherError, callWasm, rejectError, sampleSubject, type Reject, type RejectFields } from '../shared/errors.js';
import { bufferSizes, callWasmOnBuffer, composeRejects, withAdapterProblems, type ImageLike } from './image-sizes.js';
import { wasm } from './wasm.js';

/**
 * One element of a buffer: an image, optional text, and any other fields (carried through). Your
 * own sample types fit as they are, interfaces included (no index signature needed):
 * `interface Row { image: Uint8Array; caption: string }` is a `Sample`.
 */
export interface Sample {
  image: ImageLike;
  text?: string;
}

/**
 * Shuffled epochs (docs/shuffle.md): the order of the plan's steps (one batch each with
 * one rank) is a seeded permutation, different per epoch and the same in every runtime, and
 * (unless `shuffleMembers: false`) batches of one `resizeSize` trade members each epoch, every
 * sample keeping the size it is resized to. Accepted by every batcher, by one `batch` call (over
 * the batcher's), by `batchForRank` and by `batchStream`.
 */
export interface ShuffleOptions {
  /** Permute the batch order. Default false; `false` in one call turns off a batcher's shuffle. */
  shuffle?: boolean;
  /** Seed of the permutation; whole number from 0 to 2^53 - 1. Default 0. Needs `shuffle: true`. */
  shuffleSeed?: number;
  /** Epoch number: each epoch gets its own permutation. Whole number >= 0. Default 0. Needs `shuffle: true`. */
  epoch?: number;
  /**
   * With `shuffle: true`, batches of the same `resizeSize` trade members every epoch (as kohya's
   * buckets do); every batch keeps its size and length, every sample its resize, so the plan's
   * resize metrics stay the same. `false` keeps the plan's batches, only their order changes.
   * Default true. Needs `shuffle: true`.
   */
  shuffleMembers?: boolean;
}

/** Options every strategy takes. */
export interface BatcherOptions extends ShuffleOptions {
  /** Most samples in one batch; a whole number >= 1. Required unless `maxTokens` is given. */
  batchSize?: number;
  /**
   * Token budget per batch (with `patchSize`): a batch of `count` images at `[H, W]` holds at
   * most `count * (H / patchSize) * (W / patchSize) <= maxTokens`, as packed vision encoders are
   * fed. Batches then vary in length; `batchSize`, if given too, still caps them.
   */
  maxTokens?: number;
  /** Patch side in pixels; sides of `resizeSize` are whole patches (`multipleOf` defaults to it). */
  patchSize?: number;
  /**
   * Most distinct `resizeSize` values in one plan (compiled models pay for every new input
   * shape). Shapes are chosen from the data; batches keep their members.
   */
  maxShapes?: number;
  /** Each side of `resizeSize` is a multiple of this (patch size, or patch x merge). Default 1, or `patchSize`. */
  multipleOf?: number;
  /** Smallest `height * width` of a `resizeSize`; the size is scaled up, keeping its aspect. */
  minPixels?: number;
  /** Largest `height * width` of a `resizeSize`; always holds, winning over `minPixels`. */
  maxPixels?: number;
  /**
   * The real size a batch aims at before bounds and rounding. `'median'`: medians of ln aspect and
   * ln area, the least mean resize waste (every strategy's default). `'minimax'`: the centre of the
   * batch's extent in ln width and ln height, the least worst resize waste (on real data it about
   * halves max r and raises p95 r; see docs/strategies.md and bench/results/real-data.md). `'smart-resize'`: the median target rounded to whole pixels, then Qwen2-VL's
   * `smart_resize` with `factor = multipleOf` and the pixel bounds (see the `qwen2-vl` preset).
   * Default `'median'`.
   */
  sizing?: 'median' | 'minimax' | 'smart-resize';
  /** Leave invalid samples out and list them in `batches.rejects` instead of throwing. Default false. */
  skipInvalid?: boolean;
}

export type SortKey<S> = 'aspect' | 'area' | ((sample: S, index: number) => number);

export interface SortedBatcherOptions<S = Sample> extends BatcherOptions {
  /** Width / height (`'aspect'`), width * height (`'area'`), or your own number. Default `'aspect'`. */
  key?: SortKey<S>;
}

export interface ClusteredBatcherOptions extends BatcherOptions {
  /**
   * k of k-means, for the samples left after full batches of one exact size are set apart.
   * Default `ceil(buffer.length / batchSize)`, the whole buffer counted.
   */
  numClusters?: number;
  /** Seed of the k-means++ start. Same seed, same batches, in every runtime. Default 0. */
  seed?: number;
  /** Cap on Lloyd iterations of k-means. Default 5 (10 changes p95 resize waste by -1.3% to +3.2%; see docs/strategies.md). */
  maxIterations?: number;
}

export interface BalancedBatcherOptions extends BatcherOptions {
  /**
   * Least share of batch slots that hold a sample, in (0, 1]. Default 0.95: the plan uses as many
   * batches as that allows and puts the spare slots where samples are sparse. `1` gives full
   * batches, all but one. Honoured in steps of 0.05; a lower value never gives a higher p95 resize
   * waste. Below 0.85, k-means plans compete too (more planning time).
   */
  minFill?: number;
  /**
   * Passes of moves and pairwise swaps between neighbouring batches after the bisection.
   * Default 4.
   */
  refinePasses?: number;
}

/** The `text` field's type of a sample type (`undefined` where it has none). */
export type TextOf<S> = S extends { text?: infer T } ? T | undefined : undefined;

/** A group of samples that share one `resizeSize`. */
export interface Batch<S extends Sample = Sample> {
  images: S['image'][];
  texts: TextOf<S>[];
  samples: S[];
  /** Positions of the samples in the input buffer. */
  indices: number[];
  /** `[height, width]` every image of the batch is resized to. */
  resizeSize: [height: number, width: number];
}

/** The batches of one buffer, plus the samples left out (only with `skipInvalid`). */
export type Batches<S extends Sample = Sample> = Batch<S>[] & { readonly rejects: readonly Reject[] };

/** A strategy's name, as the Rust registry lists it (see `strategies.ts`). */
export type StrategyName = 'simple' | 'sorted' | 'clustered' | 'balanced';

/** A plan as it comes back from wasm: flat typed arrays, input indices. Batch `b` is rank
 * `b % worldSize`'s, step `b / worldSize` (one rank: one step per batch). The arrays are views
 * of one packed array (see `unpackPlan`): copy one before transferring its buffer. Rejects are
 * fields; the caller composes their messages (it knows how its samples are named). */
export interface WasmPlan {
  worldSize: number;
  order: Uint32Array;
  offsets: Uint32Array;
  heights: Uint32Array;
  widths: Uint32Array;
  padding: Uint32Array;
  held: Uint32Array;
  dropped: Uint32Array;
  empty: number;
  rejects: RejectFields[];
}

/** What one buffer asks for besides the plan: ranks, carry-over and shuffle (docs/ranks.md, docs/streaming.md, docs/shuffle.md). */
export interface BufferRequest extends ShuffleOptions {
  worldSize?: number;
  rank?: number;
  leftover?: string;
  carry?: boolean;
  maxCarry?: number;
  /** A stream's buffer number: each buffer's steps get their own permutation. */
  bufferIndex?: number;
}

/** Shared by every strategy: read sizes, cross into wasm once, shape the result. */
abstract class Batcher<S extends Sample, O extends BatcherOptions> {
  readonly options: Readonly<O>;
  /** The strategy's name in the registry. */
  readonly strategy: StrategyName;
  /** `batchSize`, or 1 when only a token budget bounds batches. */
  readonly batchSize: number;
  readonly #wireOptions: Record<string, unknown>;
  /**
   * Where `plan` reads a buffer's sizes, reused across calls (see `collect`); lent out while a
   * call plans, so that a key function planning with this batcher meanwhile gets its own.
   */
  #room: Float64Array | undefined = new Float64Array(256);

  protected constructor(strategy: StrategyName, options: O) {
    if (typeof options !== 'object' || options === null) {
      throw new BatcherError('INVALID_OPTION', 'options must be an object with at least `batchSize`', { option: 'options' });
    }
    this.strategy = strategy;
    this.options = Object.freeze({ ...options });
    // Frozen: planBuffer reuses what it read from this very object on the next call.
    this.#wireOptions = Object.freeze(wireOptions(options));
    this.batchSize = callWasm(() => wasm().checkOptions(strategy, this.#wireOptions));
  }

  /**
   * Groups `buffer` into batches of similar shape and sizes each batch. Synchronous; one wasm call.
   * The batches' sample type is the buffer's. `shuffle` (optional) overrides the batcher's shuffle
   * options for this call, typically `{ epoch }`.
   */
  batch<T extends S>(buffer: readonly T[], shuffle?: ShuffleOptions): Batches<T> {
    const plan = this.plan(buffer, shuffle === undefined ? undefined : shuffleRequest(shuffle));
    const sampleAt = (i: number) => buffer[i] as T;
    const batches: Batch<T>[] = [];
    for (let b = 0; b + 1 < plan.offsets.length; b++) batches.push(planBatch(plan, b, sampleAt));
    return Object.assign(batches, { rejects: composeRejects(plan.rejects) });
  }

  /**
   * Plans `buffer` in one call into wasm: headers read, planned, carried over and dealt to ranks
   * as `request` asks (internal: `batchForRank` and `batchStream` build on it). `pinned(i)` marks
   * samples carried once already.
   */
  plan<T extends S>(buffer: readonly T[], request?: BufferRequest, pinned?: (index: number) => boolean): WasmPlan {
    const lent = this.#room;
    const wanted = Array.isArray(buffer) ? 2 * buffer.length : 0;
    const room = lent !== undefined && lent.length >= wanted ? lent : new Float64Array(wanted);
    this.#room = undefined;
    try {
      return this.#planWith(room, buffer, request, pinned);
    } finally {
      // Large buffers plan for long enough that a new array per call does not count.
      this.#room = room.length <= ROOM_KEPT ? room : lent;
    }
  }

  #planWith<T extends S>(room: Float64Array, buffer: readonly T[], request?: BufferRequest, pinned?: (index: number) => boolean): WasmPlan {
    const sizes = bufferSizes(buffer, room);
    const keys = this.customKeys(buffer, sizes.problems);
    const pins = pinned ? Uint8Array.from(buffer, (_, i) => (pinned(i) ? 1 : 0)) : undefined;
    const { plan: packed, rejects } = callWasmOnBuffer(
      sizes.problems,
      () =>
        wasm().planBuffer(this.strategy, this.#wireOptions, request ? wireOptions(request) : undefined, sizes.sides, keys, pins) as {
          plan: Uint32Array;
          rejects: RejectFields[];
        },
    );
    return unpackPlan(packed, withAdapterProblems(rejects, sizes.problems));
  }

  /** @internal Options as Rust reads them (the stream merges its shuffle options over these). */
  planningOptions(): Record<string, unknown> {
    return { ...this.#wireOptions };
  }

  /** Only the sorted strategy with a key function has per-sample keys. */
  protected customKeys(_buffer: readonly S[], _problems: Map<number, RejectFields>): Float64Array | undefined {
    return undefined;
  }
}

/** The largest sizes array (two numbers per sample) a batcher keeps between calls. */
const ROOM_KEPT = 2 * 8192;

/** Contiguous batches in input order (the seed's `SimpleBatcher`). */
export class SimpleBatcher<S extends Sample = Sample> extends Batcher<S, BatcherOptions> {
  constructor(options: BatcherOptions) {
    super('simple', options);
  }
}

/** Sorts by aspect ratio, area or your own key, then cuts consecutive batches. */
export class SortedBatcher<S extends Sample = Sample> extends Batcher<S, SortedBatcherOptions<S>> {
  constructor(options: SortedBatcherOptions<S>) {
    super('sorted', options);
  }

  protected override customKeys(buffer: readonly S[], problems: Map<number, RejectFields>): Float64Array | undefined {
    const key = this.options.key;
    if (typeof key !== 'function') return undefined;
    const keys = new Float64Array(buffer.length);
    for (let i = 0; i < buffer.length; i++) {
      if (problems.has(i)) continue;
      let value: unknown;
      try {
        value = key(buffer[i] as S, i);
      } catch (cause) {
        // Under skipInvalid the sample is refused alone (NaN: Rust rejects it, with this reason).
        if (this.options.skipInvalid !== true) throw rejectError({ index: i, code: 'INVALID_KEY', detail: 'the key function threw' }, sampleSubject(i), cause);
        problems.set(i, { index: i, code: 'INVALID_KEY', detail: `the key function threw ${cause instanceof Error ? `${cause.name}: ${cause.message}` : String(cause)}` });
        value = Number.NaN;
      }
      // Not a number (a bigint, a string): named here, where its type is still known.
      if (typeof value !== 'number' && !problems.has(i)) problems.set(i, { index: i, code: 'INVALID_KEY', detail: `the key function returned ${typeof value === 'bigint' ? `a bigint (${value}n)` : typeof value === 'object' && value !== null ? 'an object' : typeof value}, not a number` });
      keys[i] = typeof value === 'number' ? value : Number.NaN;
    }
    return keys;
  }
}

/**
 * Full batches of one exact size first, then k-means (k-means++ start) on standardised (ln aspect,
 * ln area), clusters cut into batches; partial batches are dissolved, the worst-served images
 * rehomed, and partial batches whose neighbourhood that changed dissolved again, each wherever
 * that raises neither the p95 nor the max resize waste.
 */
export class ClusteredBatcher<S extends Sample = Sample> extends Batcher<S, ClusteredBatcherOptions> {
  constructor(options: ClusteredBatcherOptions) {
    super('clustered', options);
  }
}

/**
 * Full batches without losing quality: full batches of one exact size first, then balanced
 * bisection of (ln width, ln height) into batches that each hold `batchSize` samples (up to the
 * `minFill` allowance), moves and swaps between neighbouring batches that lower resize waste, and
 * the worst-served images rehomed wherever that raises neither the p95 nor the max. Per buffer,
 * never worse than the recursive median split in the p95 or the max of resize waste (the split is
 * its floor). Deterministic.
 */
export class BalancedBatcher<S extends Sample = Sample> extends Batcher<S, BalancedBatcherOptions> {
  constructor(options: BalancedBatcherOptions) {
    super('balanced', options);
  }
}

/**
 * A plan as `planBuffer` packs it into one array (`packed_plan` in `crates/wasm/src/lib.rs`):
 * `[worldSize, empty, seven lengths]`, then order, offsets, heights, widths, padding, held and
 * dropped end to end. The arrays returned are views of it.
 */
function unpackPlan(packed: Uint32Array, rejects: RejectFields[]): WasmPlan {
  const arrays = 7;
  let at = 2 + arrays;
  const take = (k: number) => packed.subarray(at, (at += packed[2 + k] as number));
  const [order, offsets, heights, widths, padding, held, dropped] = [0, 1, 2, 3, 4, 5, 6].map(take) as Uint32Array[];
  return { worldSize: packed[0] as number, empty: packed[1] as number, order: order!, offsets: offsets!, heights: heights!, widths: widths!, padding: padding!, held: held!, dropped: dropped!, rejects };
}

/** The shuffle options of a call as a buffer request (only these names: Rust refuses others). */
export function shuffleRequest(options: ShuffleOptions): BufferRequest {
  if (typeof options !== 'object' || options === null) {
    throw new BatcherError('INVALID_OPTION', 'option `shuffle` of batch() must be an object such as `{ epoch: 1 }`', { option: 'options' });
  }
  return options;
}

/**
 * Batch `b` of a plan, its samples looked up by buffer position. One pass over the batch
 * (`batch()` shapes every sample of a buffer through here: a per-call cost that counts at small
 * buffers).
 */
export function planBatch<S extends Sample>(plan: WasmPlan, b: number, sampleAt: (index: number) => S): Batch<S> {
  const indices: number[] = [];
  const samples: S[] = [];
  const images: S['image'][] = [];
  const texts: TextOf<S>[] = [];
  for (let k = plan.offsets[b] as number; k < (plan.offsets[b + 1] as number); k++) {
    const i = plan.order[k] as number;
    const sample = sampleAt(i);
    indices.push(i);
    samples.push(sample);
    images.push(sample.image);
    texts.push(sample.text as TextOf<S>);
  }
  return { images, texts, samples, indices, resizeSize: [plan.heights[b] as number, plan.widths[b] as number] };
}

/** Options as Rust reads them: `undefined` entries dropped, a key function named `'custom'`. */
export function wireOptions(options: object): Record<string, unknown> {
  const wire: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined) continue;
    // Rust receives a bigint as an integer: refused here as any other non-number is there.
    if (typeof value === 'bigint') throw new BatcherError('INVALID_OPTION', `option \`${name}\` must be a number, got a bigint (${value}n)`, { option: name });
    wire[name] = name === 'key' && typeof value === 'function' ? 'custom' : value;
  }
  return wire;
}
