// A pool of imaging workers: `toTensor` of one batch in a worker thread, and an ordered async map
// over a stream of batches with bounded prefetch. The same class in every runtime; each entry
// (src/imaging/entries/) hands it a way to start a worker (worker_threads in Node, Bun and Deno;
// module Web Workers in browsers). The worker scripts are src/imaging/workers/.
//
// What crosses to a worker: the batch prepared on this thread (`prepareBatch`: options checked,
// images packed end to end into one fresh buffer), whose buffers are transferred, not copied; the
// caller's own images are never detached (samples are reused epoch after epoch). What comes back:
// the tensor, its data's buffer transferred.
import { BatcherError, type BatcherErrorDetails, type ErrorCode, type Reject } from '../shared/errors.js';
import { pullFrom } from '../shared/pull.js';
import { prepareBatch, preparedBuffers, prepareVerify, type BatchTensor, type PatchTensor, type PreparedBatch, type PreparedVerify, type TensorBatchInput, type TensorFor, type TensorOptions, type VerifyOptions } from './tensor.js';

/** Where the imaging module comes from in a worker: a URL (string or `URL`), or a compiled module. */
export type PoolWasmSource = string | URL | WebAssembly.Module;

/**
 * Most workers a pool may have (`workers` above it is an `INVALID_OPTION`): each holds its own
 * wasm memory. The defaults table (`createImagingPool.workers`) states it; `tensorDefaults().maxPoolWorkers`
 * reads it from Rust, and a test checks the two agree.
 */
export const MAX_POOL_WORKERS = 256;

export interface ImagingPoolOptions {
  /** How many workers (at most 256). Default: the number of logical cores, at most 256. (`os.availableParallelism()`, `navigator.hardwareConcurrency`.) */
  workers?: number;
  /**
   * A batch not made within this many milliseconds rejects with `TIMEOUT`, and its worker is
   * stopped and replaced (a hung worker cannot hold the pool). Default: none (a job may take as long as it takes).
   */
  jobTimeoutMs?: number;
  /**
   * Where each worker loads the imaging .wasm from. Default: `mm_imaging_bg.wasm` next to the
   * worker script (read from disk in Node, Bun and Deno; fetched in browsers). A compiled
   * `WebAssembly.Module` is shared with the workers as it is (no second compile).
   */
  wasm?: PoolWasmSource;
  /**
   * The worker script, for bundlers that move files. Default: `imaging-worker-node.js` /
   * `imaging-worker-web.js` next to the entry (`new URL(..., import.meta.url)`).
   */
  workerUrl?: string | URL;
}

export interface MapOptions {
  /**
   * At most this many batches are taken from the source ahead of the consumer: pulled but not yet
   * handed over (being made, or made and waiting their turn). The source is read further only as
   * the consumer takes tensors. Default: twice the number of workers.
   */
  prefetch?: number;
  /**
   * Aborting ends the map at once: the next `next()` throws the signal's reason, and no tensor
   * already made or in flight is delivered after it; the source is stopped.
   */
  signal?: AbortSignal;
}

/** What each entry gives the pool: a started worker, behind one small interface. */
export interface WorkerHandle {
  /** The worker script it runs, as given to `Worker` (named in `WORKER_FAILED` messages). */
  readonly url: string;
  post(message: unknown, transfer: ArrayBuffer[]): void;
  /** Messages, failures (an error event, a message that cannot be read, an exit) from the worker. */
  listen(onMessage: (message: WorkerReply) => void, onFailure: (error: unknown) => void): void;
  /** Keeps the process alive while the worker has work (Node); a no-op elsewhere. */
  busy(busy: boolean): void;
  terminate(): void;
}

export type StartWorker = (options: ImagingPoolOptions) => WorkerHandle;

