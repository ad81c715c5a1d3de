// Hostile input (issue 25): samples that throw when read (getters, Proxies), detached and shared
// buffers, bigints. Each is that sample's reject with its index under skipInvalid, and a
// BatcherError with its index without it, from batch, imageSizes, toTensor, verifyImages and
// pool.toTensor alike; never a raw TypeError for the whole call.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatcherError, SortedBatcher, imageSizes } from 'mm-tokenize-batcher';
import { createImagingPool, toTensor, verifyImages, type ImagingPool } from 'mm-tokenize-batcher/imaging';
import { photo } from './helpers.js';

const png = () => new Uint8Array(photo('coffee.png'));
const boom = () => {
  throw new Error('boom');
};
const detach = (buffer: ArrayBufferLike) => structuredClone(buffer, { transfer: [buffer as ArrayBuffer] });
const detached = () => {
  const buffer = png().buffer;
  detach(buffer);
  return buffer;
};
const detachedView = () => {
  const view = png();
  detach(view.buffer);
  return view;
};
const trap = new Proxy({}, { get: boom, has: boom, getPrototypeOf: boom, ownKeys: boom });

/** Each hostile image, and what its reject must say. */
const BAD_IMAGES: [string, () => unknown, RegExp][] = [
  // RGBA pixels to toTensor, a size to the batchers: each reads `width`.
  ['an image whose width getter throws', () => ({ data: new Uint8Array(4), get width(): number { return boom(); }, height: 1 }), /threw Error: boom/],
  ['a Proxy image whose traps throw', () => trap, /threw Error: boom/],
  ['a detached ArrayBuffer', detached, /detached/],
  ['a view of a detached ArrayBuffer', detachedView, /detached/],
];

/** Samples that throw before their image is reached. */
const BAD_SAMPLES: [string, () => unknown][] = [
  ['a sample whose image getter throws', () => ({ get image(): unknown { return boom(); } })],
  ['a Proxy sample whose traps throw', () => trap],
];

/** A buffer with a good sample first, then the bad one (index 1). */
const bufferWith = (bad: unknown) => [{ image: png() }, bad, { image: png() }] as never[];

let pool: ImagingPool;
beforeAll(() => {
  pool = createImagingPool({ workers: 1 });
});
afterAll(() => pool.close());

const expectIndexed = (error: unknown, index: number, detail?: RegExp) => {
  expect(error).toBeInstanceOf(BatcherError);
  expect((error as BatcherError).index).toBe(index);
  if (detail) expect((error as BatcherError).message).toMatch(detail);
};
const thrown = (f: () => unknown) => {
  try {
    f();
  } catch (error) {
    return error;
  }
  throw new Error('did not throw');
};

describe('bad samples stay bad samples', () => {
  for (const [name, make, detail] of BAD_IMAGES) {
    it(`${name}: batch, imageSizes, toTensor, verifyImages and pool.toTensor reject sample 1 alone`, async () => {
      const skip = new SortedBatcher({ batchSize: 2, skipInvalid: true }).batch(bufferWith({ image: make() }));
      expect(skip.rejects.map((r) => r.index)).toEqual([1]);
      expect(skip.rejects[0]!.message).toMatch(detail);
      expect(skip.flatMap((b) => b.indices).sort()).toEqual([0, 2]);
      expectIndexed(thrown(() => new SortedBatcher({ batchSize: 2 }).batch(bufferWith({ image: make() }))), 1, detail);

      const sizes = imageSizes([png(), make(), png()]);
      expect(sizes[1]).toMatchObject({ message: expect.stringMatching(detail) });
      expect(sizes[0]).toMatchObject({ width: 150, height: 100 });

      const batch = () => ({ images: [png(), make(), png()], resizeSize: [28, 28] as [number, number] });
      const t = toTensor(batch(), { skipInvalid: true });
      expect(t.indices).toEqual([0, 2]);
      expect(t.rejects.map((r) => r.index)).toEqual([1]);
      expectIndexed(thrown(() => toTensor(batch())), 1, detail);
      expect(verifyImages([png(), make(), png()]).map((r) => r.index)).toEqual([1]);
      expect((await pool.toTensor(batch(), { skipInvalid: true })).rejects.map((r) => r.index)).toEqual([1]);
      expectIndexed(await pool.toTensor(batch()).catch((e: unknown) => e), 1, detail);
    });
  }

  for (const [name, make] of BAD_SAMPLES) {
    it(`${name}: the batchers reject sample 1 alone`, () => {
      const skip = new SortedBatcher({ batchSize: 2, skipInvalid: true }).batch(bufferWith(make()));
      expect(skip.rejects).toMatchObject([{ index: 1, code: 'INVALID_INPUT' }]);
      expect(skip.rejects[0]!.message).toMatch(/sample 1: reading the sample threw Error: boom/);
      expectIndexed(thrown(() => new SortedBatcher({ batchSize: 2 }).batch(bufferWith(make()))), 1);
    });
  }

  it('a SharedArrayBuffer image is read like an ArrayBuffer', () => {
    const bytes = png();
    const shared = new SharedArrayBuffer(bytes.byteLength);
    new Uint8Array(shared).set(bytes);
    expect(imageSizes([shared])[0]).toEqual({ width: 150, height: 100 });
    expect(new SortedBatcher({ batchSize: 1 }).batch([{ image: shared }])[0]!.resizeSize).toEqual([100, 150]);
    expect(toTensor({ images: [shared], resizeSize: [28, 28] }).shape).toEqual([1, 3, 28, 28]);
  });

  it('bigints: an option is refused as a string is, a bigint side and a key of 1n are named', () => {
    expect(thrown(() => new SortedBatcher({ batchSize: 32n as unknown as number }))).toMatchObject({ code: 'INVALID_OPTION', option: 'batchSize' });
    const sides = new SortedBatcher({ batchSize: 2, skipInvalid: true }).batch([{ image: { width: 10n as unknown as number, height: 10 } }]);
    expect(sides.rejects[0]).toMatchObject({ index: 0, code: 'INVALID_DIMENSIONS' });
    expect(sides.rejects[0]!.message).toContain('bigint (10n)');
    const keyed = new SortedBatcher({ batchSize: 2, skipInvalid: true, key: (_s: unknown, i: number) => (i === 1 ? (1n as unknown as number) : i) });
    const out = keyed.batch([{ image: { width: 10, height: 10 } }, { image: { width: 10, height: 10 } }]);
    expect(out.rejects).toMatchObject([{ index: 1, code: 'INVALID_KEY' }]);
    expect(out.rejects[0]!.message).toContain('a bigint (1n)');
  });

  it('a key function that throws under skipInvalid rejects that sample alone', () => {
    const keyed = new SortedBatcher({ batchSize: 2, skipInvalid: true, key: (_s: unknown, i: number) => (i === 0 ? boom() : i) });
    const out = keyed.batch([{ image: { width: 10, height: 10 } }, { image: { width: 10, height: 10 } }]);
    expect(out.rejects).toMatchObject([{ index: 0, code: 'INVALID_KEY' }]);
    expect(out.rejects[0]!.message).toContain('boom');
    expectIndexed(thrown(() => new SortedBatcher({ batchSize: 2, key: () => boom() }).batch([{ image: { width: 1, height: 1 } }])), 0);
  });
});
