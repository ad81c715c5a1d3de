// Planning off the main thread with Node's worker_threads (Bun and Deno run it too).
// The worker gets image sizes (a transferable Float64Array, [width, height] pairs), plans them and
// answers with indices and sizes only; the caller (../planner.js) maps indices back to its samples.
import { parentPort } from 'node:worker_threads';
// Every registered strategy, by name (`createBatcher` reads the library's registry).
import { createBatcher } from 'mm-tokenize-batcher';

parentPort.on('message', ({ id, strategy, options, sizes }) => {
  try {
    const buffer = [];
    for (let i = 0; i < sizes.length; i += 2) buffer.push({ image: { width: sizes[i], height: sizes[i + 1] } });
    const batches = createBatcher(strategy, options).batch(buffer);
    parentPort.postMessage({
      id,
      batches: batches.map(({ indices, resizeSize }) => ({ indices, resizeSize })),
      rejects: batches.rejects,
    });
  } catch (error) {
    parentPort.postMessage({ id, error: { name: error.name, code: error.code, index: error.index, message: error.message } });
  }
});
