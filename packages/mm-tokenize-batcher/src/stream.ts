// Streaming: batches an AsyncIterable or ReadableStream of samples, one buffer at a time.
// Planning and dealing happen in Rust (one batcher call, and one dealing call where ranks or
// carry-over need it, per buffer); this file only pulls, buffers and hands batches out.
import {
  BalancedBatcher,
  ClusteredBatcher,
  SimpleBatcher,
  SortedBatcher,
  type BalancedBatcherOptions,
  type Batch,
  type BatcherOptions,
  type ClusteredBatcherOptions,
  type Sample,
  type SortedBatcherOptions,
} from './batchers.js';
import { BatcherError, type Reject } from './errors.js';
import { checkRankOptions, dealBatches, rankBatches, type AnyBatcher, type Leftover } from './ranks.js';

export type BatchStreamSource<S> = AsyncIterable<S> | Iterable<S> | ReadableStream<S>;

/** A strategy and its options, for when no batcher is passed. */
export type StrategyOptions<S extends Sample = Sample> =
  | ({ strategy: 'simple' } & BatcherOptions)
  | ({ strategy: 'sorted' } & SortedBatcherOptions<S>)
  | ({ strategy: 'clustered' } & ClusteredBatcherOptions)
  | ({ strategy: 'balanced' } & BalancedBatcherOptions);

export interface StreamOptions<S extends Sample = Sample> {
  /** The batcher that plans each buffer. Or give `strategy` and its options instead. */
  batcher?: AnyBatcher<S>;
  /** Samples planned together; the stream never holds more (default 1024). */
  bufferSize?: number;
  /**
   * Hold a buffer's partial batches (fewer than `batchSize` samples) back and plan their samples
   * again with the next buffer, instead of emitting them half empty. Each sample is held back at
   * most once by this (so it is emitted at most one buffer late), and at most `maxCarry` samples
   * per buffer. The tail is flushed when the source ends. Default false.
   */
  carry?: boolean;
  /** Most samples carried over from one buffer to the next. Default `floor(bufferSize / 2)`. */
  maxCarry?: number;
  /** Data-parallel ranks (see `batchForRank`). Every rank reads the whole source. Default 1. */
  worldSize?: number;
  /** This rank, `0 .. worldSize - 1`. Default 0. */
  rank?: number;
  /**
   * The tail's leftover batches when their count is not a multiple of `worldSize` (between
   * buffers they are always carried into the next buffer). Default `'split'`.
   */
  leftover?: Exclude<Leftover, 'hold'>;
  /**
   * Called with each invalid sample left out (with `skipInvalid`). Without it, rejects collect in
   * `stream.rejects`.
   */
  onReject?: (reject: StreamReject<S>) => void;
  /** Aborting stops reading the source (its `return()` / `cancel()` is called) and rejects with the reason. */
  signal?: AbortSignal;
}

/** A batch from the stream: `indices` are positions in the whole stream (0 = first sample read). */
export interface StreamBatch<S extends Sample = Sample> extends Batch<S> {
  /** Step number on this rank (every rank gets the same steps; one `resizeSize` per step). */
  step: number;
  rank: number;
  /** How many of the last entries repeat a sample (only `leftover: 'pad'`, in the tail). */
  padding: number;
}

/** An invalid sample left out, with its position in the stream and the sample itself. */
export interface StreamReject<S extends Sample = Sample> extends Reject {
  /** The sample as the source gave it. */
  sample: S;
}

export interface StreamStats {
  /** Samples pulled from the source. */
  samplesRead: number;
  /** Buffers planned. */
  buffers: number;
  /** Batches and samples emitted on this rank (padding included in neither). */
  batches: number;
  samples: number;
  /** Samples carried into a later buffer (partial batches and rank leftovers). */
  carried: number;
  /** Samples left out with `leftover: 'drop'` (all ranks). */
  dropped: number;
  rejects: number;
  /** Largest number of samples held at once (buffer plus carry). */
  peakBuffered: number;
}

