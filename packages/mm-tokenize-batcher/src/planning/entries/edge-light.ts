// Vercel Edge / Next.js middleware (`edge-light`): like workerd, no compiling from bytes at run
// time; the `?module` suffix makes the bundler hand over a compiled `WebAssembly.Module`.
import wasmModule from './mm_batcher_bg.wasm?module';
import { initSync } from '../wasm.js';

initSync(wasmModule);

/** Already initialised on import here; kept so code is the same in every runtime. */
export async function init(): Promise<void> {}

export * from '../api.js';
