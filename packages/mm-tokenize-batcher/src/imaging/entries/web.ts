// `mm-tokenize-batcher/imaging` for browsers and other hosts with fetch: `await initImaging()`
// fetches the imaging .wasm next to this file (or from the source you pass) and compiles it.
import { initImagingFrom, type ImagingInput } from '../wasm.js';

/**
 * Loads the imaging WebAssembly module (codecs and resizer). Call once before `toTensor`; later
 * calls return at once. Pass a URL, `Response`, bytes or a `WebAssembly.Module` to load it from elsewhere.
 */
export async function initImaging(source?: ImagingInput): Promise<void> {
  await initImagingFrom(source ?? new URL('./mm_imaging_bg.wasm', import.meta.url));
}

export * from '../api.js';
