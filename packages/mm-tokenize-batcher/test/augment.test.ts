// Seeded random crop and flip, and noUpscale, through toTensor and the pool (the rules are the
// imaging crate's: crates/imaging/tests/augment_patches.rs).
import { describe, expect, it } from 'vitest';
import { BalancedBatcher } from 'mm-tokenize-batcher';
import { createImagingPool, toTensor } from 'mm-tokenize-batcher/imaging';
import { FIXTURES, photo } from './helpers.js';

const buffer = FIXTURES.map(({ file }) => ({ image: photo(file) }));
const whole = { images: buffer.map((s) => s.image), indices: buffer.map((_, i) => i), resizeSize: [64, 96] as [number, number] };

describe('augmentation options', () => {
  it('an image is cropped and flipped by (augmentSeed, epoch, its buffer index), whatever batch it is in', () => {
    const options = { mode: 'crop', randomCrop: true, randomFlip: true, augmentSeed: 7, epoch: 3, dtype: 'uint8' } as const;
    const all = toTensor(whole, options);
    const per = 64 * 96 * 3;
    // Image 5 alone (same buffer index) gives the same bytes as inside the whole batch.
    const alone = toTensor({ images: [whole.images[5]!], indices: [5], resizeSize: whole.resizeSize }, options);
    expect(alone.data).toEqual(all.data.subarray(5 * per, 6 * per));
    // Another epoch or seed changes them; the centre crop differs from the random one.
    expect(toTensor(whole, { ...options, epoch: 4 }).data).not.toEqual(all.data);
    expect(toTensor(whole, { ...options, augmentSeed: 8 }).data).not.toEqual(all.data);
    expect(toTensor(whole, { mode: 'crop', dtype: 'uint8' }).data).not.toEqual(all.data);
  });

  it('noUpscale keeps small photos at their own size, centred', () => {
    const t = toTensor({ images: [photo('astronaut.jpg')], resizeSize: [300, 400] }, { noUpscale: true, mode: 'letterbox', dtype: 'uint8' });
    expect(t.contentBoxes).toEqual([[120, 90, 160, 120]]);
    const stretched = toTensor({ images: [photo('astronaut.jpg')], resizeSize: [300, 400] }, { dtype: 'uint8' });
    expect(stretched.contentBoxes).toEqual([[0, 0, 400, 300]]);
  });

  it('the pool gives the same augmented tensors; options are checked', async () => {
    const batches = new BalancedBatcher({ batchSize: 3, multipleOf: 8 }).batch(buffer);
    const options = { mode: 'crop', randomCrop: true, randomFlip: true, noUpscale: true, augmentSeed: 1, epoch: 1, normalize: 'clip' } as const;
    const pool = createImagingPool({ workers: 2 });
    try {
      for await (const [i, t] of (async function* () {
        let i = 0;
        for await (const t of pool.map(batches, options)) yield [i++, t] as const;
      })()) {
        expect(t.data).toEqual(toTensor(batches[i]!, options).data);
      }
    } finally {
      await pool.close();
    }
    expect(() => toTensor(whole, { randomCrop: true })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', option: 'randomCrop' }));
    expect(() => toTensor(whole, { epoch: 1 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', option: 'epoch' }));
  });
});
