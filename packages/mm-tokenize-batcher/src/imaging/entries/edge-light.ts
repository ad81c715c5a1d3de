// `mm-tokenize-batcher/imaging` for Vercel Edge / Next.js middleware (`edge-light`): like workerd,
// no compiling from bytes at run time; `?module` makes the bundler hand over a compiled module.
import wasmModule from './mm_imaging_bg.wasm?module';
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
    'createImagingPool needs worker threads, which Vercel Edge (edge-light) does not have; use toTensor / batchTensors here (one batch per call, on this thread)',
  );
}

export * from '../api.js';
