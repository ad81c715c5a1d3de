// `mm-tokenize-batcher/imaging` for Node.js, Bun and Deno: reads the imaging .wasm next to this
// file and instantiates it at import, so `initImaging()` is already done.
import { readFileSync } from 'node:fs';
import { initImagingSync } from '../wasm.js';

initImagingSync(readFileSync(new URL('./mm_imaging_bg.wasm', import.meta.url)));

/** Already initialised on import here; kept so code is the same in every runtime. */
export async function initImaging(): Promise<void> {}

export * from '../api.js';
