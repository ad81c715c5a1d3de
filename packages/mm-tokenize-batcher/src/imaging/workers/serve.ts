// The inside of an imaging worker, the same for worker_threads and Web Workers: load the imaging
// module when told, then make one tensor per request and send it back, its buffer transferred (or
// verify a group of images and send back their rejects).
import { tensorOfPrepared, verifyPrepared } from '../tensor.js';
import { errorToWire, type PoolWasmSource, type WorkerReply, type WorkerRequest } from '../pool.js';

export interface WorkerPort {
  post(message: WorkerReply, transfer: ArrayBuffer[]): void;
  listen(onMessage: (message: WorkerRequest) => void): void;
}

/** `load` initialises this thread's imaging module from the pool's `wasm` option, or from the default file. */
export function serveImaging(port: WorkerPort, load: (wasm: PoolWasmSource | undefined) => void | Promise<void>): void {
  port.listen((message) => {
    if (message.type === 'init') {
      Promise.resolve()
        .then(() => load(message.wasm))
        .then(
          () => port.post({ type: 'ready' }, []),
          (error: unknown) => port.post({ type: 'failed', error: errorToWire(error) }, []),
        );
      return;
    }
    if (message.type === 'tensor') {
      let reply: WorkerReply;
      let transfer: ArrayBuffer[] = [];
      try {
        const tensor = tensorOfPrepared(message.prepared);
        reply = { type: 'tensor', id: message.id, tensor };
        // The data is a fresh copy out of wasm memory, owned by nobody else: hand it over.
        const buffer = tensor.data.buffer as ArrayBuffer;
        if (tensor.data.byteOffset === 0 && tensor.data.byteLength === buffer.byteLength) transfer = [buffer];
      } catch (error) {
        reply = { type: 'error', id: message.id, error: errorToWire(error) };
      }
      port.post(reply, transfer);
    }
    if (message.type === 'verify') {
      let reply: WorkerReply;
      try {
        reply = { type: 'verified', id: message.id, rejects: verifyPrepared(message.prepared) };
      } catch (error) {
        reply = { type: 'error', id: message.id, error: errorToWire(error) };
      }
      port.post(reply, []);
    }
  });
}
