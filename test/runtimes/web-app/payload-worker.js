// The payload inside a module Web Worker: the package loads there exactly as on the page.
import * as lib from 'mm-tokenize-batcher';
import * as imaging from 'mm-tokenize-batcher/imaging';
import { run } from '../payload.js';

self.onmessage = async (event) => {
  try {
    await lib.init();
    await imaging.initImaging();
    self.postMessage({ ok: true, result: await run(lib, { ...event.data, imaging }) });
  } catch (error) {
    self.postMessage({ ok: false, error: String((error && error.stack) || error) });
  }
};
