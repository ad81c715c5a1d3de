// The calling side of the worker examples, for a browser `Worker` and for Node's worker_threads
// `Worker` alike: `planInWorker(worker, strategy, options, samples)` resolves to the batches
// `new XBatcher(options).batch(samples)` gives (images, texts, samples, indices, resizeSize, and
// `rejects`), planned in the worker (web-worker/plan-worker.js, worker-threads/plan-worker.mjs).
// Only image sizes cross (one transferable Float64Array); indices map back to your samples.
// Options must be structured-cloneable: a SortedBatcher `key` function cannot cross.
let nextId = 0;

export function planInWorker(worker, strategy, options, samples) {
  const id = nextId++;
  const sizes = new Float64Array(samples.length * 2);
  samples.forEach((sample, i) => {
    sizes[2 * i] = sample?.image?.width ?? Number.NaN;
    sizes[2 * i + 1] = sample?.image?.height ?? Number.NaN;
  });
  // Node's worker_threads Worker is an EventEmitter (data as is); a browser Worker an EventTarget.
  const node = typeof worker.on === 'function';
  return new Promise((resolve, reject) => {
    const onMessage = (event) => {
      const message = node ? event : event.data;
      if (message.id !== id) return;
      node ? worker.off('message', onMessage) : worker.removeEventListener('message', onMessage);
      if (message.error) return reject(Object.assign(new Error(message.error.message), message.error));
      const batches = message.batches.map(({ indices, resizeSize }) => {
        const batchSamples = indices.map((i) => samples[i]);
        return { images: batchSamples.map((s) => s.image), texts: batchSamples.map((s) => s.text), samples: batchSamples, indices, resizeSize };
      });
      resolve(Object.assign(batches, { rejects: message.rejects }));
    };
    node ? worker.on('message', onMessage) : worker.addEventListener('message', onMessage);
    worker.postMessage({ id, strategy, options, sizes }, [sizes.buffer]);
  });
}
