// toTensor / batchTensors against the built `mm-tokenize-batcher/imaging` entry.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { SortedBatcher } from 'mm-tokenize-batcher';
import { BatcherError, batchTensors, tensorDefaults, toTensor, type TensorOptions } from 'mm-tokenize-batcher/imaging';
import { FIXTURES, compare, photo } from './helpers.js';
import { caught } from './caught.js';

/** A w x h RGBA image of one colour. */
const solid = (w: number, h: number, rgb: [number, number, number]) => ({
  data: new Uint8ClampedArray(w * h * 4).map((_, i) => (i % 4 === 3 ? 255 : rgb[i % 4] as number)),
  width: w,
  height: h,
});


describe('toTensor', () => {
  it('packs a planned batch: float32 NCHW, indices of the buffer, patch grid', () => {
    const buffer = FIXTURES.map(({ file }) => ({ image: photo(file), file }));
    const batches = new SortedBatcher({ batchSize: 3, multipleOf: 14 }).batch(buffer);
    for (const batch of batches) {
      const [h, w] = batch.resizeSize;
      const t = toTensor(batch, { normalize: 'siglip', patchSize: 14 });
      expect(t.shape).toEqual([batch.images.length, 3, h, w]);
      expect(t.dtype).toBe('float32');
      expect(t.layout).toBe('NCHW');
      expect(t.data).toBeInstanceOf(Float32Array);
      expect(t.data.length).toBe(batch.images.length * 3 * h * w);
      expect(t.indices).toEqual(batch.indices);
      expect(t.patchGrid).toEqual({ patchSize: 14, rows: h / 14, cols: w / 14, tokensPerImage: (h / 14) * (w / 14) });
      expect(t.contentBoxes).toEqual(batch.images.map(() => [0, 0, w, h]));
      // SigLIP maps [0, 255] to [-1, 1].
      let [lo, hi] = [Infinity, -Infinity];
      for (const v of t.data) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
      expect(lo).toBeGreaterThanOrEqual(-1);
      expect(hi).toBeLessThanOrEqual(1);
      expect(hi - lo).toBeGreaterThan(1); // real photographs span most of the range
    }
  });

  it('normalises with each preset and with custom values, exactly', () => {
    const image = solid(5, 4, [30, 120, 240]);
    const check = (options: TensorOptions, mean: readonly number[], std: readonly number[]) => {
      const { data } = toTensor({ images: [image], resizeSize: [3, 2] }, options);
      [30, 120, 240].forEach((v, c) => {
        const expected = (v / 255 - (mean[c] as number)) / (std[c] as number);
        for (const x of data.subarray(c * 6, c * 6 + 6)) expect(x).toBeCloseTo(expected, 5);
      });
    };
    for (const name of ['clip', 'siglip', 'imagenet', 'none'] as const) {
      check({ normalize: name }, tensorDefaults().normalize[name].mean, tensorDefaults().normalize[name].std);
    }
    check({ normalize: { mean: [0.1, 0.2, 0.3], std: [0.5, 0.6, 0.7] } }, [0.1, 0.2, 0.3], [0.5, 0.6, 0.7]);
  });

  it('uint8 NHWC holds the pixels', () => {
    const t = toTensor({ images: [solid(9, 9, [1, 2, 3])], resizeSize: [2, 4] }, { dtype: 'uint8' });
    expect(t.shape).toEqual([1, 2, 4, 3]);
    expect(t.layout).toBe('NHWC');
    expect(Array.from(t.data)).toEqual(Array(8).fill([1, 2, 3]).flat());
  });

  it('bilinear upscaling uses half-pixel centres (as PIL and TF.js halfPixelCenters)', () => {
    const ramp = { data: new Uint8Array([0, 85, 170, 255].flatMap((v) => [v, v, v, 255])), width: 4, height: 1 };
    const t = toTensor({ images: [ramp], resizeSize: [1, 8] }, { dtype: 'uint8' });
    // Output x samples input (x + 0.5) / 2 - 0.5, clamped at the edges.
    expect(Array.from(t.data).filter((_, i) => i % 3 === 0)).toEqual([0, 21, 64, 106, 149, 191, 234, 255]);
  });

  it('letterbox pads with padValue and returns content boxes; crop covers', () => {
    const wide = solid(200, 100, [255, 255, 255]);
    const tall = solid(50, 100, [255, 255, 255]);
    const t = toTensor({ images: [wide, tall], resizeSize: [40, 40] }, { mode: 'letterbox', dtype: 'uint8', padValue: [10, 20, 30] });
    expect(t.contentBoxes).toEqual([[0, 10, 40, 20], [10, 0, 20, 40]]);
    const px = (n: number, x: number, y: number) => Array.from(t.data.subarray(((n * 40 + y) * 40 + x) * 3, ((n * 40 + y) * 40 + x) * 3 + 3));
    expect(px(0, 0, 0)).toEqual([10, 20, 30]);
    expect(px(0, 20, 20)).toEqual([255, 255, 255]);
    expect(px(1, 5, 20)).toEqual([10, 20, 30]);
    expect(px(1, 20, 20)).toEqual([255, 255, 255]);
    const c = toTensor({ images: [wide, tall], resizeSize: [40, 40] }, { mode: 'crop', dtype: 'uint8' });
    expect(c.contentBoxes).toEqual([[0, 0, 40, 40], [0, 0, 40, 40]]);
    expect(Array.from(c.data).every((v) => v === 255)).toBe(true);
  });

  it('applies EXIF orientation 6 and 8 as sharp does', async () => {
    for (const file of ['chelsea-o6.jpg', 'coffee-o8.jpg']) {
      const bytes = photo(file);
      const { data: ref, info } = await sharp(bytes).rotate().raw().toBuffer({ resolveWithObject: true });
      const t = toTensor({ images: [bytes], resizeSize: [info.height, info.width] }, { dtype: 'uint8' });
      expect(t.shape).toEqual([1, info.height, info.width, 3]);
      // Same size, no resampling: only the JPEG decoders differ (libjpeg-turbo vs zune-jpeg).
      expect(compare(t.data, ref).psnr).toBeGreaterThan(38);
    }
  });

  it('batchTensors decodes one batch at a time, when the iterator reaches it', () => {
    let reached = 0;
    function* batches() {
      reached++;
      yield { images: [solid(4, 4, [0, 0, 0])], resizeSize: [2, 2] as [number, number] };
      reached++;
      yield { images: ['not an image'], resizeSize: [2, 2] as [number, number] };
    }
    const it = batchTensors(batches());
    expect(reached).toBe(0);
    expect(it.next().value!.shape).toEqual([1, 3, 2, 2]);
    expect(reached).toBe(1);
    expect(() => it.next()).toThrow(/sample 0: image is a string/);
  });

  it.each([
    [{ mode: 'fill' }, 'mode'],
    [{ filter: 'nearest' }, 'filter'],
    [{ dtype: 'int8' }, 'dtype'],
    [{ normalize: 'openai' }, 'normalize'],
    [{ normalize: { mean: [0.5, 0.5, 0.5], std: [0, 1, 1] } }, 'std'],
    [{ padValue: 300 }, 'padValue'],
    [{ patchSize: 16 }, 'patchSize'],
    [{ maxInputPixels: -1 }, 'maxInputPixels'],
    [{ size: [0, 10] }, 'size'],
    [{ sizes: [10, 10] }, 'sizes'],
    [{ dtype: 'uint8', normalize: 'clip' }, 'normalize'],
  ])('rejects option %j', (options, option) => {
    const error = caught(() => toTensor({ images: [solid(2, 2, [0, 0, 0])], resizeSize: [28, 28] }, options as TensorOptions));
    expect(error.code).toBe('INVALID_OPTION');
    expect(error.option).toBe(option);
  });
});

