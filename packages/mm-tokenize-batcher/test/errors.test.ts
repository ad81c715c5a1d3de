import { describe, expect, it } from 'vitest';
import { BalancedBatcher, BatcherError, ClusteredBatcher, SimpleBatcher, SortedBatcher } from 'mm-tokenize-batcher';
import { caught } from './caught.js';

const ok = { image: { width: 640, height: 480 } };
const strategies = [
  ['simple', (o: object) => new SimpleBatcher(o as never)],
  ['sorted', (o: object) => new SortedBatcher(o as never)],
  ['clustered', (o: object) => new ClusteredBatcher(o as never)],
  ['balanced', (o: object) => new BalancedBatcher(o as never)],
] as const;


describe.each(strategies)('%s batcher rejects bad options', (_name, make) => {
  it.each([
    ['missing', {}, /batchSize.*required/],
    ['zero', { batchSize: 0 }, /batchSize.*whole number from 1/],
    ['negative', { batchSize: -4 }, /batchSize.*-4/],
    ['fractional', { batchSize: 2.5 }, /batchSize.*2\.5/],
    ['NaN', { batchSize: Number.NaN }, /batchSize/],
    ['a string', { batchSize: '8' }, /batchSize.*must be a number, got the string "8"/],
    ['null', { batchSize: null }, /batchSize.*must be a number/],
  ])('batchSize %s', (_label, options, message) => {
    const error = caught(() => make(options));
    expect(error.code).toBe('INVALID_OPTION');
    expect(error.option).toBe('batchSize');
    expect(error.message).toMatch(message);
  });

  it('an unknown option, naming it and the known ones', () => {
    const error = caught(() => make({ batchSize: 8, batchsize: 8 }));
    expect(error).toMatchObject({ code: 'INVALID_OPTION', option: 'batchsize' });
    expect(error.message).toMatch(/known options: .*batchSize/);
  });

  it('no options object', () => {
    expect(caught(() => make(undefined as never)).code).toBe('INVALID_OPTION');
  });

  it('an undefined option is the same as an absent one', () => {
    expect(make({ batchSize: 2, multipleOf: undefined }).batch([ok, ok])).toHaveLength(1);
  });
});

it('strategy options do not leak across strategies', () => {
  expect(caught(() => new SimpleBatcher({ batchSize: 8, seed: 1 } as never)).option).toBe('seed');
  expect(caught(() => new ClusteredBatcher({ batchSize: 8, key: 'area' } as never)).option).toBe('key');
  expect(caught(() => new SortedBatcher({ batchSize: 8, key: 'height' as never })).option).toBe('key');
  expect(caught(() => new ClusteredBatcher({ batchSize: 8, numClusters: 0 })).option).toBe('numClusters');
  expect(caught(() => new BalancedBatcher({ batchSize: 8, minFill: 0 })).option).toBe('minFill');
  expect(caught(() => new SimpleBatcher({ batchSize: 8, sizing: 'mean' as never })).option).toBe('sizing');
  expect(caught(() => new BalancedBatcher({ batchSize: 8, minFill: 1.2 })).option).toBe('minFill');
  expect(caught(() => new SimpleBatcher({ batchSize: 8, multipleOf: 28, maxPixels: 700 })).option).toBe('maxPixels');
});

const badSamples: [string, unknown, string, RegExp][] = [
  ['no image', { text: 'hi' }, 'MISSING_IMAGE', /sample 3: sample has no `image`/],
  ['a null sample', null, 'MISSING_IMAGE', /sample 3: sample is null/],
  ['an image that is a string', { image: 'cat.png' }, 'UNSUPPORTED_IMAGE', /sample 3: image is a string/],
  ['bytes of no known format', { image: new Uint8Array(8) }, 'UNSUPPORTED_IMAGE', /^sample 3: not an image: the bytes match no known format's signature/],
  ['width 0', { image: { width: 0, height: 10 } }, 'INVALID_DIMENSIONS', /sample 3: image width is 0/],
  ['negative height', { image: { width: 10, height: -5 } }, 'INVALID_DIMENSIONS', /sample 3: image height is -5/],
  ['NaN width', { image: { width: Number.NaN, height: 10 } }, 'INVALID_DIMENSIONS', /sample 3: image width is not a number/],
  ['missing height', { image: { width: 10 } }, 'INVALID_DIMENSIONS', /sample 3: image height is not a number/],
  ['Infinity height', { image: { width: 10, height: Infinity } }, 'INVALID_DIMENSIONS', /sample 3: image height is Infinity/],
  ['fractional width', { image: { width: 10.5, height: 10 } }, 'INVALID_DIMENSIONS', /sample 3: image width is 10.5; it must be a whole number/],
  ['width above 2^31', { image: { width: 2 ** 31 + 1, height: 10 } }, 'INVALID_DIMENSIONS', /sample 3: image width is 2147483649; the largest/],
];

describe.each(strategies)('%s batcher rejects bad samples', (_name, make) => {
  it.each(badSamples)('%s: error names the sample, the next call works', (_label, bad, code, message) => {
    const buffer = [ok, ok, ok, bad, ok, { image: { width: 0, height: 0 } }] as never[];
    const batcher = make({ batchSize: 2 });
    const error = caught(() => batcher.batch(buffer));
    expect(error.code).toBe(code);
    expect(error.index).toBe(3);
    expect(error.message).toMatch(message);
    // No trap, no poisoned state: the same batcher plans the next buffer.
    expect(batcher.batch([ok, ok, ok]).flatMap((b) => b.indices)).toHaveLength(3);
  });

  it.each(badSamples)('%s: with skipInvalid it becomes a reject entry', (_label, bad, code) => {
    const buffer = [ok, ok, ok, bad, ok, { image: { width: 0, height: 0 } }] as never[];
    const batches = make({ batchSize: 2, skipInvalid: true }).batch(buffer);
    expect(batches.flatMap((b) => b.indices).sort()).toEqual([0, 1, 2, 4]);
    expect(batches.rejects.map((r) => [r.index, r.code])).toEqual([
      [3, code],
      [5, 'INVALID_DIMENSIONS'],
    ]);
  });

  it('an empty buffer gives no batches and no error', () => {
    const batches = make({ batchSize: 4 }).batch([]);
    expect(batches).toHaveLength(0);
    expect(batches.rejects).toEqual([]);
  });

  it('a buffer that is not an array', () => {
    expect(caught(() => make({ batchSize: 4 }).batch('abc' as never)).code).toBe('INVALID_INPUT');
  });
});

describe('custom sort keys', () => {
  it('a key that is not a finite number is an INVALID_KEY naming the sample', () => {
    const batcher = new SortedBatcher<{ image: { width: number; height: number }; k?: number }>({ batchSize: 2, key: (s) => s.k as number });
    const error = caught(() => batcher.batch([{ ...ok, k: 1 }, { ...ok, k: Number.NaN }]));
    expect(error).toMatchObject({ code: 'INVALID_KEY', index: 1 });
  });

  it('a key function that throws is an INVALID_KEY with the cause', () => {
    const boom = new Error('boom');
    const batcher = new SortedBatcher({ batchSize: 2, key: (_s, i) => { if (i === 1) throw boom; return i; } });
    const error = caught(() => batcher.batch([ok, ok]));
    expect(error).toMatchObject({ code: 'INVALID_KEY', index: 1 });
    expect(error.cause).toBe(boom);
  });
});
