// The payload inside a module Web Worker: the package loads there exactly as on the page.
import * as lib from 'mm-tokenize-batcher';
import { run } from '../payload.js';

self.onmessage = async (event) => {
  try {
    await lib.init();
    self.postMessage({ ok: true, result: await run(lib, event.data) });
  } catch (error) {
    self.postMessage({ ok: false, error: String((error && error.stack) || error) });
  }
};
