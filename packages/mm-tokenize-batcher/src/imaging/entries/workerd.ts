// `mm-tokenize-batcher/imaging` for Cloudflare workerd (Workers, Wrangler, Miniflare): compiling
// wasm from bytes at run time is refused there, so the imaging .wasm is imported as a module
// (handed over as a compiled `WebAssembly.Module`) and instantiated synchronously at import.
import wasmModule from './mm_imaging_bg.wasm';
import { initImagingSync } from '../wasm.js';
import { BatcherError } from '../../shared/errors.js';
import type { ImagingPool, ImagingPoolOptions } from '../pool.js';

initImagingSync(wasmModule);

/** Already initialised on import here; kept so code is the same in every runtime. */
export async function initImaging(): Promise<void> {}

/**
 * Imaging pools need worker threads, which this runtime does not have: throws `BatcherError`
 * `UNSUPPORTED_RUNTIME`. Use `toTensor` / `batchTensors` here (one batch per call, on this thread).
 */
export function createImagingPool(_options: ImagingPoolOptions = {}): ImagingPool {
  throw new BatcherError(
    'UNSUPPORTED_RUNTIME',
    'createImagingPool needs worker threads, which Cloudflare workerd does not have; use toTensor / batchTensors here (one batch per call, on this thread)',
  );
}

export * from '../api.js';
