// A consumer app as users write it: import the package by name, `await init()`, plan. Built by
// Vite with no plugin and no configuration. `mm-tokenize-batcher/imaging` is loaded too
// (`await initImaging()`) and handed to the payload as `args.imaging`. `?mode=worker` runs the
// payload in a module Web Worker.
import * as lib from 'mm-tokenize-batcher';
import * as imaging from 'mm-tokenize-batcher/imaging';
import { run } from '../payload.js';
import { planInWorker } from '../examples/planner.js';

const params = new URLSearchParams(location.search);
const args = JSON.parse(params.get('args') ?? '{}');

/** The README's Web Worker example (test/examples/web-worker): worker plans equal main-thread plans. */
async function example() {
  await lib.init();
  const worker = new Worker(new URL('../examples/web-worker/plan-worker.js', import.meta.url), { type: 'module' });
  const samples = lib.seedBenchmarkSamples(2000, 1).map((s, i) => ({ ...s, text: `caption ${i}` }));
  const cases = [
    ...lib.strategyNames.map((strategy) => [strategy, { batchSize: 32, ...({ sorted: { key: 'area', multipleOf: 28 }, clustered: { seed: 4 } })[strategy] }]),
  ];
  const lines = [];
  for (const [strategy, options] of cases) {
    const inWorker = await planInWorker(worker, strategy, options, samples);
    const here = lib.createBatcher(strategy, options).batch(samples);
    const key = (batches) => JSON.stringify(batches.map((b) => [b.indices, b.resizeSize, b.texts]));
    const same = key(inWorker) === key(here) && inWorker.every((b) => b.samples.every((s, j) => s === samples[b.indices[j]]));
    lines.push([strategy, same, inWorker.length]);
  }
  const error = await planInWorker(worker, 'simple', { batchSize: 8 }, [{ image: { width: 10, height: 10 } }, { image: { width: 0, height: 5 } }]).then(
    () => null,
    (e) => e,
  );
  lines.push(['error', error?.code === 'INVALID_DIMENSIONS' && error.index === 1, `${error?.code} at ${error?.index}`]);
  worker.terminate();
  return lines;
}

async function main() {
  if (params.get('mode') === 'example') return example();
  if (params.get('mode') === 'worker') {
    const worker = new Worker(new URL('./payload-worker.js', import.meta.url), { type: 'module' });
    return new Promise((resolve, reject) => {
      worker.onmessage = (event) => (event.data.ok ? resolve(event.data.result) : reject(new Error(event.data.error)));
      worker.onerror = (event) => reject(new Error(`worker error: ${event.message}`));
      worker.postMessage(args);
    });
  }
  await lib.init();
  await imaging.initImaging();
  return run(lib, { ...args, imaging });
}

window.__result = main().then(
  (result) => ({ ok: true, result }),
  (error) => ({ ok: false, error: String((error && error.stack) || error) }),
);
window.__result.then((r) => (document.getElementById('status').textContent = r.ok ? 'done' : 'failed'));
