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

/**
 * The parent's Node flags, each with its value (`--title x` is one), less those for a main script
 * only (`--input-type`, from `node --input-type=module -e ...`). Passed explicitly, since an
 * inherited `--input-type` stops the worker; but then Node refuses V8 and per-process flags
 * (`--max-old-space-size`, `--expose-gc`, `--stack-size`, `--title`, ...), so see `acceptedExecArgv`.
 */
function parentFlags(): string[][] | undefined {
  const argv = globalThis.process?.execArgv;
  if (!Array.isArray(argv)) return undefined;
  const flags: string[][] = [];
  for (const arg of argv as string[]) {
    if (!arg.startsWith('-') && flags.length > 0) flags[flags.length - 1]!.push(arg);
    else flags.push([arg]);
  }
  return flags.filter((f) => f[0] !== '--input-type' && !f[0]!.startsWith('--input-type='));
}

/** The flags given to every worker: the parent's, less those a worker refuses (found once, on the first refusal). */
let workerFlags: string[] | undefined;

/** Keeps the flags a worker accepts, trying each alone in a worker that exits at once (only after a refusal). */
function acceptedExecArgv(flags: string[][]): string[] {
  return flags
    .filter((flag) => {
      try {
        void new Worker('', { eval: true, execArgv: flag }).terminate();
        return true;
      } catch (error) {
        return (error as { code?: string }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV';
      }
    })
    .flat();
}

/** A worker with the parent's flags that a worker accepts. */
function newWorker(url: string | URL): Worker {
  const flags = parentFlags();
  if (!flags) return new Worker(url);
  workerFlags ??= flags.flat();
  try {
    return new Worker(url, { execArgv: workerFlags });
  } catch (error) {
    if ((error as { code?: string }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw error;
    workerFlags = acceptedExecArgv(flags);
    return new Worker(url, { execArgv: workerFlags });
  }
}

function startWorker(options: ImagingPoolOptions): WorkerHandle {
  const given = options.workerUrl;
  // A file path, a file: URL (string or URL) or the script next to this file.
  const url = given === undefined ? new URL('./imaging-worker-node.js', import.meta.url) : typeof given === 'string' && !given.startsWith('file:') ? given : new URL(String(given));
  const worker = startWorkerAt(url, newWorker);
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
