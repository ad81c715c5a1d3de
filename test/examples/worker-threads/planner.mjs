// The main-thread side: `planInWorker(worker, strategy, options, samples)` resolves to the same
// batches `new XBatcher(options).batch(samples)` gives (images, texts, samples, indices,
// resizeSize, and `rejects`), planned in the worker. Options must be structured-cloneable, so a
// SortedBatcher `key` function cannot cross: sort by 'aspect' or 'area' there, or plan on the
// main thread.
let nextId = 0;

export function planInWorker(worker, strategy, options, samples) {
  const id = nextId++;
  const sizes = new Float64Array(samples.length * 2);
  samples.forEach((sample, i) => {
    sizes[2 * i] = sample?.image?.width ?? Number.NaN;
    sizes[2 * i + 1] = sample?.image?.height ?? Number.NaN;
  });
  return new Promise((resolve, reject) => {
    const onMessage = (message) => {
      if (message.id !== id) return;
      worker.off('message', onMessage);
      if (message.error) return reject(Object.assign(new Error(message.error.message), message.error));
      const batches = message.batches.map(({ indices, resizeSize }) => {
        const batchSamples = indices.map((i) => samples[i]);
        return { images: batchSamples.map((s) => s.image), texts: batchSamples.map((s) => s.text), samples: batchSamples, indices, resizeSize };
      });
      resolve(Object.assign(batches, { rejects: message.rejects }));
    };
    worker.on('message', onMessage);
    worker.postMessage({ id, strategy, options, sizes }, [sizes.buffer]);
  });
}
