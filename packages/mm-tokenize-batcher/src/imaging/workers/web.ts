// The imaging worker for module Web Workers (browsers): dist/imaging-worker-web.js, started by
// `createImagingPool` from `mm-tokenize-batcher/imaging`'s web entry. Fetches the imaging .wasm
// next to this file (or the pool's `wasm` option) and compiles it.
import { initImagingFrom } from '../wasm.js';
import { serveImaging } from './serve.js';
import type { WorkerReply, WorkerRequest } from '../pool.js';

interface WorkerScope {
  postMessage(message: unknown, transfer: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
}
const scope = globalThis as unknown as WorkerScope;

serveImaging(
  {
    post: (message: WorkerReply, transfer) => scope.postMessage(message, transfer),
    listen: (onMessage) => scope.addEventListener('message', (event) => onMessage(event.data as WorkerRequest)),
  },
  (wasm) => initImagingFrom(wasm ?? new URL('./mm_imaging_bg.wasm', import.meta.url)),
);
