import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { BatcherError, ClusteredBatcher, batchForRank, seedBenchmarkSamples } from 'mm-tokenize-batcher';
// @ts-expect-error: a plain .mjs helper
import { bmp } from './fixtures/images.mjs';

interface RankResult {
  batches: { indices: number[]; resizeSize: [number, number]; step: number; rank: number; padding: number }[];
  steps?: number;
  dropped: number[];
  held?: number[];
  empty?: number;
}

const worker = new URL('./fixtures/rank-worker.mjs', import.meta.url);

/** Runs every rank in its own worker thread, all at once, and collects their batches. */
function runRanks(worldSize: number, data: Record<string, unknown>): Promise<RankResult[]> {
  return Promise.all(
    Array.from(
      { length: worldSize },
      (_, rank) =>
        new Promise<RankResult>((resolve, reject) => {
          const w = new Worker(worker, { workerData: { ...data, worldSize, rank } });
          w.once('message', (m) => {
            resolve(m as RankResult);
            void w.terminate();
          });
          w.once('error', reject);
        }),
    ),
  );
}

/** The promises of issue 6: equal counts, one size per step across ranks, every sample once. */
function checkRanks(ranks: RankResult[], count: number, batchSize: number) {
  const steps = ranks[0]!.batches.length;
  for (const [r, result] of ranks.entries()) {
    expect(result.batches).toHaveLength(steps);
    expect(result.batches.map((b) => b.step)).toEqual([...Array(steps).keys()]);
    expect(result.batches.every((b) => b.rank === r && b.indices.length <= batchSize)).toBe(true);
  }
  for (let s = 0; s < steps; s++) {
    const sizes = new Set(ranks.map((r) => r.batches[s]!.resizeSize.join('x')));
    expect(sizes.size, `step ${s}`).toBe(1);
  }
  const all = ranks.flatMap((r) => r.batches.flatMap((b) => b.indices.slice(0, b.indices.length - b.padding)));
  const dropped = ranks[0]!.dropped;
  for (const r of ranks) expect(r.dropped).toEqual(dropped);
  expect([...all, ...dropped].sort((a, b) => a - b)).toEqual([...Array(count).keys()]);
}

describe('many ranks, one plan (each rank in its own worker thread)', () => {
  it.each([
    ['clustered', 4, 1000],
    ['balanced', 3, 1000],
    ['sorted', 8, 777],
    ['clustered', 5, 101],
  ])('one-shot: %s, %i ranks, %i samples', async (strategy, worldSize, count) => {
    const ranks = await runRanks(worldSize, { mode: 'oneshot', strategy, options: { batchSize: 16, multipleOf: 28, seed: strategy === 'clustered' ? 3 : undefined }, count, seed: 11 });
    checkRanks(ranks, count, 16);
    expect(ranks.every((r) => r.steps === r.batches.length && r.empty === 0)).toBe(true);
  });

  it('stream: equal steps, shared sizes, every sample once, leftovers carried between buffers', async () => {
    const count = 5000;
    const ranks = await runRanks(4, { mode: 'stream', strategy: 'clustered', options: { batchSize: 32, seed: 5 }, count, seed: 2, bufferSize: 1024, carry: true });
    checkRanks(ranks, count, 32);
    expect((ranks[0] as RankResult & { stats: { carried: number } }).stats.carried).toBeGreaterThan(0);
  });

  it("leftover 'drop' drops only what it reports, the same on every rank", async () => {
    const ranks = await runRanks(3, { mode: 'oneshot', strategy: 'clustered', options: { batchSize: 16 }, count: 1000, seed: 4, leftover: 'drop' });
    expect(ranks[0]!.dropped.length).toBeGreaterThan(0);
    checkRanks(ranks, 1000, 16);
  });

  it("leftover 'pad' repeats samples only to fill otherwise empty batches, and says so", async () => {
    // 5 samples, 8 ranks: 3 ranks would get nothing.
    const ranks = await runRanks(8, { mode: 'oneshot', strategy: 'sorted', options: { batchSize: 4 }, count: 5, seed: 1, leftover: 'pad' });
    checkRanks(ranks, 5, 4);
    expect(ranks.map((r) => r.batches[0]!.padding).reduce((a, b) => a + b)).toBe(3);
    const split = await runRanks(8, { mode: 'oneshot', strategy: 'sorted', options: { batchSize: 4 }, count: 5, seed: 1 });
    checkRanks(split, 5, 4);
    expect(split[0]!.empty).toBe(3);
  });
});

describe('batchForRank', () => {
  const samples = seedBenchmarkSamples(600, 9);
  it('deals encoded images (BMP bytes) like their dimension twins', () => {
    const dims = samples.slice(0, 60);
    const encoded = dims.map((s) => ({ image: new Uint8Array(bmp(s.image.width >> 3, s.image.height >> 3)) }));
    const small = dims.map((s) => ({ image: { width: s.image.width >> 3, height: s.image.height >> 3 } }));
    const batcher = new ClusteredBatcher({ batchSize: 8 });
    for (const rank of [0, 1, 2]) {
      const a = batchForRank(batcher, encoded, { worldSize: 3, rank });
      const b = batchForRank(batcher, small, { worldSize: 3, rank });
      expect(a.map((x) => [x.indices, x.resizeSize])).toEqual(b.map((x) => [x.indices, x.resizeSize]));
    }
  });

  it('with one rank gives the batcher\'s own plan', () => {
    const batcher = new ClusteredBatcher({ batchSize: 32 });
    const one = batchForRank(batcher, samples, { worldSize: 1, rank: 0 });
    const plain = batcher.batch(samples);
    expect(one.map((b) => [b.indices, b.resizeSize])).toEqual(plain.map((b) => [b.indices, b.resizeSize]));
  });

  it('checks rank options with clear errors', () => {
    const batcher = new ClusteredBatcher({ batchSize: 32 });
    const error = (() => {
      try {
        batchForRank(batcher, samples, { worldSize: 2, rank: 2 });
      } catch (e) {
        return e as BatcherError;
      }
    })();
    expect(error).toBeInstanceOf(BatcherError);
    expect(error!.code).toBe('INVALID_OPTION');
    expect(error!.option).toBe('rank');
    expect(() => batchForRank(batcher, samples, { worldSize: 0, rank: 0 })).toThrow(/worldSize/);
    expect(() => batchForRank(batcher, samples, { worldSize: 2, rank: 0, leftover: 'skip' as never })).toThrow(/leftover/);
  });
});
