// `mm-tokenize-batcher/imaging` for browsers and other hosts with fetch: `await initImaging()`
// fetches the imaging .wasm next to this file (or from the source you pass) and compiles it.
// `createImagingPool` starts module Web Workers running imaging-worker-web.js (next to this file).
import { BatcherError } from '../../shared/errors.js';
import { initImagingFrom, type ImagingInput } from '../wasm.js';
import { ImagingPool, startWorkerAt, type ImagingPoolOptions, type WorkerHandle, type WorkerReply } from '../pool.js';

/**
 * Loads the imaging WebAssembly module (codecs and resizer). Call once before `toTensor`; later
 * calls return at once. Pass a URL, `Response`, bytes or a `WebAssembly.Module` to load it from elsewhere.
 */
export async function initImaging(source?: ImagingInput): Promise<void> {
  await initImagingFrom(source ?? new URL('./mm_imaging_bg.wasm', import.meta.url));
}

function startWorker(options: ImagingPoolOptions): WorkerHandle {
  // Written out in full so bundlers (Vite, webpack 5, Parcel) find the worker script and emit it.
  const url = options.workerUrl ?? new URL('./imaging-worker-web.js', import.meta.url);
  const worker =
    options.workerUrl === undefined
      ? startWorkerAt(url, () => new Worker(new URL('./imaging-worker-web.js', import.meta.url), { type: 'module' }))
      : startWorkerAt(url, (u) => new Worker(u, { type: 'module' }));
  return {
    url: String(url),
    post: (message, transfer) => worker.postMessage(message, transfer),
    listen(onMessage, onFailure) {
      worker.addEventListener('message', (event: MessageEvent) => onMessage(event.data as WorkerReply));
      worker.addEventListener('error', (event: ErrorEvent) => onFailure(new Error(event.message || 'the worker script could not be loaded or threw (a 404, a script that is not an ES module, or one that imports files not copied beside it)')));
      worker.addEventListener('messageerror', () => onFailure(new Error('a message from the worker could not be read')));
    },
    busy() {},
    terminate: () => worker.terminate(),
  };
}

/**
 * A pool of imaging workers (module Web Workers here): `pool.toTensor(batch, options)` makes one
 * batch's tensor in a worker, `pool.map(batches, options, { prefetch })` an ordered stream of
 * them; `await pool.close()` when done.
 */
export function createImagingPool(options: ImagingPoolOptions = {}): ImagingPool {
  if (typeof Worker !== 'function') {
    throw new BatcherError('UNSUPPORTED_RUNTIME', 'createImagingPool needs Web Workers (`Worker`), which this runtime lacks; use toTensor / batchTensors on this thread');
  }
  const cores = typeof navigator !== 'undefined' && navigator.hardwareConcurrency > 0 ? navigator.hardwareConcurrency : 4;
  return new ImagingPool(startWorker, options, cores);
}

export * from '../api.js';
