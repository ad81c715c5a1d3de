// `mm-tokenize-batcher/imaging` for Node.js, Bun and Deno: reads the imaging .wasm next to this
// file and instantiates it at import, so `initImaging()` is already done. `createImagingPool`
// starts worker_threads running imaging-worker-node.js (next to this file).
import { readFileSync } from 'node:fs';
import * as os from 'node:os';
import { Worker } from 'node:worker_threads';
import { initImagingSync } from '../wasm.js';
import { ImagingPool, startWorkerAt, type ImagingPoolOptions, type WorkerHandle, type WorkerReply } from '../pool.js';

initImagingSync(readFileSync(new URL('./mm_imaging_bg.wasm', import.meta.url)));

/** Already initialised on import here; kept so code is the same in every runtime. */
export async function initImaging(): Promise<void> {}

/** The parent's Node flags, less those that apply to a main script only (`node --input-type=module -e ...`). */
function workerExecArgv(): string[] | undefined {
  const argv = globalThis.process?.execArgv;
  if (!Array.isArray(argv)) return undefined;
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--input-type') i++;
    else if (!arg.startsWith('--input-type=')) out.push(arg);
  }
  return out;
}

function startWorker(options: ImagingPoolOptions): WorkerHandle {
  const given = options.workerUrl;
  // A file path, a file: URL (string or URL) or the script next to this file.
  const url = given === undefined ? new URL('./imaging-worker-node.js', import.meta.url) : typeof given === 'string' && !given.startsWith('file:') ? given : new URL(String(given));
  const execArgv = workerExecArgv();
  const worker = startWorkerAt(url, (u) => new Worker(u, execArgv ? { execArgv } : {}));
  return {
    url: String(url),
    post: (message, transfer) => worker.postMessage(message, transfer),
    listen(onMessage, onFailure) {
      worker.on('message', (message: WorkerReply) => onMessage(message));
      worker.on('error', onFailure);
      worker.on('messageerror', onFailure);
      worker.on('exit', (code) => onFailure(new Error(`the worker exited (code ${code})`)));
      // An idle pool does not keep the process alive; a busy one does (see `busy`). After the
      // listeners: adding a 'message' listener refs the worker's port again.
      worker.unref();
    },
    busy: (busy) => (busy ? worker.ref() : worker.unref()),
    terminate: () => void worker.terminate(),
  };
}

/**
 * A pool of imaging workers (worker_threads here): `pool.toTensor(batch, options)` makes one batch's
 * tensor in a worker, `pool.map(batches, options, { prefetch })` an ordered stream of them; `await
 * pool.close()` when done. An idle pool does not keep the process alive.
 */
export function createImagingPool(options: ImagingPoolOptions = {}): ImagingPool {
  const cores = typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length;
  return new ImagingPool(startWorker, options, cores);
}

export * from '../api.js';
