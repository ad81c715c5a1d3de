// Qwen2-VL's flattened patches (`patches: true`, `toPatches`) against transformers.js's own
// Qwen2VLImageProcessor (@huggingface/transformers, a devDependency) on the photo fixtures: the
// layout exactly (from the same pixels at the processor's size), and end to end from the files.
// The processor is built from Qwen/Qwen2-VL-7B-Instruct's published preprocessor config values
// (no download), with the qwen2-vl preset's max_pixels.
import { Qwen2VLImageProcessor, RawImage, Tensor } from '@huggingface/transformers';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { presetOptions, SortedBatcher } from 'mm-tokenize-batcher';
import { createImagingPool, toPatches, toTensor, type PatchTensor } from 'mm-tokenize-batcher/imaging';
import { FIXTURES, photo } from './helpers.js';

const CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073];
const CLIP_STD = [0.26862954, 0.26130258, 0.27577711];
const QWEN2_VL = {
  do_convert_rgb: true,
  do_normalize: true,
  do_rescale: true,
  do_resize: true,
  resample: 3,
  rescale_factor: 0.00392156862745098,
  min_pixels: 3136,
  max_pixels: 28 * 28 * 1280,
  patch_size: 14,
  temporal_patch_size: 2,
  merge_size: 2,
  image_mean: CLIP_MEAN,
  image_std: CLIP_STD,
  image_processor_type: 'Qwen2VLImageProcessor',
  processor_class: 'Qwen2VLProcessor',
};
const processor = new Qwen2VLImageProcessor(QWEN2_VL as ConstructorParameters<typeof Qwen2VLImageProcessor>[0]);
const options = { filter: 'bicubic', normalize: 'clip', patches: true } as const;

interface Processed {
  pixel_values: Tensor;
  image_grid_thw: Tensor;
  reshaped_input_sizes: [number, number][];
}

/** Max abs difference of the normalised values, and PSNR of the pixels (0..1; each row holds 3 channels x 2 frames x 196). */
function compare(ours: Float32Array, theirs: Float32Array): { maxAbs: number; psnr: number } {
  let maxAbs = 0;
  let squares = 0;
  for (let i = 0; i < ours.length; i++) {
    const d = ours[i]! - theirs[i]!;
    maxAbs = Math.max(maxAbs, Math.abs(d));
    squares += (d * CLIP_STD[Math.floor((i % 1176) / 392)]!) ** 2;
  }
  const mse = squares / ours.length;
  return { maxAbs, psnr: mse === 0 ? Infinity : 10 * Math.log10(1 / mse) };
}

/** The upright RGB pixels of a fixture (sharp), as RGBA for toTensor and as a RawImage for the processor. */
async function pixels(file: string, size?: [number, number]) {
  let pipeline = sharp(photo(file === 'rocket.bmp' ? 'rocket.png' : file)).rotate().removeAlpha();
  if (size) pipeline = pipeline.resize(size[1], size[0], { fit: 'fill', kernel: 'cubic' });
  const { data, info } = await pipeline.raw().toBuffer({ resolveWithObject: true });
  const rgb = new Uint8ClampedArray(data.buffer, data.byteOffset, data.byteLength);
  const rgba = new Uint8Array(info.width * info.height * 4);
  for (let p = 0; p < info.width * info.height; p++) rgba.set([rgb[3 * p]!, rgb[3 * p + 1]!, rgb[3 * p + 2]!, 255], 4 * p);
  return { raw: new RawImage(rgb, info.width, info.height, 3), rgba: { data: rgba, width: info.width, height: info.height }, height: info.height, width: info.width };
}

