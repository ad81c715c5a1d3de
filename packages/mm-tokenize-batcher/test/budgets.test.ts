import { describe, expect, it } from 'vitest';
import {
  BalancedBatcher,
  BatcherError,
  ClusteredBatcher,
  SortedBatcher,
  TokenPacker,
  evaluate,
  seedBenchmarkSamples,
  type Batch,
} from 'mm-tokenize-batcher';

const buffer = seedBenchmarkSamples(600, 5);
const tokens = ([h, w]: [number, number], patch: number) => (h / patch) * (w / patch);

describe('token budgets', () => {
  const makers = {
    sorted: () => new SortedBatcher({ maxTokens: 16384, patchSize: 14 }),
    clustered: () => new ClusteredBatcher({ maxTokens: 16384, patchSize: 14 }),
    balanced: () => new BalancedBatcher({ maxTokens: 16384, patchSize: 14, batchSize: 64 }),
  };
  it.each(Object.entries(makers))('%s: every batch fits maxTokens, every sample once', (_name, make) => {
    const batches = make().batch(buffer);
    expect(batches.flatMap((b) => b.indices).sort((a, b) => a - b)).toEqual([...buffer.keys()]);
    for (const b of batches) {
      expect(b.resizeSize[0] % 14).toBe(0);
      expect(b.resizeSize[1] % 14).toBe(0);
      expect(b.indices.length * tokens(b.resizeSize, 14)).toBeLessThanOrEqual(16384);
    }
    const m = evaluate(batches, { maxTokens: 16384, patchSize: 14 });
    expect(m.tokenFill).toBeGreaterThan(0.5);
    expect(m.tokenFill).toBeLessThanOrEqual(1);
  });

  it('reports token fill as used tokens over budget', () => {
    const batch = { images: [{ width: 280, height: 140 }, { width: 140, height: 140 }], resizeSize: [140, 280] as [number, number] };
    // 2 images x (10 x 20 patches) = 400 tokens of 1000.
    expect(evaluate([batch], { maxTokens: 1000, patchSize: 14 }).tokenFill).toBeCloseTo(0.4, 12);
    expect(evaluate([batch]).tokenFill).toBeUndefined();
  });

  it('an image alone over the budget is an OVER_TOKEN_BUDGET error, or a reject', () => {
    const big = [...buffer.slice(0, 5), { image: { width: 5000, height: 5000 } }];
    expect(() => new SortedBatcher({ maxTokens: 4096, patchSize: 16 }).batch(big)).toThrow(expect.objectContaining({ code: 'OVER_TOKEN_BUDGET', index: 5 }));
    const skipped = new SortedBatcher({ maxTokens: 4096, patchSize: 16, skipInvalid: true }).batch(big);
    expect(skipped.rejects.map((r) => [r.index, r.code])).toEqual([[5, 'OVER_TOKEN_BUDGET']]);
  });

  it('needs patchSize, and sides in whole patches', () => {
    expect(() => new SortedBatcher({ maxTokens: 4096 })).toThrow(BatcherError);
    expect(() => new SortedBatcher({ batchSize: 8, patchSize: 14, multipleOf: 20 })).toThrow(/multipleOf.*multiple of it/);
    expect(() => new SortedBatcher({})).toThrow(/batchSize.*required/);
  });
});

describe('maxShapes', () => {
  const distinct = (batches: Batch[]) => new Set(batches.map((b) => b.resizeSize.join('x'))).size;
  it.each([1, 2, 4, 8])('uses at most %i distinct sizes, each image at its best, at some cost in resize waste', (maxShapes) => {
    const free = new ClusteredBatcher({ batchSize: 32, multipleOf: 28 }).batch(buffer);
    const capped = new ClusteredBatcher({ batchSize: 32, multipleOf: 28, maxShapes }).batch(buffer);
    expect(distinct(capped)).toBeLessThanOrEqual(maxShapes);
    expect(capped.flatMap((b) => b.indices).sort((a, b) => a - b)).toEqual([...buffer.keys()]);
    expect(capped.every((b) => b.indices.length <= 32)).toBe(true);
    // Images are batched per shape: at most one partial batch per shape.
    expect(capped.filter((b) => b.indices.length < 32).length).toBeLessThanOrEqual(maxShapes);
    // Each image sits at the shape, of those the plan uses, that wastes least on it.
    const shapes = [...new Set(capped.map((b) => b.resizeSize.join('x')))].map((s) => s.split('x').map(Number) as [number, number]);
    const waste = (image: unknown, resizeSize: [number, number]) => evaluate([{ images: [image], resizeSize }]).resizeWaste.max;
    for (const b of capped.slice(0, 4)) {
      for (const image of b.images) {
        const mine = waste(image, b.resizeSize);
        for (const other of shapes) expect(mine).toBeLessThanOrEqual(waste(image, other) + 1e-9);
      }
    }
    expect(evaluate(capped).resizeWaste.p50).toBeGreaterThanOrEqual(evaluate(free).resizeWaste.p50);
  });

  it('keeps token budgets when shapes are shared', () => {
    const batches = new SortedBatcher({ maxTokens: 8192, patchSize: 14, maxShapes: 3 }).batch(buffer);
    expect(distinct(batches)).toBeLessThanOrEqual(3);
    for (const b of batches) expect(b.indices.length * tokens(b.resizeSize, 14)).toBeLessThanOrEqual(8192);
    expect(batches.flatMap((b) => b.indices)).toHaveLength(buffer.length);
  });
});

describe('TokenPacker', () => {
  it('packs images at their own sizes into maxTokens, first-fit decreasing padding less than next-fit', () => {
    const ffd = new TokenPacker({ maxTokens: 8192, patchSize: 14 }).pack(buffer);
    const nextFit = new TokenPacker({ maxTokens: 8192, patchSize: 14, algorithm: 'next-fit' }).pack(buffer);
    for (const packs of [ffd, nextFit]) {
      expect(packs.flatMap((p) => p.indices).sort((a, b) => a - b)).toEqual([...buffer.keys()]);
      for (const p of packs) {
        expect(p.usedTokens).toBeLessThanOrEqual(8192);
        p.indices.forEach((i, j) => {
          const [h, w] = p.sizes[j]!;
          expect(p.tokens[j]).toBe(tokens([h, w], 14));
          expect(Math.abs(h - buffer[i]!.image.height)).toBeLessThanOrEqual(7);
          expect(Math.abs(w - buffer[i]!.image.width)).toBeLessThanOrEqual(7);
        });
      }
      const used = packs.reduce((sum, p) => sum + p.usedTokens, 0);
      expect(packs.padding).toBeCloseTo(1 - used / (packs.length * 8192), 12);
    }
    expect(ffd.padding).toBeLessThan(nextFit.padding);
  });

  it('rejects bad options when created', () => {
    expect(() => new TokenPacker({ maxTokens: 100 } as never)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', option: 'patchSize' }));
    expect(() => new TokenPacker({ maxTokens: 100, patchSize: 14, algorithm: 'best-fit' as never })).toThrow(expect.objectContaining({ option: 'algorithm' }));
  });
});
