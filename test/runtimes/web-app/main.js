// A consumer app as users write it: import the package by name, `await init()`, plan. Built by
// Vite with no plugin and no configuration. `?mode=worker` runs the payload in a module Web Worker.
import * as lib from 'mm-tokenize-batcher';
import { run } from '../payload.js';

const params = new URLSearchParams(location.search);
const args = JSON.parse(params.get('args') ?? '{}');

async function main() {
  if (params.get('mode') === 'worker') {
    const worker = new Worker(new URL('./payload-worker.js', import.meta.url), { type: 'module' });
    return new Promise((resolve, reject) => {
      worker.onmessage = (event) => (event.data.ok ? resolve(event.data.result) : reject(new Error(event.data.error)));
      worker.onerror = (event) => reject(new Error(`worker error: ${event.message}`));
      worker.postMessage(args);
    });
  }
  await lib.init();
  return run(lib, args);
}

window.__result = main().then(
  (result) => ({ ok: true, result }),
  (error) => ({ ok: false, error: String((error && error.stack) || error) }),
);
window.__result.then((r) => (document.getElementById('status').textContent = r.ok ? 'done' : 'failed'));
