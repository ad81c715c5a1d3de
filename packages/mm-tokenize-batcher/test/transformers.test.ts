// The hand-off to transformers.js (@huggingface/transformers, a devDependency): a BatchTensor as its
// Tensor; this library's CLIP tensor against transformers.js's own CLIPImageProcessor on the photo
// fixtures; Qwen2-VL sizes against its Qwen2VLImageProcessor; presetFromConfig. The processors are
// built from the models' published preprocessor_config.json values written here (no download).
import { CLIPImageProcessor, Qwen2VLImageProcessor, RawImage, Tensor } from '@huggingface/transformers';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { BatcherError, SimpleBatcher, preset, presetFromConfig, presetOptions, presets, smartResize } from 'mm-tokenize-batcher';
import { toTensor, type BatchTensor } from 'mm-tokenize-batcher/imaging';
import { FIXTURES, photo } from './helpers.js';

const CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073];
const CLIP_STD = [0.26862954, 0.26130258, 0.27577711];

// openai/clip-vit-large-patch14, preprocessor_config.json (as published).
const CLIP_L14 = {
  crop_size: 224,
  do_center_crop: true,
  do_normalize: true,
  do_resize: true,
  feature_extractor_type: 'CLIPFeatureExtractor',
  image_mean: CLIP_MEAN,
  image_std: CLIP_STD,
  resample: 3,
  size: 224,
};
// openai/clip-vit-large-patch14-336.
const CLIP_L14_336 = { ...CLIP_L14, crop_size: 336, size: 336 };
// google/siglip-so400m-patch14-384 (patch 14 is in its config.json, vision_config.patch_size).
const SIGLIP_384 = {
  do_normalize: true,
  do_rescale: true,
  do_resize: true,
  image_mean: [0.5, 0.5, 0.5],
  image_processor_type: 'SiglipImageProcessor',
  image_std: [0.5, 0.5, 0.5],
  processor_class: 'SiglipProcessor',
  resample: 3,
  rescale_factor: 0.00392156862745098,
  size: { height: 384, width: 384 },
};
// Qwen/Qwen2-VL-7B-Instruct.
const QWEN2_VL = {
  min_pixels: 3136,
  max_pixels: 12845056,
  patch_size: 14,
  temporal_patch_size: 2,
  merge_size: 2,
  image_mean: CLIP_MEAN,
  image_std: CLIP_STD,
  image_processor_type: 'Qwen2VLImageProcessor',
  processor_class: 'Qwen2VLProcessor',
};
// google/siglip2-base-patch16-naflex (a model beyond the built-in four).
const SIGLIP2_NAFLEX = {
  do_convert_rgb: null,
  do_normalize: true,
  do_rescale: true,
  do_resize: true,
  image_mean: [0.5, 0.5, 0.5],
  image_processor_type: 'Siglip2ImageProcessorFast',
  image_std: [0.5, 0.5, 0.5],
  max_num_patches: 256,
  patch_size: 16,
  processor_class: 'Siglip2Processor',
  resample: 2,
  rescale_factor: 0.00392156862745098,
};

/** A float32 BatchTensor as a transformers.js Tensor (NCHW, the layout its vision models take as pixel_values). */
function toTransformersTensor(tensor: BatchTensor): Tensor {
  if (tensor.dtype !== 'float32') throw new Error('pixel_values are float32: call toTensor with dtype float32 (the default)');
  return new Tensor('float32', tensor.data, tensor.shape);
}

describe('a BatchTensor as a transformers.js Tensor', () => {
  it('keeps the data (no copy), the NCHW shape and the dtype', () => {
    const batch = { images: FIXTURES.slice(0, 3).map((f) => photo(f.file)), resizeSize: [224, 224] as [number, number] };
    const tensor = toTensor(batch, { normalize: preset('clip-vit-l-14').normalize, patchSize: 14 });
    const pixelValues = toTransformersTensor(tensor);
    expect(pixelValues.dims).toEqual([3, 3, 224, 224]);
    expect(pixelValues.type).toBe('float32');
    expect(pixelValues.data).toBe(tensor.data);
    // Its own operations work on it: the mean over a batch is a [3, 224, 224] tensor.
    expect(pixelValues.mean(0).dims).toEqual([3, 224, 224]);
    expect(() => toTransformersTensor(toTensor(batch, { dtype: 'uint8' }))).toThrow(/float32/);
  });
});

