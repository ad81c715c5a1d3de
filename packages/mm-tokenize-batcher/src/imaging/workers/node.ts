// The imaging worker for worker_threads (Node, Bun, Deno): dist/imaging-worker-node.js, started
// by `createImagingPool` from `mm-tokenize-batcher/imaging`'s Node entry. Reads the imaging .wasm
// next to this file, as the entry does.
import { readFileSync } from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { initImagingSync } from '../wasm.js';
import { serveImaging } from './serve.js';
import type { WorkerRequest } from '../pool.js';

const port = parentPort;
if (!port) throw new Error('imaging-worker-node.js runs inside a worker_threads Worker (createImagingPool starts it)');

serveImaging(
  {
    post: (message, transfer) => port.postMessage(message, transfer),
    listen: (onMessage) => port.on('message', (message: WorkerRequest) => onMessage(message)),
  },
  (wasm) => {
    if (wasm instanceof WebAssembly.Module) initImagingSync(wasm);
    else if (wasm === undefined) initImagingSync(readFileSync(new URL('./mm_imaging_bg.wasm', import.meta.url)));
    else initImagingSync(readFileSync(typeof wasm === 'string' && !wasm.startsWith('file:') ? wasm : new URL(String(wasm))));
  },
);