describe('shrink on load (JPEG decoded at 1/2, 1/4 or 1/8 where the target allows)', () => {
  it('is on by default, close to the full decode, and can be turned off', async () => {
    // A 1600 x 1200 photo-like JPEG (noise over a gradient), made by sharp; to 64 x 64 the rule takes 1/8.
    const width = 1600;
    const height = 1200;
    const raw = Buffer.alloc(width * height * 3);
    for (let i = 0; i < raw.length; i++) raw[i] = ((i % (width * 3)) / 12 + ((i * 2654435761) >>> 28)) & 255;
    const jpeg = await sharp(raw, { raw: { width, height, channels: 3 } }).jpeg({ quality: 90 }).toBuffer();
    const batch = { images: [jpeg], resizeSize: [64, 64] as [number, number] };
    expect(tensorDefaults().defaults).toContainEqual({ scope: 'toTensor', option: 'shrinkOnLoad', value: true });
    const scaled = toTensor(batch, { dtype: 'uint8' });
    const full = toTensor(batch, { dtype: 'uint8', shrinkOnLoad: false });
    expect(scaled.shape).toEqual(full.shape);
    expect(scaled.contentBoxes).toEqual(full.contentBoxes);
    let max = 0;
    for (let i = 0; i < full.data.length; i++) max = Math.max(max, Math.abs(scaled.data[i]! - full.data[i]!));
    expect(max).toBeGreaterThan(0); // the scaled path ran
    expect(max).toBeLessThanOrEqual(24);
    // A truncated copy is refused on the scaled path as on the full one.
    const cut = { images: [jpeg.subarray(0, jpeg.length >> 1)], resizeSize: [64, 64] as [number, number] };
    for (const shrinkOnLoad of [true, false]) expect(caught(() => toTensor(cut, { shrinkOnLoad }))).toMatchObject({ code: 'INVALID_IMAGE', format: 'JPEG' });
  });
});
