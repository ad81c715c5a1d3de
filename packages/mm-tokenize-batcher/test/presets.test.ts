import { describe, expect, it } from 'vitest';
import { tensorDefaults } from 'mm-tokenize-batcher/imaging';
import { BalancedBatcher, BatcherError, ClusteredBatcher, SortedBatcher, preset, presetNames, presetOptions, presets, seedBenchmarkSamples, smartResize } from 'mm-tokenize-batcher';

// Worked by hand from the published smart_resize (factor 28, min_pixels 56*56 = 3136,
// max_pixels 28*28*1280 = 1003520):
//   h_bar = round(h / 28) * 28, w_bar = round(w / 28) * 28 (Python round: ties to even);
//   if h_bar * w_bar > max: beta = sqrt(h * w / max), sides floor(side / beta / 28) * 28;
//   elif h_bar * w_bar < min: beta = sqrt(min / (h * w)), sides ceil(side * beta / 28) * 28.
const WORKED: [h: number, w: number, expected: [number, number], why: string][] = [
  [480, 640, [476, 644], '480/28 = 17.14 -> 17; 640/28 = 22.86 -> 23; 476*644 = 306544 within bounds'],
  [224, 224, [224, 224], 'exact multiples'],
  [70, 98, [56, 112], '70/28 = 2.5 ties to even 2 (not 3); 98/28 = 3.5 -> 4'],
  [126, 154, [112, 168], '4.5 -> 4, 5.5 -> 6'],
  [1080, 1920, [728, 1316], '1092*1932 > max; beta = sqrt(2073600/1003520) = 1.43747; 26.83 -> 26, 47.70 -> 47'],
  [2048, 2048, [980, 980], 'beta = 2048/1001.76 = 2.0444; 2048/beta/28 = 35.78 -> 35'],
  [40, 40, [56, 56], '28*28 < min; beta = 56/40 = 1.4; 40*1.4/28 = 2 -> 56'],
  [30, 40, [56, 84], 'beta = sqrt(3136/1200) = 1.61658; 1.73 -> 2, 2.31 -> 3'],
  [50, 50, [56, 56], 'rounds to 56*56 = 3136, not below min'],
];

describe('Qwen2-VL smart_resize', () => {
  it.each(WORKED)('%i x %i -> %j (%s)', (h, w, expected) => {
    expect(smartResize(h, w)).toEqual(expected);
  });

  it('is the sizing of the qwen2-vl preset: a batch of one image gets exactly smart_resize', () => {
    const batcher = new SortedBatcher({ ...presetOptions('qwen2-vl'), batchSize: 1 });
    const batches = batcher.batch(WORKED.map(([h, w]) => ({ image: { width: w, height: h } })));
    for (const b of batches) {
      const [h, w, expected] = WORKED[b.indices[0]!]!;
      expect(b.resizeSize, `${h} x ${w}`).toEqual(expected);
    }
  });

  it('sizes whole batches on the 28 grid within the pixel bounds', () => {
    const samples = seedBenchmarkSamples(2000, 1).map((s, i) => (i % 3 ? s : { image: { width: s.image.width * 3, height: s.image.height * 2 } }));
    for (const Batcher of [SortedBatcher, ClusteredBatcher, BalancedBatcher]) {
      for (const b of new Batcher({ ...presetOptions('qwen2-vl'), batchSize: 32 }).batch(samples)) {
        const [h, w] = b.resizeSize;
        expect(h % 28 === 0 && w % 28 === 0 && h * w <= 1003520 && h * w >= 3136).toBe(true);
      }
    }
  });

  it('takes other factors and bounds, and no bounds', () => {
    expect(smartResize(480, 640, { factor: 14, minPixels: null, maxPixels: null })).toEqual([476, 644]);
    // 4000/28 = 142.86 -> 143 -> 4004; 3000/28 = 107.14 -> 107 -> 2996; no upper bound.
    expect(smartResize(4000, 3000, { maxPixels: null })).toEqual([4004, 2996]);
    expect(() => smartResize(0, 10)).toThrow(BatcherError);
  });
});

