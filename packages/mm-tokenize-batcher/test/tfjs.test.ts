// The optional TF.js path (cpu and wasm backends in Node) against the wasm resizer.
//
// Tolerance, on uint8 output (0..255), same filter and half-pixel-centre convention:
// - `resizeMethod: 'matrix'` (bicubic, lanczos3, crop mode; opt-in for bilinear): PSNR >= 50 dB
//   and max error <= 12. Measured 54.8 to 58.0 dB, max error 1 (bilinear) to 10 (lanczos3: the
//   wasm resizer clamps its 8-bit intermediate between the two passes, TF.js keeps floats).
// - `'op'` (tf.image.resizeBilinear, the default for bilinear): max error <= 2 when enlarging;
//   when shrinking TF.js does not antialias, so it is only near the wasm result: PSNR >= 28 dB
//   (measured 31.5 to 39.9 dB).
// float32 output: the same pixels, normalised; checked to 2/255 of the normalised range.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { toTensor, toTfTensor, type TfTensorOptions } from 'mm-tokenize-batcher/imaging';
import { compare, photo } from './helpers.js';

const files = ['astronaut.jpg', 'chelsea-o6.jpg', 'coffee.png', 'rocket-lossy.webp'];
const images = files.map(photo);

async function both(size: [number, number], options: TfTensorOptions) {
  const { resizeMethod: _, ...wasmOptions } = options;
  const ours = toTensor({ images, resizeSize: size }, wasmOptions);
  const t = await toTfTensor({ images, resizeSize: size }, options);
  const data = await t.tensor.data();
  t.tensor.dispose();
  return { ours, t, data };
}