/** Starts a worker with `start(url)`; a failure to start names the script URL it tried. */
export function startWorkerAt<W>(url: string | URL, start: (url: string | URL) => W): W {
  try {
    return start(url);
  } catch (cause) {
    throw new Error(`from ${String(url)}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** Messages to a worker. */
export type WorkerRequest =
  | { type: 'init'; wasm?: PoolWasmSource | undefined }
  | { type: 'tensor'; id: number; prepared: PreparedBatch }
  | { type: 'verify'; id: number; prepared: PreparedVerify };

/** Messages from a worker. */
export type WorkerReply =
  | { type: 'ready' }
  | { type: 'failed'; error: WireError }
  | { type: 'tensor'; id: number; tensor: BatchTensor | PatchTensor }
  | { type: 'verified'; id: number; rejects: Reject[] }
  | { type: 'error'; id: number; error: WireError };

/** An error as it crosses between threads (a `BatcherError` keeps its code and its fields). */
export interface WireError extends BatcherErrorDetails {
  name: string;
  message: string;
  code?: ErrorCode;
  stack?: string;
}

export function errorToWire(error: unknown): WireError {
  if (error instanceof BatcherError) {
    const { name, message, code, index, option, format, detail } = error;
    return Object.fromEntries(Object.entries({ name, message, code, index, option, format, detail }).filter(([, v]) => v !== undefined)) as unknown as WireError;
  }
  if (error instanceof Error) return { name: error.name, message: error.message, ...(error.stack ? { stack: error.stack } : {}) };
  return { name: 'Error', message: String(error) };
}

function errorFromWire(wire: WireError): Error {
  if (wire.code) {
    const { index, option, format, detail } = wire;
    return new BatcherError(wire.code, wire.message, { index, option, format, detail });
  }
  // Not a BatcherError: a trap in the imaging module (a bug in this library) or the like.
  const error = new Error(`imaging worker: ${wire.name}: ${wire.message}`);
  if (wire.stack) error.stack = `${error.message}\n--- in the worker:\n${wire.stack}`;
  return error;
}

/**
 * One request for a worker: a tensor to make, or images to verify. `prepareAgain` makes the request
 * again to retry it (the first copy's buffers went to the worker that died); `retried` says it was.
 */
type Task = (
  | { kind: 'tensor'; prepared: PreparedBatch; prepareAgain(): PreparedBatch; resolve(tensor: BatchTensor | PatchTensor): void }
  | { kind: 'verify'; prepared: PreparedVerify; prepareAgain(): PreparedVerify; resolve(rejects: Reject[]): void }
) & {
  retried: boolean;
  reject(error: unknown): void;
};

/**
 * `verifyImages` on the pool deals the images out in groups of consecutive images, each group one
 * task for whichever worker is free (so a worker stuck on a 12 MP PNG does not hold the others
 * back): a group closes at this many bytes of encoded data, or at VERIFY_GROUP_IMAGES images, and
 * at most 1/4 of the data per worker so that every worker gets several groups.
 */
const VERIFY_GROUP_BYTES = 8 * 1024 * 1024;
const VERIFY_GROUP_IMAGES = 64;

interface Slot {
  handle: WorkerHandle;
  ready: boolean;
  task: (Task & { id: number }) | undefined;
  /** Last value given to `handle.busy`. */
  held: boolean;
  /** The task's `jobTimeoutMs` timer. */
  timer?: ReturnType<typeof setTimeout>;
}

const positiveInteger = (value: unknown, name: string): number => {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new BatcherError('INVALID_OPTION', `option \`${name}\` must be a whole number >= 1, got ${typeof value === 'number' ? value : typeof value}`, { option: name });
  }
  return value;
};

/**
 * A pool of imaging workers. Made by `createImagingPool`; the same API in every runtime that has
 * workers. Tasks queue until a worker is free; each worker makes one tensor at a time.
 */
export class ImagingPool {
  /** Number of workers. */
  readonly size: number;
  readonly #start: StartWorker;
  readonly #options: ImagingPoolOptions;
  readonly #jobTimeoutMs: number | undefined;
  readonly #slots: Slot[] = [];
  readonly #queue: Task[] = [];
  readonly #readyWaiters: { resolve(): void; reject(error: unknown): void }[] = [];
  #nextId = 0;
  #closed = false;
  #failure: Error | undefined;

