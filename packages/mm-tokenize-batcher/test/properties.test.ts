import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BalancedBatcher, ClusteredBatcher, SimpleBatcher, SortedBatcher, evaluate, type Batches } from 'mm-tokenize-batcher';

const side = fc.oneof({ arbitrary: fc.integer({ min: 1, max: 4096 }), weight: 8 }, { arbitrary: fc.integer({ min: 1, max: 2 ** 31 - 1 }), weight: 1 });
// Sizes up to the pixel limit every real image is within (89,478,485 pixels; larger ones are refused).
const LIMIT = 89_478_485;
const image = fc.record({ width: side, height: side.map((h) => Math.min(h, LIMIT)) }).map(({ width, height }) => ({ width: Math.max(1, Math.min(width, Math.floor(LIMIT / height))), height }));
const buffer = fc.array(fc.record({ image, text: fc.option(fc.string(), { nil: undefined }) }), { maxLength: 200 });

const makers = {
  simple: (o: { batchSize: number; multipleOf: number; seed: number }) => new SimpleBatcher({ batchSize: o.batchSize, multipleOf: o.multipleOf }),
  sorted: (o: { batchSize: number; multipleOf: number; seed: number }) => new SortedBatcher({ batchSize: o.batchSize, multipleOf: o.multipleOf }),
  clustered: (o: { batchSize: number; multipleOf: number; seed: number }) => new ClusteredBatcher(o),
  balanced: (o: { batchSize: number; multipleOf: number; seed: number }) => new BalancedBatcher({ batchSize: o.batchSize, multipleOf: o.multipleOf, minFill: 0.5 + (o.seed % 51) / 100 }),
};

function indicesOnce(batches: Batches, n: number): boolean {
  const seen = new Uint8Array(n);
  for (const b of batches) for (const i of b.indices) seen[i]!++;
  return seen.every((c) => c === 1);
}

describe.each(Object.entries(makers))('%s batcher, any buffer', (_name, make) => {
  it('puts every sample in exactly one batch of at most batchSize, sized to multipleOf, deterministically', () => {
    fc.assert(
      fc.property(buffer, fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 64 }), fc.nat(1000), (buf, batchSize, multipleOf, seed) => {
        const batcher = make({ batchSize, multipleOf, seed });
        const batches = batcher.batch(buf);
        expect(indicesOnce(batches, buf.length)).toBe(true);
        expect(batches.rejects).toEqual([]);
        for (const b of batches) {
          expect(b.samples.length).toBeGreaterThan(0);
          expect(b.samples.length).toBeLessThanOrEqual(batchSize);
          expect(b.samples).toEqual(b.indices.map((i) => buf[i]));
          expect(b.images).toEqual(b.samples.map((s) => s.image));
          expect(b.texts).toEqual(b.samples.map((s) => s.text));
          const [h, w] = b.resizeSize;
          expect(h % multipleOf).toBe(0);
          expect(w % multipleOf).toBe(0);
          expect(Math.min(h, w)).toBeGreaterThanOrEqual(multipleOf);
        }
        // A fresh batcher with the same options: same plan.
        expect(make({ batchSize, multipleOf, seed }).batch(buf).map((b) => [b.indices, b.resizeSize])).toEqual(batches.map((b) => [b.indices, b.resizeSize]));
        const m = evaluate(batches, { batchSize });
        for (const s of [m.distortion, m.scaleMismatch, m.resizeWaste]) {
          expect(Math.min(s.p50, s.p95, s.max)).toBeGreaterThanOrEqual(1);
        }
        expect(m.fill).toBeLessThanOrEqual(1);
      }),
      { numRuns: 60 },
    );
  });

  it('keeps resizeSize within the pixel bounds', () => {
    fc.assert(
      fc.property(buffer, fc.integer({ min: 1, max: 32 }), fc.integer({ min: 1, max: 2_000_000 }), fc.integer({ min: 0, max: 2_000_000 }), (buf, multipleOf, minPixels, extra) => {
        const maxPixels = Math.max(minPixels, multipleOf * multipleOf) + extra;
        const batches = new SortedBatcher({ batchSize: 8, multipleOf, maxPixels }).batch(buf);
        for (const { resizeSize: [h, w] } of batches) expect(h * w).toBeLessThanOrEqual(maxPixels);
        const grown = new SortedBatcher({ batchSize: 8, multipleOf, minPixels }).batch(buf);
        for (const { resizeSize: [h, w] } of grown) expect(h * w).toBeGreaterThanOrEqual(minPixels);
      }),
      { numRuns: 40 },
    );
  });
});