describe('maxPixels holds in smart-resize for extreme aspect ratios', () => {
  // The published rule floors the short side at 28 and gives 28 x 316764 (8.8x maxPixels) for
  // 1 x 100000; the long side is shrunk to the largest multiple of 28 that fits instead.
  it.each([
    [1, 100_000, [28, 35_840]],
    [100_000, 1, [35_840, 28]],
    [1, 89_000_000, [28, 35_840]], // near the shared pixel limit; 1 x 1e9 is refused (IMAGE_TOO_LARGE)
  ] as const)('%i x %i -> %j', (h, w, expected) => {
    expect(smartResize(h, w)).toEqual(expected);
    const [b] = new SortedBatcher({ ...presetOptions('qwen2-vl'), batchSize: 1 }).batch([{ image: { width: w, height: h } }]);
    expect(b!.resizeSize).toEqual(expected);
    expect(b!.resizeSize[0] * b!.resizeSize[1]).toBeLessThanOrEqual(1003520);
  });

  it('a size above the shared pixel limit is refused, by smartResize as by planning', () => {
    expect(() => smartResize(1, 1e9)).toThrow(expect.objectContaining({ code: 'IMAGE_TOO_LARGE' }));
  });

  it('whole batches of extreme shapes stay within maxPixels in every sizing mode', () => {
    const samples = [1e5, 1e6, 89e6, 3e4].flatMap((w) => [{ image: { width: w, height: 1 } }, { image: { width: 1, height: w } }]);
    for (const sizing of ['median', 'minimax', 'smart-resize'] as const) {
      for (const b of new SortedBatcher({ ...presetOptions('qwen2-vl'), sizing, batchSize: 2 }).batch(samples)) {
        const [h, w] = b.resizeSize;
        expect(h * w, `${sizing} ${b.resizeSize}`).toBeLessThanOrEqual(1003520);
      }
    }
  });

  it('smartResize refuses bounds that cannot hold', () => {
    expect(() => smartResize(10, 10, { minPixels: 2000, maxPixels: 1000 })).toThrow(/`minPixels` is 2000, above maxPixels = 1000/);
    expect(() => smartResize(10, 10, { factor: 28, maxPixels: 700 })).toThrow(/`maxPixels` is 700, below factor\^2 = 784/);
    expect(() => smartResize(1, 1, { factor: 65536, maxPixels: null })).toThrow(/`factor` must be a whole number from 1 to 1024, got 65536/);
  });
});

describe('multipleOf is bounded', () => {
  it('refuses a multipleOf above 1024, saying what it would do to a small image', () => {
    let error: unknown;
    try {
      new SortedBatcher({ batchSize: 1, multipleOf: 65536 });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BatcherError);
    expect(error).toMatchObject({ code: 'INVALID_OPTION', option: 'multipleOf' });
    expect((error as Error).message).toMatch(/from 1 to 1024, got 65536: .* a 1x1 image would be resized to 65536 x 65536/);
    const [b] = new SortedBatcher({ batchSize: 1, multipleOf: 1024 }).batch([{ image: { width: 1, height: 1 } }]);
    expect(b!.resizeSize).toEqual([1024, 1024]);
  });

  it('refuses a multipleOf whose square is above maxPixels', () => {
    expect(() => new SortedBatcher({ batchSize: 1, multipleOf: 512, maxPixels: 512 * 511 })).toThrow(/`maxPixels` is 261632, below multipleOf\^2 = 262144/);
  });
});

describe('presets', () => {
  it('documents patch size, multiple, pixel bounds, normalisation and sources', () => {
    expect(presetNames).toEqual(['clip-vit-l-14', 'clip-vit-l-14-336', 'siglip-so400m-14-384', 'qwen2-vl']);
    expect(presets['clip-vit-l-14']).toMatchObject({ patchSize: 14, multipleOf: 14, maxPixels: 224 * 224, mean: [0.48145466, 0.4578275, 0.40821073], std: [0.26862954, 0.26130258, 0.27577711] });
    expect(presets['clip-vit-l-14-336']).toMatchObject({ maxPixels: 336 * 336, nativeSize: [336, 336] });
    expect(presets['siglip-so400m-14-384']).toMatchObject({ patchSize: 14, maxPixels: 378 * 378, mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], nativeSize: [384, 384] });
    expect(presets['qwen2-vl']).toMatchObject({ patchSize: 14, multipleOf: 28, minPixels: 3136, maxPixels: 1003520, sizing: 'smart-resize' });
    for (const name of presetNames) {
      expect(presets[name].sources.length).toBeGreaterThan(0);
      expect(Object.isFrozen(presets[name])).toBe(true);
    }
  });

  it.each([
    ['clip-vit-l-14', 256],
    ['clip-vit-l-14-336', 576],
    ['siglip-so400m-14-384', 729],
  ] as const)('%s keeps every batch within the model\'s %i patches, on the 14 grid', (name, patches) => {
    const batches = new ClusteredBatcher({ ...presetOptions(name), batchSize: 32 }).batch(seedBenchmarkSamples(1000, 2));
    for (const b of batches) {
      const [h, w] = b.resizeSize;
      expect(h % 14 === 0 && w % 14 === 0).toBe(true);
      expect((h / 14) * (w / 14)).toBeLessThanOrEqual(patches);
      expect((h / 14) * (w / 14)).toBeGreaterThan(patches * 0.9);
    }
  });

  it("names the imaging module's normalisation preset with the same mean and std", () => {
    for (const name of presetNames) {
      const p = presets[name];
      expect(tensorDefaults().normalize[p.normalize]).toEqual({ mean: [...p.mean], std: [...p.std] });
    }
  });

  it('an unknown preset is an INVALID_OPTION error listing the names', () => {
    expect(() => preset('clip')).toThrow(/must be one of "clip-vit-l-14"/);
    expect(() => presetOptions('toString')).toThrow(BatcherError);
  });
});