  /** @internal Use `createImagingPool`. */
  constructor(start: StartWorker, options: ImagingPoolOptions, defaultWorkers: number) {
    if (typeof options !== 'object' || options === null) {
      throw new BatcherError('INVALID_OPTION', 'option `options` must be an object', { option: 'options' });
    }
    for (const name of Object.keys(options)) {
      if (!['workers', 'wasm', 'workerUrl', 'jobTimeoutMs'].includes(name)) {
        throw new BatcherError('INVALID_OPTION', `unknown option \`${name}\` (createImagingPool takes workers, wasm, workerUrl, jobTimeoutMs)`, { option: name });
      }
    }
    this.size = options.workers === undefined ? Math.min(MAX_POOL_WORKERS, Math.max(1, defaultWorkers)) : positiveInteger(options.workers, 'workers');
    if (this.size > MAX_POOL_WORKERS) {
      throw new BatcherError('INVALID_OPTION', `option \`workers\` must be at most ${MAX_POOL_WORKERS}, got ${this.size}`, { option: 'workers' });
    }
    this.#jobTimeoutMs = options.jobTimeoutMs === undefined ? undefined : positiveInteger(options.jobTimeoutMs, 'jobTimeoutMs');
    if (this.#jobTimeoutMs !== undefined && this.#jobTimeoutMs > 2_147_483_647) {
      throw new BatcherError('INVALID_OPTION', `option \`jobTimeoutMs\` must be at most 2147483647, got ${this.#jobTimeoutMs}`, { option: 'jobTimeoutMs' });
    }
    this.#start = start;
    this.#options = options;
    for (let i = 0; i < this.size; i++) {
      const slot = { ready: false, task: undefined, held: false } as unknown as Slot;
      this.#slots.push(slot);
      try {
        this.#startWorker(slot);
      } catch (error) {
        void this.close();
        throw error;
      }
    }
  }

  /** Starts (or restarts) the worker of `slot`; its failures after it is ready replace it, before that fail the pool. */
  #startWorker(slot: Slot): void {
    let handle: WorkerHandle;
    try {
      handle = this.#start(this.#options);
    } catch (cause) {
      throw new BatcherError('WORKER_FAILED', `could not start an imaging worker: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    }
    slot.handle = handle;
    slot.ready = false;
    slot.held = false;
    handle.listen(
      (message) => {
        if (slot.handle === handle) this.#onMessage(slot, message);
      },
      (error) => {
        if (slot.handle === handle) this.#onWorkerFailure(slot, error);
      },
    );
    handle.post({ type: 'init', wasm: this.#options.wasm } satisfies WorkerRequest, []);
  }

  /**
   * A worker died. One that never became ready fails the pool (a new one would fail alike); one
   * that was working is replaced, and its batch is made again by the next free worker, once: a
   * batch whose second worker dies too rejects with `WORKER_FAILED` and the cause.
   */
  #onWorkerFailure(slot: Slot, error: unknown): void {
    if (this.#closed) return;
    const failure = new BatcherError('WORKER_FAILED', `an imaging worker (${slot.handle.url}) failed: ${describeError(error)}`, { cause: error });
    if (!slot.ready) return this.#fail(failure);
    const task = this.#endTask(slot);
    slot.handle.terminate();
    try {
      this.#startWorker(slot);
    } catch (startError) {
      task?.reject(failure);
      return this.#fail(startError as Error);
    }
    if (task) this.#retry(task, failure);
    this.#dispatch();
  }

  /** Queues a task its worker did not finish again (first in line), or rejects it if it was already retried. */
  #retry(task: Task, failure: BatcherError): void {
    if (task.retried) {
      task.reject(new BatcherError('WORKER_FAILED', `${failure.message} (on this batch's second attempt: not retried again)`, { cause: failure.cause }));
      return;
    }
    try {
      this.#queue.unshift({ ...task, prepared: task.prepareAgain(), retried: true } as Task);
    } catch (error) {
      task.reject(error);
    }
  }

  /** Takes `slot`'s task off it (and its timer). */
  #endTask(slot: Slot): (Task & { id: number }) | undefined {
    const task = slot.task;
    slot.task = undefined;
    if (slot.timer !== undefined) clearTimeout(slot.timer);
    slot.timer = undefined;
    return task;
  }