const STREAM_KEYS = new Set(['batcher', 'strategy', 'bufferSize', 'carry', 'maxCarry', 'worldSize', 'rank', 'leftover', 'onReject', 'signal']);

interface Entry<S> {
  sample: S;
  index: number;
  carried: boolean;
}

interface Pull<S> {
  next(): Promise<IteratorResult<S>>;
  stop(): Promise<void>;
}

function open<S>(source: BatchStreamSource<S>): Pull<S> {
  if (source && typeof (source as ReadableStream<S>).getReader === 'function' && !(Symbol.asyncIterator in (source as object))) {
    const reader = (source as ReadableStream<S>).getReader();
    return {
      next: () => reader.read() as Promise<IteratorResult<S>>,
      stop: async () => {
        await reader.cancel();
        reader.releaseLock();
      },
    };
  }
  const iterable = source as AsyncIterable<S> & Iterable<S>;
  const make = iterable?.[Symbol.asyncIterator] ?? iterable?.[Symbol.iterator];
  if (typeof make !== 'function') {
    throw new BatcherError('INVALID_INPUT', 'batchStream: the source must be an AsyncIterable, an Iterable or a ReadableStream');
  }
  const iterator = make.call(iterable) as AsyncIterator<S> | Iterator<S>;
  return {
    next: async () => iterator.next(),
    stop: async () => {
      await iterator.return?.();
    },
  };
}

function makeBatcher<S extends Sample>(options: Record<string, unknown>): AnyBatcher<S> {
  if (options.batcher !== undefined) {
    const b = options.batcher;
    if (b instanceof SimpleBatcher || b instanceof SortedBatcher || b instanceof ClusteredBatcher || b instanceof BalancedBatcher) {
      return b as AnyBatcher<S>;
    }
    throw new BatcherError('INVALID_OPTION', 'option `batcher` must be a SimpleBatcher, SortedBatcher, ClusteredBatcher or BalancedBatcher', {
      option: 'batcher',
    });
  }
  const own: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) if (!STREAM_KEYS.has(k)) own[k] = v;
  switch (options.strategy) {
    case 'simple':
      return new SimpleBatcher<S>(own as BatcherOptions);
    case 'sorted':
      return new SortedBatcher<S>(own as SortedBatcherOptions<S>);
    case 'clustered':
      return new ClusteredBatcher<S>(own as ClusteredBatcherOptions);
    case 'balanced':
      return new BalancedBatcher<S>(own as BalancedBatcherOptions);
    default:
      throw new BatcherError(
        'INVALID_OPTION',
        `option \`strategy\` must be "simple", "sorted", "clustered" or "balanced" (or pass \`batcher\`), got ${JSON.stringify(options.strategy)}`,
        { option: 'strategy' },
      );
  }
}

function wholeNumber(name: string, value: unknown, min: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > 0xffffffff) {
    throw new BatcherError('INVALID_OPTION', `option \`${name}\` must be a whole number >= ${min}, got ${String(value)}`, { option: name });
  }
  return value;
}

/**
 * Batches a stream of samples larger than memory. Pulls `bufferSize` samples, plans them with the
 * batcher, yields the batches, and only then pulls the next buffer (backpressure: never more than
 * one buffer read ahead). The tail is flushed when the source ends. An error from the source
 * reaches the consumer after every sample read before it has been batched and delivered.
 * Stopping early (`break`, `return()`, cancelling the ReadableStream, `signal`) stops reading the
 * source and calls its `return()` / `cancel()`.
 */
export function batchStream<S extends Sample = Sample>(
  source: BatchStreamSource<S>,
  options: StreamOptions<S> | (StreamOptions<S> & StrategyOptions<S>),
): BatchStream<S> {
  return new BatchStream<S>(source, options);
}

