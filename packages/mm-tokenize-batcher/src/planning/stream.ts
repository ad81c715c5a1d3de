// Streaming: batches an AsyncIterable or ReadableStream of samples, one buffer at a time.
// Options are read in Rust; planning, carry-over and rank dealing happen in Rust in one call per
// buffer; this file only pulls, buffers and hands batches out.
import { type Batch, type Sample, type ShuffleOptions } from './batchers.js';
import { BatcherError, callWasm, composeReject, rejectError, type Reject } from '../shared/errors.js';
import { pullFrom, type Pull } from '../shared/pull.js';
import { rankBatches, type Leftover } from './ranks.js';
import { createBatcher, isBatcher, type AnyBatcher, type StrategyOptionsByName } from './strategies.js';
import { registry, wasm } from './wasm.js';

export type BatchStreamSource<S> = AsyncIterable<S> | Iterable<S> | ReadableStream<S>;

/** A strategy and its options, for when no batcher is passed. */
export type StrategyOptions<S extends Sample = Sample> = {
  [N in keyof StrategyOptionsByName<S>]: { strategy: N } & StrategyOptionsByName<S>[N];
}[keyof StrategyOptionsByName<S>];

export interface StreamOptions<S extends Sample = Sample> extends ShuffleOptions {
  /** The batcher that plans each buffer. Or give `strategy` and its options instead. */
  batcher?: AnyBatcher<S>;
  /** Samples planned together; the stream never holds more. Default 1024. */
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
  /**
   * With `shuffle: true`: a shuffle buffer of this many samples between the source and the
   * planner (as WebDataset's `shuffle(n)`): once it is full, each sample read takes the place of a
   * randomly drawn one, which goes on to be planned; when the source ends it is emptied in a random
   * order. Samples then reach buffers out of source order, so batches mix samples from further
   * apart. The stream holds at most `shuffleBuffer + bufferSize` samples. Default 0 (none: only the
   * order of each buffer's batches is shuffled).
   */
  shuffleBuffer?: number;
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
  /** Largest number of samples held at once (shuffle buffer, planning buffer and carry). */
  peakBuffered: number;
}

/** How the stream names a sample in messages: by its position in the whole stream. */
const streamSubject = (index: number) => `stream sample ${index}`;

/** Options only JavaScript reads: the rest are read in Rust (stream options and, with `strategy`, the strategy's). */
const JS_ONLY = new Set(['batcher', 'strategy', 'onReject', 'signal']);

/** Stream options as Rust resolved them. */
interface ResolvedStreamOptions {
  bufferSize: number;
  carry: boolean;
  maxCarry: number;
  worldSize: number;
  rank: number;
  leftover: Exclude<Leftover, 'hold'>;
  /** The stream's shuffle: its own options over its batcher's. */
  shuffle: boolean;
  shuffleSeed: number;
  epoch: number;
  shuffleMembers: boolean;
  shuffleBuffer: number;
}

interface Entry<S> {
  sample: S;
  index: number;
  carried: boolean;
}

/**
 * `pull` whose `next()` also rejects as soon as `signal` aborts, so a source whose next() never
 * settles cannot hold the stream, and whose `stop()` does not wait for a pull still pending (an
 * async generator queues return() behind a pending next()): return() / cancel() is still called.
 */
function abortable<T>(pull: Pull<T> & { held(): number }, signal: AbortSignal | undefined): Pull<T> & { held(): number; release(): void } {
  let release = () => {};
  const aborted = signal
    ? new Promise<never>((_, reject) => {
        const onAbort = () => reject(signal.reason ?? new Error('aborted'));
        signal.addEventListener('abort', onAbort, { once: true });
        release = () => signal.removeEventListener('abort', onAbort);
      })
    : undefined;
  aborted?.catch(() => {}); // handled where it is raced; never an unhandled rejection
  let pending = false;
  return {
    next: () => {
      pending = true;
      const settled = pull.next().finally(() => {
        pending = false;
      });
      return aborted ? Promise.race([settled, aborted]) : settled;
    },
    stop: async () => {
      const stopping = pull.stop().catch(() => {});
      if (!pending) await stopping;
    },
    held: () => pull.held(),
    release: () => release(),
  };
}