/** Max abs difference of normalised values, and PSNR of the pixels (0..1, the normalisation undone). */
function compare(ours: Float32Array, theirs: Float32Array, pixels: number): { maxAbs: number; psnr: number } {
  let maxAbs = 0;
  let squares = 0;
  for (let i = 0; i < ours.length; i++) {
    const d = ours[i]! - theirs[i]!;
    maxAbs = Math.max(maxAbs, Math.abs(d));
    const channel = Math.floor(i / pixels) % 3;
    squares += (d * CLIP_STD[channel]!) ** 2;
  }
  const mse = squares / ours.length;
  return { maxAbs, psnr: mse === 0 ? Infinity : 10 * Math.log10(1 / mse) };
}

describe("this library's CLIP tensor against transformers.js's CLIPImageProcessor (the photo fixtures, 224 x 224)", () => {
  // transformers.js reads an integer `size` as both shortest and longest edge (so 224 would fit the
  // image inside 224 and pad the crop); Python's CLIPImageProcessor reads `size: 224` as
  // { shortest_edge: 224 } and `crop_size: 224` as { height: 224, width: 224 }: that is what it is given.
  // (transformers.js's config type has no `crop_size`; its processor reads it all the same.)
  const processor = new CLIPImageProcessor({ ...CLIP_L14, size: { shortest_edge: 224 }, crop_size: { height: 224, width: 224 } } as ConstructorParameters<typeof CLIPImageProcessor>[0]);
  const clip = preset('clip-vit-l-14');
  const ours = (images: unknown[]) => toTensor({ images, resizeSize: [224, 224] }, { mode: 'crop', filter: 'bicubic', normalize: clip.normalize });
  const results: Record<string, { maxAbs: number; psnr: number }> = {};

  it('from the same decoded pixels (resize and crop alone): PSNR >= 27.5 dB on every photo (measured 28.1 to 37.7)', async () => {
    for (const f of FIXTURES) {
      const { data, info } = await sharp(photo(f.file === 'rocket.bmp' ? 'rocket.png' : f.file)).rotate().removeAlpha().raw().toBuffer({ resolveWithObject: true });
      const rgb = new Uint8ClampedArray(data.buffer, data.byteOffset, data.byteLength);
      const theirs = (await processor(new RawImage(rgb, info.width, info.height, 3))).pixel_values as Tensor;
      const rgba = new Uint8Array(info.width * info.height * 4);
      for (let p = 0; p < info.width * info.height; p++) rgba.set([rgb[3 * p]!, rgb[3 * p + 1]!, rgb[3 * p + 2]!, 255], 4 * p);
      const mine = ours([{ data: rgba, width: info.width, height: info.height }]);
      expect(theirs.dims).toEqual(mine.shape);
      results[f.file] = compare(mine.data as Float32Array, theirs.data as Float32Array, 224 * 224);
    }
    console.log('CLIP 224, same pixels:', JSON.stringify(results));
    for (const r of Object.values(results)) {
      expect(r.psnr).toBeGreaterThanOrEqual(27.5);
      expect(r.maxAbs).toBeLessThan(2.25); // measured at most 2.13 (normalised units: about 0.57 of the 0..1 pixel range)
    }
  });

  it('end to end from the files (each library decodes): PSNR >= 27.5 dB on every photo (measured 28.1 to 37.7)', async () => {
    const e2e: Record<string, { maxAbs: number; psnr: number }> = {};
    for (const f of FIXTURES) {
      if (f.format === 'BMP') continue; // sharp (under transformers.js) reads no BMP
      const bytes = photo(f.file);
      const theirs = (await processor(await RawImage.fromBlob(new Blob([new Uint8Array(bytes)])))).pixel_values as Tensor;
      e2e[f.file] = compare(ours([bytes]).data as Float32Array, theirs.data as Float32Array, 224 * 224);
    }
    console.log('CLIP 224, end to end:', JSON.stringify(e2e));
    for (const r of Object.values(e2e)) {
      expect(r.psnr).toBeGreaterThanOrEqual(27.5);
      expect(r.maxAbs).toBeLessThan(2.25);
    }
  });
});

