// The tested example: plans the same buffers in a worker_threads worker and on the main thread
// and checks that the batches are identical. Run from a project that has the package installed.
import { Worker } from 'node:worker_threads';
import { createBatcher, seedBenchmarkSamples, strategyNames } from 'mm-tokenize-batcher';
import { planInWorker } from '../planner.js';

const worker = new Worker(new URL('./plan-worker.mjs', import.meta.url));
const samples = seedBenchmarkSamples(2000, 1).map((s, i) => ({ ...s, text: `caption ${i}` }));
// Every registered strategy, plus options of its own where it has some.
const own = { sorted: { key: 'area', multipleOf: 28 }, clustered: { seed: 4 }, balanced: { minFill: 0.9 } };
const cases = strategyNames.map((strategy) => [strategy, { batchSize: 32, ...own[strategy] }]);
let passed = 0;
let failed = 0;
try {
  for (const [strategy, options] of cases) {
    const inWorker = await planInWorker(worker, strategy, options, samples);
    const here = createBatcher(strategy, options).batch(samples);
    const same =
      JSON.stringify(inWorker.map((b) => [b.indices, b.resizeSize, b.texts])) === JSON.stringify(here.map((b) => [b.indices, b.resizeSize, b.texts])) &&
      inWorker.every((b) => b.samples.every((s, j) => s === samples[b.indices[j]]));
    same ? passed++ : failed++;
    console.log(`${same ? 'ok  ' : 'FAIL'} worker_threads ${strategy}: ${inWorker.length} batches`);
  }
  // Errors come back as rejections with the library's code and index.
  const error = await planInWorker(worker, 'simple', { batchSize: 8 }, [{ image: { width: 10, height: 10 } }, { image: { width: 0, height: 5 } }]).then(
    () => null,
    (e) => e,
  );
  const rightError = error?.code === 'INVALID_DIMENSIONS' && error.index === 1;
  rightError ? passed++ : failed++;
  console.log(`${rightError ? 'ok  ' : 'FAIL'} worker_threads error: ${error?.code} at ${error?.index}`);
} finally {
  await worker.terminate();
}
console.log(`worker_threads example: ${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
