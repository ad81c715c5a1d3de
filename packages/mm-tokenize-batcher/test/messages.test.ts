// Error messages name the option or sample, the allowed range, and the value as JavaScript
// would print it (issue 13 "Messages", issue 12's error-message bullet).
import { describe, expect, it } from 'vitest';
import { SortedBatcher, batchStream, evaluate, imageSizes } from 'mm-tokenize-batcher';
import { batchTensors, toTensor } from 'mm-tokenize-batcher/imaging';
import { caught } from './caught.js';

const ok = { image: { width: 640, height: 480 } };

describe('sample sizes', () => {
  it.each([
    ['Infinity', { width: 10, height: Infinity }, /image height is Infinity$/],
    ['-Infinity', { width: -Infinity, height: 10 }, /image width is -Infinity$/],
    ['a numeric string', { width: '640', height: 480 }, /image width is not a number: got the string "640"$/],
    ['a long string, cut', { width: 640, height: 'x'.repeat(100) }, /image height is not a number: got the string "x{24}\.\.\."$/],
    ['null', { width: null, height: 480 }, /image width is not a number: got null$/],
    ['missing', { width: 640 }, /image height is not a number: got undefined \(missing\)$/],
    ['a bigint', { width: 640n, height: 480 }, /image width is not a number: got a bigint \(640n\)$/],
    ['an object', { width: { value: 640 }, height: 480 }, /image width is not a number: got an object$/],
    ['1e21', { width: 1e21, height: 480 }, /image width is 1e\+21; the largest accepted side is 2\^31 - 1$/],
  ])('%s', (_label, image, message) => {
    const error = caught(() => new SortedBatcher({ batchSize: 2 }).batch([ok, { image } as never]));
    expect(error).toMatchObject({ code: 'INVALID_DIMENSIONS', index: 1 });
    expect(error.message).toMatch(/^sample 1: /);
    expect(error.message).toMatch(message);
    // The same reason with skipInvalid, and (for what is not a number) from imageSizes.
    const batches = new SortedBatcher({ batchSize: 2, skipInvalid: true }).batch([ok, { image } as never]);
    expect(batches.rejects[0]?.message).toMatch(/^sample 1: /);
    expect(batches.rejects[0]?.message).toMatch(message);
    const sides = image as { width?: unknown; height?: unknown };
    if (typeof sides.width === 'number' && typeof sides.height === 'number') return;
    const [size] = imageSizes([image]);
    expect(size).toMatchObject({ code: 'INVALID_DIMENSIONS' });
    expect((size as { message: string }).message).toMatch(message);
  });

  it('a tensor shape and a natural size are named the same way', () => {
    expect(caught(() => new SortedBatcher({ batchSize: 1 }).batch([{ image: { shape: [480, '640', 3] } } as never])).message).toMatch(
      /image width is not a number: got the string "640"/,
    );
    expect(caught(() => new SortedBatcher({ batchSize: 1 }).batch([{ image: { naturalWidth: 640, naturalHeight: '480' } } as never])).message).toMatch(
      /image height is not a number: got the string "480"/,
    );
  });
});

describe('options name their range', () => {
  it.each([
    [{ batchSize: 8, minPixels: 1e300 }, 'minPixels', /from 1 to 2\^53 - 1, got 1e\+300/],
    [{ batchSize: 8, maxPixels: Infinity }, 'maxPixels', /must be a finite number, got Infinity/],
    [{ batchSize: 8, multipleOf: '28' }, 'multipleOf', /must be a number, got the string "28"/],
    [{ batchSize: 1e12 }, 'batchSize', /from 1 to \d+, got 1000000000000/],
  ])('%j', (options, option, message) => {
    const error = caught(() => new SortedBatcher(options as never));
    expect(error).toMatchObject({ code: 'INVALID_OPTION', option });
    expect(error.message).toMatch(message);
  });

  it('bufferSize too large says its upper bound', () => {
    const error = caught(() => batchStream([ok], { strategy: 'simple', batchSize: 2, bufferSize: 1e12 }));
    expect(error).toMatchObject({ code: 'INVALID_OPTION', option: 'bufferSize' });
    expect(error.message).toMatch(/must be a whole number from 1 to 16777216, got 1000000000000/);
  });

  it('toTensor type and range errors name the option', () => {
    const batch = { images: [{ data: new Uint8ClampedArray(4 * 4 * 4), width: 4, height: 4 }], resizeSize: [4, 4] as [number, number] };
    const wrongType = caught(() => toTensor(batch, { maxInputPixels: '100' as never }));
    expect(wrongType).toMatchObject({ code: 'INVALID_OPTION', option: 'maxInputPixels' });
    expect(wrongType.message).toMatch(/`maxInputPixels` must be a number, got the string "100"/);
    expect(wrongType.message).not.toMatch(/malformed|invalid type/);
    const tooLarge = caught(() => toTensor(batch, { maxInputPixels: 1e13 }));
    expect(tooLarge).toMatchObject({ code: 'INVALID_OPTION', option: 'maxInputPixels' });
    expect(tooLarge.message).toMatch(/from 1 to \d+, got 10000000000000/);
    expect(caught(() => toTensor(batch, { size: ['100', 100] as never })).option).toBe('size');
  });
});

describe('arguments', () => {
  it('evaluate with something that is not batches is INVALID_INPUT', () => {
    for (const bad of ['x', 5, null, [{ images: 'x', resizeSize: [1, 1] }], [null]]) {
      expect(caught(() => evaluate(bad as never)).code).toBe('INVALID_INPUT');
    }
    expect(caught(() => evaluate([{ images: [ok.image], resizeSize: [480, 640] }], { batchSize: 'x' as never })).option).toBe('batchSize');
  });

  it('batchTensors with something that is not batches is INVALID_INPUT', () => {
    for (const bad of [5, null, undefined, {}]) {
      expect(caught(() => batchTensors(bad as never).next()).code).toBe('INVALID_INPUT');
    }
    expect(caught(() => batchTensors(['x'] as never).next()).code).toBe('INVALID_INPUT');
  });
});

describe('stream errors carry one index, the stream position', () => {
  const samples = (bad: unknown, at: number, n = 12) => Array.from({ length: n }, (_, i) => (i === at ? bad : ok)) as never[];

  it('as an error', async () => {
    const run = async () => {
      for await (const _ of batchStream(samples({ image: { width: '640', height: 1 } }, 9), { strategy: 'sorted', batchSize: 2, bufferSize: 4 }));
    };
    const error = await run().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: 'INVALID_DIMENSIONS', index: 9 });
    expect((error as Error).message).toBe('stream sample 9: image width is not a number: got the string "640"');
  });

  it('as a reject', async () => {
    const stream = batchStream(samples({ image: { width: 0, height: 1 } }, 6), { strategy: 'sorted', batchSize: 2, bufferSize: 4, skipInvalid: true });
    for await (const _ of stream);
    expect(stream.rejects.map((r) => [r.index, r.message])).toEqual([[6, 'stream sample 6: image width is 0; it must be at least 1']]);
  });
});