describe("Qwen2-VL sizes against transformers.js's Qwen2VLImageProcessor (smart_resize)", () => {
  const config = { ...QWEN2_VL, max_pixels: 28 * 28 * 1280 }; // the built-in preset's max_pixels
  const processor = new Qwen2VLImageProcessor(config);
  const theirs = (h: number, w: number): [number, number] | string => {
    try {
      const [width, height] = processor.get_resize_output_image_size({ height: h, width: w } as RawImage, processor.size);
      return [height, width];
    } catch (error) {
      return (error as Error).message;
    }
  };
  const batcher = new SimpleBatcher({ ...presetOptions('qwen2-vl'), batchSize: 1 });
  const oneImageBatch = (h: number, w: number) => batcher.batch([{ image: { width: w, height: h } }])[0]!.resizeSize;

  it('agree on every size with both sides at least 28 and aspect at most 200', () => {
    const sizes: [number, number][] = [
      [480, 640], [1080, 1920], [1920, 1080], [2048, 2048], [4000, 3000], [6000, 8000], [224, 224], [28, 28], [30, 40],
      [56, 5600], [5600, 56], [100, 10000], [50, 9999], [5000, 30], [30, 5000], [28, 5599], [300, 60000], [12000, 80],
    ];
    for (const [h, w] of sizes) {
      expect(smartResize(h, w, { maxPixels: 28 * 28 * 1280 }), `${h} x ${w}`).toEqual(theirs(h, w));
      expect(oneImageBatch(h, w), `${h} x ${w}`).toEqual(theirs(h, w));
    }
  });

  it('differ on halves (transformers.js rounds half up, Python half to even), where a side is below 28 (transformers.js scales the image up first) or the aspect is above 200 (it throws)', () => {
    // [h, w, transformers.js, this library]
    const differ: [number, number, [number, number] | RegExp, [number, number]][] = [
      [70, 98, [84, 112], [56, 112]], // 70 / 28 = 2.5: Math.round -> 3; Python's round -> 2
      [42, 42, [56, 56], [56, 56]], // 1.5 -> 2 both ways (no difference: the half rounds to an even 2)
      [20, 4000, [28, 5600], [28, 4004]],
      [5, 300, [28, 1680], [28, 308]],
      [1, 100, [28, 2800], [28, 112]],
      [11, 2000, [28, 5096], [28, 1988]],
      [10, 3000, /aspect ratio must be smaller than 200/, [28, 2996]],
      [100, 20001, /aspect ratio must be smaller than 200/, [56, 14140]],
      [1, 100000, /aspect ratio must be smaller than 200/, [28, 35840]], // published rule: 28 x 316764; capped at maxPixels
    ];
    for (const [h, w, expected, mine] of differ) {
      const got = theirs(h, w);
      if (expected instanceof RegExp) expect(got).toMatch(expected);
      else expect(got).toEqual(expected);
      expect(smartResize(h, w, { maxPixels: 28 * 28 * 1280 })).toEqual(mine);
      expect(oneImageBatch(h, w)).toEqual(mine);
      expect(mine[0] * mine[1]).toBeLessThanOrEqual(28 * 28 * 1280);
    }
  });
});

