// `mm-tokenize-batcher/imaging` for Vercel Edge / Next.js middleware (`edge-light`): like workerd,
// no compiling from bytes at run time; `?module` makes the bundler hand over a compiled module.
import wasmModule from './mm_imaging_bg.wasm?module';
import { initImagingSync } from '../wasm.js';

initImagingSync(wasmModule);

/** Already initialised on import here; kept so code is the same in every runtime. */
export async function initImaging(): Promise<void> {}

export * from '../api.js';