describe("Qwen2-VL patches against transformers.js's Qwen2VLImageProcessor", () => {
  it('the same pixels at the processor size give its pixel_values and image_grid_thw (|diff| < 1e-6: float rounding only; measured 2.4e-7)', async () => {
    const exact: Record<string, number> = {};
    for (const f of FIXTURES) {
      // The processor's own size for this photo, then the photo already at that size: its resize
      // and this library's are both the identity, so what is compared is the rescale, normalise
      // and the patch layout.
      const size = ((await processor((await pixels(f.file)).raw)) as unknown as Processed).reshaped_input_sizes[0]!;
      const at = await pixels(f.file, size);
      const theirs = (await processor(at.raw)) as unknown as Processed;
      const mine = toTensor({ images: [at.rgba], resizeSize: size }, options);
      expect(mine.layout).toBe('patches');
      expect(mine.shape).toEqual(theirs.pixel_values.dims);
      expect(mine.shape[1]).toBe(1176);
      expect(theirs.image_grid_thw.type).toBe('int64');
      expect(Array.from(mine.imageGridThw)).toEqual(Array.from(theirs.image_grid_thw.data as BigInt64Array));
      exact[`${f.file} ${size.join('x')}`] = compare(mine.data, theirs.pixel_values.data as Float32Array).maxAbs;
    }
    console.log('Qwen2-VL patches, same pixels, max abs:', JSON.stringify(exact));
    for (const d of Object.values(exact)) expect(d).toBeLessThan(1e-6);
  });

  it('end to end from the files (each library decodes and resizes): PSNR >= 40 dB on every photo (measured 42.8 to 50.9)', async () => {
    const e2e: Record<string, { maxAbs: number; psnr: number }> = {};
    for (const f of FIXTURES) {
      if (f.format === 'BMP') continue; // sharp (under transformers.js) reads no BMP
      const bytes = photo(f.file);
      const theirs = (await processor(await RawImage.fromBlob(new Blob([new Uint8Array(bytes)])))) as unknown as Processed;
      const size = theirs.reshaped_input_sizes[0]!;
      const mine = toTensor({ images: [bytes], resizeSize: size }, options);
      expect(mine.shape).toEqual(theirs.pixel_values.dims);
      expect(Array.from(mine.imageGridThw)).toEqual(Array.from(theirs.image_grid_thw.data as BigInt64Array));
      e2e[`${f.file} ${size.join('x')}`] = compare(mine.data, theirs.pixel_values.data as Float32Array);
    }
    console.log('Qwen2-VL patches, end to end:', JSON.stringify(e2e));
    for (const r of Object.values(e2e)) {
      expect(r.psnr).toBeGreaterThanOrEqual(40);
      expect(r.maxAbs).toBeLessThan(0.5); // measured at most 0.26 (normalised units)
    }
  });

  it('a batch is its images one after another, as per-image processor calls concatenated; toPatches and the pool agree', async () => {
    const buffer = FIXTURES.filter((f) => f.format !== 'BMP').map((f) => ({ image: photo(f.file) }));
    const batches = new SortedBatcher({ ...presetOptions('qwen2-vl'), batchSize: 4 }).batch(buffer);
    const batch = batches[0]!;
    const t = toTensor(batch, options);
    const [h, w] = batch.resizeSize;
    const perImage = (h / 14) * (w / 14);
    expect(t.shape).toEqual([batch.images.length * perImage, 1176]);
    expect(Array.from(t.imageGridThw)).toEqual(batch.images.flatMap(() => [1n, BigInt(h / 14), BigInt(w / 14)]));
    expect(t.indices).toEqual(batch.indices);
    // Each image's rows are that image alone, patched.
    for (let i = 0; i < batch.images.length; i++) {
      const one = toTensor({ images: [batch.images[i]!], resizeSize: batch.resizeSize }, options);
      expect(t.data.subarray(i * perImage * 1176, (i + 1) * perImage * 1176)).toEqual(one.data);
    }
    // The NCHW tensor rearranged afterwards is the same bytes.
    const nchw = toTensor(batch, { filter: 'bicubic', normalize: 'clip' });
    const later: PatchTensor = toPatches(nchw);
    expect(later.data).toEqual(t.data);
    expect(later.imageGridThw).toEqual(t.imageGridThw);
    expect(later.indices).toEqual(t.indices);
    // The pool gives the same, and the model's Tensor wraps it without a copy.
    const pool = createImagingPool({ workers: 1 });
    try {
      const pooled = await pool.toTensor(batch, options);
      expect(pooled.data).toEqual(t.data);
      expect(pooled.imageGridThw).toEqual(t.imageGridThw);
    } finally {
      await pool.close();
    }
    const pixelValues = new Tensor('float32', t.data, t.shape);
    const grid = new Tensor('int64', t.imageGridThw, [batch.images.length, 3]);
    expect(pixelValues.data).toBe(t.data);
    expect(grid.dims).toEqual([batch.images.length, 3]);
  });

  it('bad options are INVALID_OPTION naming the option', () => {
    const batch = { images: [photo('astronaut.jpg')], resizeSize: [56, 84] as [number, number] };
    expect(() => toTensor(batch, { patches: true, dtype: 'uint8' })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', option: 'patches' }));
    expect(() => toTensor({ ...batch, resizeSize: [56, 70] }, { patches: true })).toThrow(/whole merged patches of 28/);
    expect(() => toTensor(batch, { patches: { mergeSize: 0 } })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', option: 'mergeSize' }));
    expect(() => toPatches({ data: new Float32Array(3 * 56 * 70), shape: [1, 3, 56, 70] })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', option: 'patches' }));
    expect(() => toPatches({ data: new Float32Array(5), shape: [1, 3, 56, 84] })).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });
});
