// Cloudflare workerd (Workers, Wrangler, Miniflare): compiling wasm from bytes at run time is
// refused there, so the .wasm is imported as a module (Wrangler and workerd hand the import over
// as a compiled `WebAssembly.Module`) and instantiated synchronously at import.
import wasmModule from './mm_batcher_bg.wasm';
import { initSync } from '../wasm.js';

initSync(wasmModule);

/** Already initialised on import here; kept so code is the same in every runtime. */
export async function init(): Promise<void> {}

export * from '../api.js';
