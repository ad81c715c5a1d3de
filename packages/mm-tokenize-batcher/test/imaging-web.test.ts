// The browser entry of `mm-tokenize-batcher/imaging`: nothing loads at import; `initImaging()`
// takes the .wasm (here as bytes; in browsers by default a URL next to the module).
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { BatcherError, initImaging, toTensor } from '../dist/imaging-web.js';

it('needs initImaging() first, then works like the Node entry', async () => {
  const png = readFileSync(new URL('./fixtures/photos/coffee.png', import.meta.url));
  let error: unknown;
  try {
    toTensor({ images: [png], resizeSize: [10, 12] });
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(BatcherError);
  expect(error).toMatchObject({ code: 'NOT_INITIALIZED' });
  await initImaging(readFileSync(new URL('../dist/mm_imaging_bg.wasm', import.meta.url)));
  await initImaging(); // later calls return at once
  expect(toTensor({ images: [png], resizeSize: [10, 12] }).shape).toEqual([1, 3, 10, 12]);
});
