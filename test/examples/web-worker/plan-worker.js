// Planning off the main thread in a browser: a module Web Worker. With Vite (or any bundler that
// understands `new Worker(new URL(...), { type: 'module' })`) no configuration is needed.
// Same protocol as ../worker-threads/plan-worker.mjs: sizes in, indices and sizes out; the page
// calls it through ../planner.js.
// Every registered strategy, by name (`createBatcher` reads the library's registry).
import { createBatcher, init } from 'mm-tokenize-batcher';

const ready = init(); // fetches and compiles the .wasm once, in the worker

self.onmessage = async ({ data: { id, strategy, options, sizes } }) => {
  try {
    await ready;
    const buffer = [];
    for (let i = 0; i < sizes.length; i += 2) buffer.push({ image: { width: sizes[i], height: sizes[i + 1] } });
    const batches = createBatcher(strategy, options).batch(buffer);
    self.postMessage({ id, batches: batches.map(({ indices, resizeSize }) => ({ indices, resizeSize })), rejects: batches.rejects });
  } catch (error) {
    self.postMessage({ id, error: { name: error.name, code: error.code, index: error.index, message: error.message } });
  }
};