function open<S>(source: BatchStreamSource<S>): Pull<S> {
  const pull = pullFrom<S>(source);
  if (!pull) throw new BatcherError('INVALID_INPUT', 'batchStream: the source must be an AsyncIterable, an Iterable or a ReadableStream');
  return pull;
}

/** The stream's batcher, and what of the options Rust reads (the strategy's own options are the batcher's). */
function makeBatcher<S extends Sample>(options: Record<string, unknown>): { batcher: AnyBatcher<S>; strategyOptions: string[] } {
  if (options.batcher !== undefined) {
    if (!isBatcher<S>(options.batcher)) {
      throw new BatcherError('INVALID_OPTION', 'option `batcher` must be one of the library\'s batchers (SimpleBatcher, SortedBatcher, ...)', { option: 'batcher' });
    }
    // Options beside `batcher` that a batcher would take are refused by Rust as unknown here.
    return { batcher: options.batcher, strategyOptions: [] };
  }
  const own: Record<string, unknown> = {};
  const streamKeys = new Set(registry().streamOptions);
  for (const [k, v] of Object.entries(options)) if (!streamKeys.has(k) && !JS_ONLY.has(k)) own[k] = v;
  if (options.strategy === undefined) {
    throw new BatcherError('INVALID_OPTION', 'batchStream needs `batcher` or `strategy` (with that strategy\'s options)', { option: 'strategy' });
  }
  const batcher = createBatcher<S>(options.strategy as never, own as never);
  return { batcher, strategyOptions: Object.keys(own) };
}

/** Draws per crossing into wasm for the shuffle buffer (any block size gives the same draws). */
const DRAW_BLOCK = 1024;

/**
 * The stream's shuffle buffer (WebDataset's `shuffle(n)`): holds `size` samples; once full, each
 * sample read replaces a drawn one, which is handed on; at the end of the source the rest leave in
 * a drawn order. Every draw comes from Rust (`shuffleDraws`, `shuffleDrain`): the same sequence in
 * every runtime. An error from the source is kept until the buffer is empty, so every sample read
 * before it is still planned.
 */
class ShuffleBuffer<S> {
  readonly #held: Entry<S>[] = [];
  #drawn = 0;
  #block: Uint32Array = new Uint32Array(0);
  #blockStart = 0;
  #ended = false;
  #failure: { error: unknown } | undefined;
  #drain: Uint32Array | undefined;
  #drainAt = 0;

  constructor(
    readonly size: number,
    readonly seed: number,
    readonly epoch: number,
  ) {}

  get length(): number {
    return this.#held.length - this.#drainAt;
  }

  /** The next sample for the planner, or `undefined` when the source and the buffer are done. */
  async next(read: () => Promise<IteratorResult<Entry<S>>>): Promise<Entry<S> | undefined> {
    while (!this.#ended && this.#held.length < this.size) {
      const entry = await this.#read(read);
      if (entry) this.#held.push(entry);
    }
    if (!this.#ended) {
      const entry = await this.#read(read);
      if (entry) {
        const j = this.#draw();
        const out = this.#held[j]!;
        this.#held[j] = entry;
        return out;
      }
    }
    this.#drain ??= wasm().shuffleDrain(this.seed, this.epoch, this.#held.length) as Uint32Array;
    if (this.#drainAt < this.#drain.length) return this.#held[this.#drain[this.#drainAt++]!];
    if (this.#failure) throw this.#failure.error;
    return undefined;
  }

  async #read(read: () => Promise<IteratorResult<Entry<S>>>): Promise<Entry<S> | undefined> {
    try {
      const next = await read();
      if (!next.done) return next.value;
    } catch (error) {
      this.#failure = { error };
    }
    this.#ended = true;
    return undefined;
  }

  #draw(): number {
    const at = this.#drawn - this.#blockStart;
    if (at >= this.#block.length) {
      this.#blockStart = this.#drawn;
      this.#block = wasm().shuffleDraws(this.seed, this.epoch, this.#drawn, DRAW_BLOCK, this.size) as Uint32Array;
    }
    return this.#block[this.#drawn++ - this.#blockStart]!;
  }
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
  readonly #resolved: ResolvedStreamOptions;
  #started = false;

