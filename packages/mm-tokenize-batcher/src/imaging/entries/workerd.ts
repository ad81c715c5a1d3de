// `mm-tokenize-batcher/imaging` for Cloudflare workerd (Workers, Wrangler, Miniflare): compiling
// wasm from bytes at run time is refused there, so the imaging .wasm is imported as a module
// (handed over as a compiled `WebAssembly.Module`) and instantiated synchronously at import.
import wasmModule from './mm_imaging_bg.wasm';
import { initImagingSync } from '../wasm.js';

initImagingSync(wasmModule);

/** Already initialised on import here; kept so code is the same in every runtime. */
export async function initImaging(): Promise<void> {}

export * from '../api.js';
