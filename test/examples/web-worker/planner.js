// The page's side: `planInWorker(worker, strategy, options, samples)` resolves to the batches
// `new XBatcher(options).batch(samples)` gives, planned in the worker (see plan-worker.js).
//
//   const worker = new Worker(new URL('./plan-worker.js', import.meta.url), { type: 'module' });
//   const batches = await planInWorker(worker, 'clustered', { batchSize: 32 }, samples);
let nextId = 0;

export function planInWorker(worker, strategy, options, samples) {
  const id = nextId++;
  const sizes = new Float64Array(samples.length * 2);
  samples.forEach((sample, i) => {
    sizes[2 * i] = sample?.image?.width ?? Number.NaN;
    sizes[2 * i + 1] = sample?.image?.height ?? Number.NaN;
  });
  return new Promise((resolve, reject) => {
    const onMessage = ({ data: message }) => {
      if (message.id !== id) return;
      worker.removeEventListener('message', onMessage);
      if (message.error) return reject(Object.assign(new Error(message.error.message), message.error));
      const batches = message.batches.map(({ indices, resizeSize }) => {
        const batchSamples = indices.map((i) => samples[i]);
        return { images: batchSamples.map((s) => s.image), texts: batchSamples.map((s) => s.text), samples: batchSamples, indices, resizeSize };
      });
      resolve(Object.assign(batches, { rejects: message.rejects }));
    };
    worker.addEventListener('message', onMessage);
    worker.postMessage({ id, strategy, options, sizes }, [sizes.buffer]);
  });
}