export class BatchStream<S extends Sample = Sample> implements AsyncIterable<StreamBatch<S>> {
  /** Invalid samples left out (with `skipInvalid`), unless `onReject` takes them. */
  readonly rejects: StreamReject<S>[] = [];
  /** Samples left out with `leftover: 'drop'`, with their stream positions. */
  readonly dropped: { index: number; sample: S }[] = [];
  readonly stats: StreamStats = { samplesRead: 0, buffers: 0, batches: 0, samples: 0, carried: 0, dropped: 0, rejects: 0, peakBuffered: 0 };
  readonly batcher: AnyBatcher<S>;
  readonly bufferSize: number;
  readonly #source: BatchStreamSource<S>;
  readonly #options: StreamOptions<S>;
  readonly #worldSize: number;
  readonly #rank: number;
  readonly #maxCarry: number;
  #started = false;

  constructor(source: BatchStreamSource<S>, options: StreamOptions<S> | (StreamOptions<S> & StrategyOptions<S>)) {
    if (typeof options !== 'object' || options === null) {
      throw new BatcherError('INVALID_OPTION', 'batchStream options must be an object with `batcher` or `strategy`', { option: 'options' });
    }
    if (source === null || typeof source !== 'object') {
      throw new BatcherError('INVALID_INPUT', 'batchStream: the source must be an AsyncIterable, an Iterable or a ReadableStream');
    }
    this.batcher = makeBatcher<S>(options as Record<string, unknown>);
    this.#source = source;
    this.#options = options;
    this.bufferSize = wholeNumber('bufferSize', options.bufferSize, 1, 1024);
    this.#worldSize = wholeNumber('worldSize', options.worldSize, 1, 1);
    this.#rank = wholeNumber('rank', options.rank, 0, 0);
    checkRankOptions({ worldSize: this.#worldSize, rank: this.#rank, leftover: options.leftover });
    if ((options.leftover as string) === 'hold') {
      throw new BatcherError('INVALID_OPTION', "option `leftover` of a stream must be \"split\", \"pad\" or \"drop\" (between buffers leftovers are always held)", {
        option: 'leftover',
      });
    }
    const batchSize = this.batcher.options.batchSize ?? 1;
    if (this.#worldSize > 1 && this.bufferSize < this.#worldSize * batchSize) {
      throw new BatcherError(
        'INVALID_OPTION',
        `option \`bufferSize\` is ${this.bufferSize}; with worldSize ${this.#worldSize} it must be at least worldSize * batchSize = ${this.#worldSize * batchSize}`,
        { option: 'bufferSize' },
      );
    }
    // Held samples never fill the buffer: rank leftovers take at most (worldSize - 1) * batchSize.
    const room = this.bufferSize - 1 - (this.#worldSize - 1) * batchSize;
    this.#maxCarry = options.carry ? Math.max(0, Math.min(wholeNumber('maxCarry', options.maxCarry, 0, Math.floor(this.bufferSize / 2)), room)) : 0;
    if (options.onReject !== undefined && typeof options.onReject !== 'function') {
      throw new BatcherError('INVALID_OPTION', 'option `onReject` must be a function', { option: 'onReject' });
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<StreamBatch<S>> {
    if (this.#started) throw new BatcherError('INVALID_INPUT', 'a BatchStream can be iterated once');
    this.#started = true;
    return this.#run();
  }

  /** The batches as a web `ReadableStream` (pulled on demand; cancelling it stops the source). */
  toReadableStream(): ReadableStream<StreamBatch<S>> {
    return toReadableStream(this);
  }

  async *#run(): AsyncGenerator<StreamBatch<S>, void, undefined> {
    const { signal, onReject } = this.#options;
    const leftover = this.#options.leftover ?? 'split';
    const w = this.#worldSize;
    const stats = this.stats;
    const checkAbort = () => {
      // (AbortSignal.throwIfAborted needs Node 17.3; the package supports 16.4.)
      if (signal?.aborted) throw signal.reason ?? new Error('aborted');
    };
    checkAbort();
    const pull = open(this.#source);
    let finished = false;
    let failure: { error: unknown } | undefined;
    let carried: Entry<S>[] = [];
    let step = 0;
    try {
      let ended = false;
      while (!ended || carried.length > 0) {
        const entries = carried;
        carried = [];
        while (entries.length < this.bufferSize && !ended) {
          checkAbort();
          let next: IteratorResult<S>;
          try {
            next = await pull.next();
          } catch (error) {
            // Deliver what was read, then the error.
            failure = { error };
            ended = true;
            break;
          }
          if (next.done) {
            ended = true;
            break;
          }
          entries.push({ sample: next.value, index: stats.samplesRead++, carried: false });
        }
        if (entries.length === 0) break;
        stats.peakBuffered = Math.max(stats.peakBuffered, entries.length);
        stats.buffers++;
        const last = ended;

        const samples = entries.map((e) => e.sample);
        let planned;
        try {
          planned = this.batcher.batch(samples);
        } catch (error) {
          if (error instanceof BatcherError && error.index !== undefined) {
            const at = entries[error.index]!.index;
            throw new BatcherError(error.code, `stream sample ${at}: ${error.message}`, { index: at, cause: error });
          }
          throw error;
        }
        for (const r of planned.rejects) {
          const entry = entries[r.index]!;
          const reject: StreamReject<S> = { ...r, index: entry.index, sample: entry.sample };
          stats.rejects++;
          if (onReject) onReject(reject);
          else this.rejects.push(reject);
        }

        let out: StreamBatch<S>[];
        const holdPartial = last ? 0 : this.#maxCarry;
        if (w === 1 && holdPartial === 0) {
          out = planned.map((b, k) => ({
            ...b,
            indices: b.indices.map((p) => entries[p]!.index),
            step: step + k,
            rank: 0,
            padding: 0,
          }));
          step += planned.length;
        } else {
          const dealt = dealBatches(
            this.batcher,
            planned,
            { worldSize: w, rank: this.#rank, leftover: last ? leftover : 'hold', holdPartial },
            (p) => entries[p]!.carried,
          );
          for (const p of dealt.held) {
            const e = entries[p]!;
            carried.push({ sample: e.sample, index: e.index, carried: true });
          }
          stats.carried += dealt.held.length;
          for (const p of dealt.dropped) this.dropped.push({ index: entries[p]!.index, sample: entries[p]!.sample });
          stats.dropped += dealt.dropped.length;
          const mine = rankBatches<S>(dealt, this.#rank, (p) => entries[p]!.sample, step);
          for (const b of mine) b.indices = b.indices.map((p) => entries[p]!.index);
          step += (dealt.offsets.length - 1) / dealt.worldSize;
          out = mine;
        }
        for (const batch of out) {
          checkAbort();
          stats.batches++;
          stats.samples += batch.indices.length - batch.padding;
          yield batch;
        }
        if (failure) throw failure.error;
      }
      finished = true;
      if (failure) throw failure.error;
    } finally {
      // Stopped early (break, return, cancel, abort, a planning error): stop the source too.
      if (!finished && !failure) await pull.stop();
    }
  }
}

/**
 * Wraps any async iterable (a `BatchStream`, for one) as a web `ReadableStream` that pulls one
 * item per read (high-water mark 0, so nothing is read ahead) and stops the iterator on cancel.
 */
export function toReadableStream<T>(iterable: AsyncIterable<T>): ReadableStream<T> {
  let iterator: AsyncIterator<T> | undefined;
  return new ReadableStream<T>(
    {
      async pull(controller) {
        iterator ??= iterable[Symbol.asyncIterator]();
        try {
          const next = await iterator.next();
          if (next.done) controller.close();
          else controller.enqueue(next.value);
        } catch (error) {
          controller.error(error);
        }
      },
      async cancel(reason) {
        await iterator?.return?.(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