  /** `jobTimeoutMs` passed: the batch rejects with `TIMEOUT`, and its worker is stopped and replaced. */
  #onJobTimeout(slot: Slot): void {
    const task = this.#endTask(slot);
    if (!task || this.#closed) return;
    task.reject(new BatcherError('TIMEOUT', `the imaging worker did not make this batch within jobTimeoutMs (${this.#jobTimeoutMs} ms); the worker was stopped and replaced`));
    slot.handle.terminate();
    try {
      this.#startWorker(slot);
    } catch (error) {
      return this.#fail(error as Error);
    }
    this.#dispatch();
  }

  /** Resolves once every worker has loaded the imaging module (rejects if one cannot). Optional: tasks wait anyway. */
  ready(): Promise<void> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#closed) return Promise.reject(new BatcherError('WORKER_FAILED', 'this imaging pool is closed'));
    if (this.#slots.every((s) => s.ready)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#readyWaiters.push({ resolve, reject });
      this.#hold();
    });
  }

  /**
   * One batch to a tensor, in a worker: `toTensor`'s result, bit for bit. Options are checked and
   * the images packed here (a refused image rejects at once, as `toTensor` throws); decoding,
   * resizing and normalising happen in the worker. Errors are `BatcherError`s with the sample's
   * `index` (or the `option`), as from `toTensor`.
   */
  toTensor<O extends TensorOptions = {}>(batch: TensorBatchInput, options?: O): Promise<TensorFor<O>> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#closed) return Promise.reject(new BatcherError('WORKER_FAILED', 'this imaging pool is closed'));
    let prepared: PreparedBatch;
    try {
      prepared = prepareBatch(batch, options ?? {});
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise<TensorFor<O>>((resolve, reject) => {
      this.#queue.push({ kind: 'tensor', prepared, prepareAgain: () => prepareBatch(batch, options ?? {}), retried: false, resolve: (t) => resolve(t as TensorFor<O>), reject });
      this.#dispatch();
    });
  }

  /**
   * `verifyImages` on every worker: decodes every image whole and resolves to the problems
   * (truncated, corrupt, unsupported or too large files) as rejects, by index, exactly as
   * `verifyImages` gives them. The images are dealt to the workers in groups by encoded size, each
   * group to whichever worker is free; their bytes are copied once (as for `toTensor`), never detached.
   */
  verifyImages(images: readonly unknown[], options: VerifyOptions = {}): Promise<Reject[]> {
    if (this.#failure) return Promise.reject(this.#failure);
    if (this.#closed) return Promise.reject(new BatcherError('WORKER_FAILED', 'this imaging pool is closed'));
    if (!Array.isArray(images)) return Promise.reject(new BatcherError('INVALID_INPUT', 'verifyImages takes an array of images'));
    const size = (image: unknown) => (image instanceof ArrayBuffer || ArrayBuffer.isView(image) ? image.byteLength : 0);
    const total = images.reduce((sum: number, image) => sum + size(image), 0);
    const limit = Math.max(1, Math.min(VERIFY_GROUP_BYTES, total / (4 * this.size)));
    const groups: { prepared: PreparedVerify; prepareAgain(): PreparedVerify }[] = [];
    let start = 0;
    let bytes = 0;
    try {
      for (let i = 0; i < images.length; i++) {
        bytes += size(images[i]);
        if (bytes >= limit || i + 1 - start >= VERIFY_GROUP_IMAGES || i + 1 === images.length) {
          const indices = Array.from({ length: i + 1 - start }, (_, k) => start + k);
          const group = images.slice(start, i + 1);
          groups.push({ prepared: prepareVerify(group, indices, options), prepareAgain: () => prepareVerify(group, indices, options) });
          start = i + 1;
          bytes = 0;
        }
      }
    } catch (error) {
      return Promise.reject(error);
    }
    const verified = groups.map(
      ({ prepared, prepareAgain }) =>
        new Promise<Reject[]>((resolve, reject) => {
          this.#queue.push({ kind: 'verify', prepared, prepareAgain, retried: false, resolve, reject });
        }),
    );
    this.#dispatch();
    return Promise.all(verified).then((parts) => parts.flat().sort((a, b) => a.index - b.index));
  }

  /**
   * Tensors for a stream of batches (`batchStream(...)`, an array, a `ReadableStream`), in the
   * source's order, made in the workers in parallel. At most `prefetch` batches are pulled ahead of
   * the consumer; the source is read further only as tensors are taken (backpressure). A failed
   * batch throws at its place in the order (the tensors before it are delivered first). Stopping
   * early (`break`) stops reading the source (its `return()` / the stream's `cancel()`).
   */
  map<O extends TensorOptions = {}>(
    batches: Iterable<TensorBatchInput> | AsyncIterable<TensorBatchInput> | ReadableStream<TensorBatchInput>,
    options?: O,
    mapOptions: MapOptions = {},
  ): AsyncGenerator<TensorFor<O>, void, undefined> {
    const prefetch = mapOptions.prefetch === undefined ? 2 * this.size : positiveInteger(mapOptions.prefetch, 'prefetch');
    const signal = mapOptions.signal;
    if (signal !== undefined && !(typeof AbortSignal !== 'undefined' && signal instanceof AbortSignal)) {
      throw new BatcherError('INVALID_OPTION', 'option `signal` must be an AbortSignal', { option: 'signal' });
    }
    const iterator = asyncIteratorOf(batches);
    return orderedMap(iterator, (batch) => this.toTensor(batch, options), prefetch, signal);
  }

  /**
   * Stops the workers. Tasks not yet finished reject with `WORKER_FAILED`; later calls reject too.
   * Resolves when the workers have been told to stop.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    const error = new BatcherError('WORKER_FAILED', 'this imaging pool was closed before the batch was made');
    for (const slot of this.#slots) {
      this.#endTask(slot)?.reject(error);
      slot.handle?.terminate();
    }
    for (const task of this.#queue.splice(0)) task.reject(error);
    for (const waiter of this.#readyWaiters.splice(0)) waiter.reject(error);
  }

  #onMessage(slot: Slot, message: WorkerReply): void {
    const url = slot.handle.url;
    switch (message.type) {
      case 'ready':
        slot.ready = true;
        if (this.#slots.every((s) => s.ready)) for (const waiter of this.#readyWaiters.splice(0)) waiter.resolve();
        this.#dispatch();
        return;
      case 'failed':
        this.#fail(new BatcherError('WORKER_FAILED', `an imaging worker (${url}) could not load the imaging module: ${message.error.message}`, { cause: errorFromWire(message.error) }));
        return;
      case 'tensor':
      case 'verified':
      case 'error': {
        if (!slot.task || slot.task.id !== message.id) return;
        const task = this.#endTask(slot)!;
        if (message.type === 'tensor' && task.kind === 'tensor') task.resolve(message.tensor);
        else if (message.type === 'verified' && task.kind === 'verify') task.resolve(message.rejects);
        else if (message.type === 'error') task.reject(errorFromWire(message.error));
        else task.reject(new Error(`imaging worker: a ${message.type} reply to a ${task.kind} request`));
        this.#dispatch();
        return;
      }
    }
  }

  /** A worker died or could not start: the pool is unusable; everything waiting rejects with why. */
  #fail(error: Error): void {
    if (this.#closed) return;
    this.#failure ??= error;
    for (const slot of this.#slots) this.#endTask(slot)?.reject(error);
    for (const task of this.#queue.splice(0)) task.reject(error);
    for (const waiter of this.#readyWaiters.splice(0)) waiter.reject(error);
    void this.close();
  }

  #dispatch(): void {
    for (const slot of this.#slots) {
      if (this.#queue.length === 0) break;
      if (!slot.ready || slot.task) continue;
      const task = this.#queue.shift() as Task;
      const id = ++this.#nextId;
      slot.task = { ...task, id };
      try {
        const request: WorkerRequest = task.kind === 'tensor' ? { type: 'tensor', id, prepared: task.prepared } : { type: 'verify', id, prepared: task.prepared };
        slot.handle.post(request, preparedBuffers(task.prepared));
      } catch (error) {
        slot.task = undefined;
        task.reject(error);
        continue;
      }
      if (this.#jobTimeoutMs !== undefined) slot.timer = setTimeout(() => this.#onJobTimeout(slot), this.#jobTimeoutMs);
    }
    this.#hold();
  }

  /**
   * Keeps the process alive (Node) while there is work: a worker with a task, or one still
   * starting while tasks (or `ready()`) wait for it. An idle pool holds nothing.
   */
  #hold(): void {
    const waiting = (this.#queue.length > 0 || this.#readyWaiters.length > 0) && !this.#closed;
    for (const slot of this.#slots) {
      const held = slot.task !== undefined || (waiting && !slot.ready);
      if (held !== slot.held) {
        slot.held = held;
        slot.handle.busy(held);
      }
    }
  }
}

function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  if (typeof error === 'object' && error !== null && 'message' in error) return String((error as { message: unknown }).message);
  return String(error);
}

/** Any source of batches as an async iterator (read through `pullFrom`; `return()` stops the source). */
function asyncIteratorOf<T>(source: Iterable<T> | AsyncIterable<T> | ReadableStream<T>): AsyncIterator<T> {
  const pull = pullFrom<T>(source);
  if (!pull) {
    throw new BatcherError(
      'INVALID_INPUT',
      `pool.map takes batches: an Iterable (an array), an AsyncIterable (batchStream) or a ReadableStream, got ${source === null ? 'null' : typeof source}`,
    );
  }
  return {
    next: () => pull.next(),
    return: async () => {
      await pull.stop();
      return { done: true, value: undefined };
    },
  };
}

/**
 * `run` over the source in order, with at most `prefetch` items pulled and not yet handed to the
 * consumer. The source is pulled by a pump running beside the consumer, so a tensor already made
 * is handed over while the next batch is being read.
 */
async function* orderedMap<T, R>(source: AsyncIterator<T>, run: (item: T) => Promise<R>, prefetch: number, signal?: AbortSignal): AsyncGenerator<R, void, undefined> {
  const pending: Promise<R>[] = [];
  let sourceDone = false;
  let sourceFailed = false;
  let sourceError: unknown;
  let stopped = false;
  let wakeConsumer: (() => void) | undefined;
  let wakePump: (() => void) | undefined;
  const signalConsumer = () => {
    const wake = wakeConsumer;
    wakeConsumer = undefined;
    wake?.();
  };
  const pump = async () => {
    try {
      while (!stopped) {
        if (pending.length >= prefetch) {
          await new Promise<void>((resolve) => (wakePump = resolve));
          continue;
        }
        const next = await source.next();
        if (next.done || stopped) break;
        const result = run(next.value);
        result.catch(() => {}); // handled when the consumer reaches it
        pending.push(result);
        signalConsumer();
      }
    } catch (error) {
      sourceFailed = true;
      sourceError = error;
    } finally {
      sourceDone = true;
      signalConsumer();
    }
  };
  // Aborted: nothing more is handed over, whatever is made or in flight (the waits below race it).
  let onAbort: (() => void) | undefined;
  const aborted = signal === undefined ? undefined : new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason ?? new Error('aborted'));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted?.catch(() => {});
  const orAbort = <V>(p: Promise<V>): Promise<V> => (aborted ? Promise.race([p, aborted]) : p);
  void pump();
  try {
    for (;;) {
      if (signal?.aborted) throw signal.reason ?? new Error('aborted');
      const head = pending[0];
      if (head === undefined) {
        if (sourceDone) {
          if (sourceFailed) throw sourceError;
          return;
        }
        await orAbort(new Promise<void>((resolve) => (wakeConsumer = resolve)));
        continue;
      }
      // The source was aborted (an AbortError): what it gave before is not delivered after it.
      if (sourceFailed && (sourceError as { name?: unknown })?.name === 'AbortError') throw sourceError;
      const value = await orAbort(head);
      if (signal?.aborted) throw signal.reason ?? new Error('aborted');
      pending.shift();
      const wake = wakePump;
      wakePump = undefined;
      wake?.();
      yield value;
    }
  } finally {
    if (onAbort) signal?.removeEventListener('abort', onAbort);
    stopped = true;
    const wake = wakePump;
    wakePump = undefined;
    wake?.();
    if (!sourceDone) await source.return?.();
  }
}
