import { BatcherError, callWasm, type Reject } from './errors.js';
import { readSampleSizes, type ImageLike } from './image-size.js';
import { wasm } from './wasm.js';

/** One element of a buffer: an image, optional text, and any other fields (carried through). */
export interface Sample {
  image: ImageLike;
  text?: string;
  [field: string]: unknown;
}

/** Options every strategy takes. */
export interface BatcherOptions {
  /** Most samples in one batch. Required; a whole number >= 1. */
  batchSize: number;
  /** Each side of `resizeSize` is a multiple of this (patch size, or patch x merge). Default 1. */
  multipleOf?: number;
  /** Smallest `height * width` of a `resizeSize`; the size is scaled up, keeping its aspect. */
  minPixels?: number;
  /** Largest `height * width` of a `resizeSize`; always holds, winning over `minPixels`. */
  maxPixels?: number;
  /** Leave invalid samples out and list them in `batches.rejects` instead of throwing. Default false. */
  skipInvalid?: boolean;
}

export type SortKey<S> = 'aspect' | 'area' | ((sample: S, index: number) => number);

export interface SortedBatcherOptions<S = Sample> extends BatcherOptions {
  /** Width / height (`'aspect'`, the default), width * height (`'area'`), or your own number. */
  key?: SortKey<S>;
}

export interface ClusteredBatcherOptions extends BatcherOptions {
  /** k of k-means. Default `max(1, floor(buffer.length / batchSize))`, as the seed. */
  numClusters?: number;
  /** Seed of the k-means++ start. Same seed, same batches, in every runtime. Default 0. */
  seed?: number;
  /** Cap on Lloyd iterations of k-means. Default 10 (more barely changes quality; see README). */
  maxIterations?: number;
}

/** A group of samples that share one `resizeSize`. */
export interface Batch<S extends Sample = Sample> {
  images: S['image'][];
  texts: S['text'][];
  samples: S[];
  /** Positions of the samples in the input buffer. */
  indices: number[];
  /** `[height, width]` every image of the batch is resized to. */
  resizeSize: [height: number, width: number];
}

/** The batches of one buffer, plus the samples left out (only with `skipInvalid`). */
export type Batches<S extends Sample = Sample> = Batch<S>[] & { readonly rejects: readonly Reject[] };

type StrategyName = 'simple' | 'sorted' | 'clustered';

/** What a plan looks like when it comes back from wasm: flat typed arrays. */
interface WasmPlan {
  order: Uint32Array;
  offsets: Uint32Array;
  heights: Uint32Array;
  widths: Uint32Array;
  rejects: Reject[];
}

/** Shared by the three strategies: read sizes, cross into wasm once, shape the result. */
abstract class Batcher<S extends Sample, O extends BatcherOptions> {
  readonly options: Readonly<O>;
  readonly #strategy: StrategyName;
  readonly #wireOptions: Record<string, unknown>;

  protected constructor(strategy: StrategyName, options: O) {
    if (typeof options !== 'object' || options === null) {
      throw new BatcherError('INVALID_OPTION', 'options must be an object with at least `batchSize`', { option: 'options' });
    }
    this.#strategy = strategy;
    this.options = Object.freeze({ ...options });
    this.#wireOptions = wireOptions(options);
    callWasm(() => wasm().checkOptions(strategy, this.#wireOptions));
  }

  /** Groups `buffer` into batches of similar shape and sizes each batch. Synchronous. */
  batch(buffer: readonly S[]): Batches<S> {
    if (!Array.isArray(buffer)) {
      throw new BatcherError('INVALID_INPUT', `buffer must be an array of samples, got ${buffer === null ? 'null' : typeof buffer}`);
    }
    // Problems only the adapter can name (no image, unreadable bytes): Rust sees NaN there and
    // reports the index in order with every other problem; the adapter's message then replaces its own.
    const { widths, heights, problems: adapterProblems } = readSampleSizes(buffer);
    const keys = this.customKeys(buffer, adapterProblems);

    let plan: WasmPlan;
    try {
      plan = callWasm(() => wasm().plan(this.#strategy, this.#wireOptions, widths, heights, keys) as WasmPlan);
    } catch (error) {
      const own = error instanceof BatcherError && error.index !== undefined ? adapterProblems.get(error.index) : undefined;
      if (own) throw new BatcherError(own.code, own.message, { index: own.index });
      throw error;
    }

    const batches: Batch<S>[] = [];
    for (let b = 0; b + 1 < plan.offsets.length; b++) {
      const indices = Array.from(plan.order.subarray(plan.offsets[b], plan.offsets[b + 1]));
      const samples = indices.map((i) => buffer[i] as S);
      batches.push({
        images: samples.map((s) => s.image),
        texts: samples.map((s) => s.text),
        samples,
        indices,
        resizeSize: [plan.heights[b] as number, plan.widths[b] as number],
      });
    }
    const rejects = plan.rejects.map((r) => adapterProblems.get(r.index) ?? r);
    return Object.assign(batches, { rejects });
  }

  /** Only the sorted strategy with a key function has per-sample keys. */
  protected customKeys(_buffer: readonly S[], _skip: ReadonlyMap<number, Reject>): Float64Array | undefined {
    return undefined;
  }
}

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

  protected override customKeys(buffer: readonly S[], skip: ReadonlyMap<number, Reject>): Float64Array | undefined {
    const key = this.options.key;
    if (typeof key !== 'function') return undefined;
    const keys = new Float64Array(buffer.length);
    for (let i = 0; i < buffer.length; i++) {
      if (skip.has(i)) continue;
      try {
        const value = key(buffer[i] as S, i);
        keys[i] = typeof value === 'number' ? value : Number.NaN;
      } catch (cause) {
        throw new BatcherError('INVALID_KEY', `sample ${i}: the key function threw`, { index: i, cause });
      }
    }
    return keys;
  }
}

/** k-means on (ln aspect, ln area), clusters cut into batches (the seed's `ClusteredBatcher`). */
export class ClusteredBatcher<S extends Sample = Sample> extends Batcher<S, ClusteredBatcherOptions> {
  constructor(options: ClusteredBatcherOptions) {
    super('clustered', options);
  }
}

/** Options as Rust reads them: `undefined` entries dropped, a key function named `'custom'`. */
function wireOptions(options: object): Record<string, unknown> {
  const wire: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(options)) {
    if (value === undefined) continue;
    wire[name] = name === 'key' && typeof value === 'function' ? 'custom' : value;
  }
  return wire;
}