  constructor(source: BatchStreamSource<S>, options: StreamOptions<S> | (StreamOptions<S> & StrategyOptions<S>)) {
    if (typeof options !== 'object' || options === null) {
      throw new BatcherError('INVALID_OPTION', 'batchStream options must be an object with `batcher` or `strategy`', { option: 'options' });
    }
    if (source === null || typeof source !== 'object') {
      throw new BatcherError('INVALID_INPUT', 'batchStream: the source must be an AsyncIterable, an Iterable or a ReadableStream');
    }
    const { batcher, strategyOptions } = makeBatcher<S>(options as Record<string, unknown>);
    this.batcher = batcher;
    this.#source = source;
    this.#options = options;
    const wire: Record<string, unknown> = {};
    // Beside a batcher, `strategy` too goes to Rust, which refuses it with the other names a
    // batcher would have taken.
    const besideBatcher = options.batcher !== undefined;
    for (const [k, v] of Object.entries(options)) if (v !== undefined && (!JS_ONLY.has(k) || (besideBatcher && k === 'strategy'))) wire[k] = v;
    this.#resolved = callWasm(
      () => wasm().streamOptions(wire, strategyOptions, batcher.strategy, batcher.planningOptions()) as ResolvedStreamOptions,
    );
    this.bufferSize = this.#resolved.bufferSize;
    if (options.onReject !== undefined && typeof options.onReject !== 'function') {
      throw new BatcherError('INVALID_OPTION', 'option `onReject` must be a function', { option: 'onReject' });
    }
    if (options.signal !== undefined && !(typeof AbortSignal !== 'undefined' && options.signal instanceof AbortSignal)) {
      throw new BatcherError('INVALID_OPTION', 'option `signal` must be an AbortSignal', { option: 'signal' });
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
    const checkAbort = () => {
      const signal = this.#options.signal;
      // (AbortSignal.throwIfAborted needs Node 17.3; the package supports 16.4.)
      if (signal?.aborted) throw signal.reason ?? new Error('aborted');
    };
    checkAbort();
    const pull = abortable(this.#shuffled(open(this.#source)), this.#options.signal);
    let finished = false;
    let failure: { error: unknown } | undefined;
    let carried: Entry<S>[] = [];
    let step = 0;
    try {
      let ended = false;
      while (!ended || carried.length > 0) {
        const entries = carried;
        if (!ended) ({ ended, failure } = await this.#fill(pull, entries, checkAbort));
        if (entries.length === 0) break;
        this.stats.peakBuffered = Math.max(this.stats.peakBuffered, entries.length + pull.held());
        const planned = this.#plan(entries, ended, step, this.stats.buffers);
        this.stats.buffers++;
        carried = planned.carried;
        step = planned.nextStep;
        for (const batch of planned.batches) {
          checkAbort();
          this.stats.batches++;
          this.stats.samples += batch.indices.length - batch.padding;
          yield batch;
        }
        if (failure) throw failure.error;
      }
      finished = true;
    } finally {
      pull.release();
      // Stopped early (break, return, cancel, abort, a planning error): stop the source too.
      if (!finished && !failure) await pull.stop();
    }
  }

  /** Reads samples into `entries` until a buffer is full or the source ends (or fails: then
   * what was read is still planned and delivered before the error). */
  async #fill(pull: Pull<Entry<S>> & { held(): number }, entries: Entry<S>[], checkAbort: () => void): Promise<{ ended: boolean; failure?: { error: unknown } }> {
    while (entries.length < this.bufferSize) {
      checkAbort();
      let next: IteratorResult<Entry<S>>;
      try {
        next = await pull.next();
      } catch (error) {
        checkAbort(); // an abort is not the source's error: it stops the source (finally in #run)
        return { ended: true, failure: { error } };
      }
      if (next.done) return { ended: true };
      entries.push(next.value);
      this.stats.peakBuffered = Math.max(this.stats.peakBuffered, entries.length + pull.held());
    }
    return { ended: false };
  }

  /** The source as entries (stream positions assigned as read), through the shuffle buffer when
   * there is one. `held()` is how many samples the shuffle buffer holds. */
  #shuffled(source: Pull<S>): Pull<Entry<S>> & { held(): number } {
    const read = async (): Promise<IteratorResult<Entry<S>>> => {
      const next = await source.next();
      return next.done ? next : { done: false, value: { sample: next.value, index: this.stats.samplesRead++, carried: false } };
    };
    const { shuffle, shuffleBuffer, shuffleSeed, epoch } = this.#resolved;
    if (!shuffle || shuffleBuffer === 0) return { next: read, stop: () => source.stop(), held: () => 0 };
    const buffer = new ShuffleBuffer<S>(shuffleBuffer, shuffleSeed, epoch);
    return {
      next: async () => {
        const entry = await buffer.next(read);
        return entry ? { done: false, value: entry } : { done: true, value: undefined };
      },
      stop: () => source.stop(),
      held: () => buffer.length,
    };
  }

