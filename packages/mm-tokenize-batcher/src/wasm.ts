// The one place that holds the instantiated module. Entries (node.ts, web.ts) differ only in how
// they obtain the wasm bytes; everything else reaches the exports through `wasm()`.
import initAsync, { initSync as initFromModule, type InitInput } from '../wasm/mm_batcher.js';
import * as bindings from '../wasm/mm_batcher.js';
import { BatcherError } from './errors.js';

let ready = false;

export type WasmSource = BufferSource | WebAssembly.Module;

/** Initialises from bytes or a compiled module, synchronously (custom hosts, workerd, Node). */
export function initSync(source: WasmSource): void {
  if (ready) return;
  initFromModule({ module: source });
  ready = true;
}

/** Where `init()` may load the module from: a URL, a `Response`, bytes or a compiled module. */
export type WasmInput = InitInput | Promise<InitInput>;

/** Initialises from a URL, `Response` or bytes; compiles while streaming where the host can. */
export async function initFrom(source: WasmInput): Promise<void> {
  if (ready) return;
  await initAsync({ module_or_path: source });
  ready = true;
}

export function wasm(): typeof bindings {
  if (!ready) {
    throw new BatcherError(
      'NOT_INITIALIZED',
      'mm-tokenize-batcher: the WebAssembly module is not initialised; call `await init()` once before planning',
    );
  }
  return bindings;
}