describe('presetFromConfig', () => {
  const sizing = (p: ReturnType<typeof presetFromConfig>) => presetOptions(p);

  it('reproduces the built-in presets from their models’ configs', () => {
    // CLIP, like SigLIP, keeps its patch size in config.json (vision_config.patch_size: 14).
    expect(sizing(presetFromConfig(CLIP_L14, { patchSize: 14 }))).toEqual(presetOptions('clip-vit-l-14'));
    expect(sizing(presetFromConfig({ ...CLIP_L14_336, patch_size: 14 }))).toEqual(presetOptions('clip-vit-l-14-336'));
    expect(sizing(presetFromConfig(SIGLIP_384, { patchSize: 14 }))).toEqual(presetOptions('siglip-so400m-14-384'));
    // The published Qwen2-VL config says max_pixels 12845056; the preset follows smart_resize's default.
    expect(sizing(presetFromConfig({ ...QWEN2_VL, max_pixels: 28 * 28 * 1280 }))).toEqual(presetOptions('qwen2-vl'));
    expect(presetFromConfig(QWEN2_VL).maxPixels).toBe(12845056);
    for (const [config, name, extra] of [
      [CLIP_L14, 'clip-vit-l-14', { patchSize: 14 }],
      [CLIP_L14_336, 'clip-vit-l-14-336', { patchSize: 14 }],
      [SIGLIP_384, 'siglip-so400m-14-384', { patchSize: 14 }],
      [QWEN2_VL, 'qwen2-vl', {}],
    ] as const) {
      const made = presetFromConfig(config as Record<string, unknown>, extra);
      expect(made.mean).toEqual(presets[name].mean);
      expect(made.std).toEqual(presets[name].std);
      expect(made.rescale).toBeCloseTo(presets[name].rescale, 15);
      expect(made.nativeSize).toEqual(presets[name].nativeSize);
    }
    // The Qwen2.5-VL form: pixel bounds in `size`.
    const sized = presetFromConfig({ ...QWEN2_VL, min_pixels: undefined, max_pixels: undefined, size: { shortest_edge: 3136, longest_edge: 12845056 } });
    expect([sized.minPixels, sized.maxPixels]).toEqual([3136, 12845056]);
  });

  it('makes a preset for SigLIP 2 NaFlex (256 patches of 16, any aspect) that plans and normalises', () => {
    const p = presetFromConfig(SIGLIP2_NAFLEX);
    expect(p.name).toBe('Siglip2ImageProcessorFast');
    expect(presetOptions(p)).toEqual({ patchSize: 16, multipleOf: 16, maxPixels: 65536 });
    expect(p.normalize).toEqual({ mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
    const [batch] = new SimpleBatcher({ ...presetOptions(p), batchSize: 2 }).batch([{ image: photo('astronaut.jpg') }, { image: photo('coffee.png') }]);
    const [h, w] = batch!.resizeSize;
    expect(h % 16 === 0 && w % 16 === 0 && h * w <= 65536).toBe(true);
    const tensor = toTensor(batch!, { normalize: p.normalize, patchSize: p.patchSize });
    expect(tensor.patchGrid!.tokensPerImage).toBeLessThanOrEqual(256);
  });

  it('refuses configs it cannot read, with BatcherError', () => {
    const cases: [unknown, RegExp][] = [
      [null, /parsed preprocessor_config\.json object/],
      [SIGLIP_384, /no patch_size .* pass \{ patchSize \}/],
      [{ ...CLIP_L14, patch_size: 14, image_std: [1, 2] }, /image_std must be 3 numbers/],
      [{ ...QWEN2_VL, min_pixels: 10, max_pixels: 5 }, /min_pixels 10 is above max_pixels 5/],
      [{ ...CLIP_L14, size: undefined, crop_size: undefined, patch_size: 14 }, /found none of/],
      [{ ...CLIP_L14, patch_size: 14, crop_size: undefined, size: 'big' }, /size must be a number/],
    ];
    for (const [config, message] of cases) {
      const error = (() => {
        try {
          presetFromConfig(config as Record<string, unknown>);
        } catch (e) {
          return e;
        }
      })();
      expect(error, String(message)).toBeInstanceOf(BatcherError);
      expect((error as Error).message).toMatch(message);
    }
  });
});
