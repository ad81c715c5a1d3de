// Browsers and other hosts with fetch: nothing happens at import; `await init()` fetches the
// .wasm next to this file and compiles it while it streams.
import { initFrom, type WasmInput } from '../wasm.js';

/**
 * Loads the WebAssembly module. Call once before creating a batcher; later calls return at once.
 * Pass a URL, `Response`, bytes or a `WebAssembly.Module` to load it from elsewhere.
 */
export async function init(source?: WasmInput): Promise<void> {
  await initFrom(source ?? new URL('./mm_batcher_bg.wasm', import.meta.url));
}

export * from '../api.js';