describe.each(['cpu', 'wasm'])('TF.js %s backend', (backend) => {
  it('is active', async () => {
    expect(await tf.setBackend(backend)).toBe(true);
    await tf.ready();
    expect(tf.getBackend()).toBe(backend);
  });

  it.each([
    ['bilinear', 'stretch', [70, 90]],
    ['bilinear', 'letterbox', [200, 230]],
    ['bicubic', 'stretch', [70, 90]],
    ['bicubic', 'crop', [200, 230]],
    ['lanczos3', 'letterbox', [70, 90]],
    ['lanczos3', 'crop', [64, 64]],
  ] as const)('matrix %s, %s %j: PSNR >= 50 dB, max error <= 12', async (filter, mode, size) => {
    await tf.setBackend(backend);
    const { ours, t, data } = await both([...size], { dtype: 'uint8', filter, mode, resizeMethod: 'matrix', padValue: 114 });
    expect(t.shape).toEqual(ours.shape);
    expect(t.dtype).toBe('int32');
    expect(t.contentBoxes).toEqual(ours.contentBoxes);
    const { psnr, maxError } = compare(ours.data, data);
    expect(psnr).toBeGreaterThanOrEqual(50);
    expect(maxError).toBeLessThanOrEqual(12);
  });

  it('op (resizeBilinear, halfPixelCenters) enlarging: max error <= 2', async () => {
    await tf.setBackend(backend);
    for (const mode of ['stretch', 'letterbox'] as const) {
      const { ours, data } = await both([200, 230], { dtype: 'uint8', mode });
      expect(compare(ours.data, data).maxError).toBeLessThanOrEqual(2);
    }
  });

  it('op shrinking (no antialiasing in TF.js): PSNR >= 28 dB', async () => {
    await tf.setBackend(backend);
    const { ours, data } = await both([70, 90], { dtype: 'uint8' });
    expect(compare(ours.data, data).psnr).toBeGreaterThanOrEqual(28);
  });

  it('float32 NCHW normalised like the wasm path, as a tf.Tensor4D', async () => {
    await tf.setBackend(backend);
    const { ours, t, data } = await both([112, 140], { normalize: 'clip', resizeMethod: 'matrix', patchSize: 28 });
    expect(t.shape).toEqual(ours.shape);
    expect(t.tensor.shape).toEqual(ours.shape);
    expect(t.layout).toBe('NCHW');
    expect(t.patchGrid).toEqual(ours.patchGrid);
    let max = 0;
    for (let i = 0; i < data.length; i++) max = Math.max(max, Math.abs((data[i] as number) - (ours.data[i] as number)));
    // 12 levels of 255, over CLIP's smallest std (0.261): the uint8 bound above, normalised.
    expect(max).toBeLessThanOrEqual(12 / 255 / 0.261 + 1e-4);
  });

  it('skips bad images like the wasm path, leaving no tensors behind', async () => {
    await tf.setBackend(backend);
    const before = tf.memory().numTensors;
    const t = await toTfTensor({ images: [images[0], new Uint8Array([1, 2, 3]), images[2]], resizeSize: [32, 32], indices: [5, 6, 7] }, { skipInvalid: true });
    expect(t.indices).toEqual([5, 7]);
    expect(t.rejects).toEqual([expect.objectContaining({ index: 6, code: 'UNSUPPORTED_IMAGE' })]);
    expect(t.tensor.shape).toEqual([2, 3, 32, 32]);
    t.tensor.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

it('takes TF.js Tensor3D images (RGB, RGBA, grey) like raw pixels', async () => {
  await tf.setBackend('cpu');
  const rgb = tf.tensor3d(Array.from({ length: 6 * 4 * 3 }, (_, i) => (i * 7) % 256), [6, 4, 3], 'int32');
  const rgba = tf.concat([rgb, tf.fill([6, 4, 1], 255, 'int32')], 2);
  const grey = tf.fill([6, 4, 1], 77, 'int32');
  const t = toTensor({ images: [rgb, rgba, grey], resizeSize: [6, 4] }, { dtype: 'uint8' });
  const pixels = await rgb.data();
  expect(Array.from(t.data.subarray(0, 72))).toEqual(Array.from(pixels)); // same size: unchanged
  expect(Array.from(t.data.subarray(72, 144))).toEqual(Array.from(pixels));
  expect(Array.from(t.data.subarray(144)).every((v) => v === 77)).toBe(true);
  const bad = toTensor({ images: [tf.zeros([2, 2, 2])], resizeSize: [2, 2] }, { skipInvalid: true });
  expect(bad.rejects[0]!.message).toMatch(/sample 0: TF.js tensor: shape must be \[height, width, 1 \| 3 \| 4\], got \[2, 2, 2\]/);
  tf.dispose([rgb, rgba, grey]);
});

it('the imaging entry never imports TF.js statically (it is an optional peer)', () => {
  for (const entry of ['imaging-node.js', 'imaging-web.js', 'imaging-node.cjs']) {
    const code = readFileSync(new URL(`../dist/${entry}`, import.meta.url), 'utf8');
    expect(code).not.toMatch(/(from|require\()\s*["']@tensorflow/);
  }
  // The lazy import sits in a shared chunk: only as a dynamic import().
  const web = readFileSync(new URL('../dist/imaging-web.js', import.meta.url), 'utf8');
  const chunk = [...web.matchAll(/from "\.\/(chunk-[^"]+)"/g)].map((m) => readFileSync(new URL(`../dist/${m[1]}`, import.meta.url), 'utf8')).join('\n');
  expect(chunk).toMatch(/import\(/);
  expect(chunk).not.toMatch(/from\s*["']@tensorflow/);
});

it("decoder: 'browser' needs createImageBitmap (browsers): a clear error in Node; other values refused", async () => {
  await tf.setBackend('cpu');
  const batch = { images: [images[0]], resizeSize: [32, 32] as [number, number] };
  await expect(toTfTensor(batch, { tf, decoder: 'browser' })).rejects.toMatchObject({ code: 'UNSUPPORTED_RUNTIME', message: expect.stringMatching(/createImageBitmap/) });
  // @ts-expect-error: not a decoder
  await expect(toTfTensor(batch, { tf, decoder: 'canvas' })).rejects.toMatchObject({ code: 'INVALID_OPTION', option: 'decoder' });
  const t = await toTfTensor(batch, { tf, decoder: 'wasm' });
  expect(t.shape).toEqual([1, 3, 32, 32]);
  t.tensor.dispose();
});
