// Node.js, Bun and Deno: read the .wasm next to this file and instantiate it at import, so
// `init()` is already done. (Node cannot fetch file:// URLs; bytes work everywhere.)
import { readFileSync } from 'node:fs';
import { initSync } from '../wasm.js';

initSync(readFileSync(new URL('./mm_batcher_bg.wasm', import.meta.url)));

/** Already initialised on import here; kept so code is the same in every runtime. */
export async function init(): Promise<void> {}

export * from '../api.js';
// Node, Bun and Deno only (the other entries never import node:fs).
export { imageSizesFromFiles, type FileSizesOptions, type FileSize, type FileReject, type FileSizes } from '../../headers/files.js';