  /** Plans one buffer in one wasm call (plan, carry-over unless it is the last, rank dealing),
   * reports rejects and drops, and returns this rank's batches and the samples carried on. */
  #plan(entries: Entry<S>[], last: boolean, step: number, bufferIndex: number): { batches: StreamBatch<S>[]; carried: Entry<S>[]; nextStep: number } {
    const { worldSize, rank, leftover, carry, maxCarry, shuffle, shuffleSeed, epoch, shuffleMembers } = this.#resolved;
    const carrying = carry && !last;
    // The stream's shuffle, already merged with the batcher's, and this buffer's own permutation.
    const shuffled = shuffle ? { shuffle, shuffleSeed, epoch, shuffleMembers, bufferIndex } : { shuffle };
    let planned;
    try {
      // Between buffers rank leftovers are held for the next one.
      planned = this.batcher.plan(
        entries.map((e) => e.sample),
        { worldSize, rank, leftover: last ? leftover : 'hold', carry: carrying, maxCarry: carrying ? maxCarry : undefined, ...shuffled },
        (i) => entries[i]!.carried,
      );
    } catch (error) {
      if (error instanceof BatcherError && error.index !== undefined && error.detail !== undefined) {
        const { code, format, detail } = error;
        const at = entries[error.index]!.index;
        throw rejectError({ index: at, code, format, detail }, streamSubject(at), error);
      }
      throw error;
    }
    for (const r of planned.rejects) {
      const entry = entries[r.index]!;
      this.stats.rejects++;
      const reject: StreamReject<S> = { ...composeReject({ ...r, index: entry.index }, streamSubject(entry.index)), sample: entry.sample };
      if (this.#options.onReject) this.#options.onReject(reject);
      else this.rejects.push(reject);
    }
    const carried = Array.from(planned.held, (i) => ({ sample: entries[i]!.sample, index: entries[i]!.index, carried: true }));
    this.stats.carried += carried.length;
    for (const i of planned.dropped) this.dropped.push({ index: entries[i]!.index, sample: entries[i]!.sample });
    this.stats.dropped += planned.dropped.length;
    const batches = rankBatches<S>(planned, rank, (i) => entries[i]!.sample, step);
    for (const b of batches) b.indices = b.indices.map((i) => entries[i]!.index);
    return { batches, carried, nextStep: step + (planned.offsets.length - 1) / planned.worldSize };
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
