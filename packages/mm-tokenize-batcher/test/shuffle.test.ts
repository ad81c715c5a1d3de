// Shuffled epochs: the batch (step) order is a seeded permutation, different per epoch, the same
// on every call; with ranks whole steps move. Batches of one resizeSize trade members per epoch
// (shuffleMembers, default on) at equal resize metrics; with it off the batches do not change.
import { describe, expect, it } from 'vitest';
import {
  BalancedBatcher,
  BatcherError,
  ClusteredBatcher,
  SimpleBatcher,
  SortedBatcher,
  batchForRank,
  batchStream,
  evaluate,
  seedBenchmarkSamples,
  strategies,
  type Sample,
} from 'mm-tokenize-batcher';

const buffer = seedBenchmarkSamples(900, 4).map((s, id) => ({ ...s, id }));
const key = (b: { indices: number[]; resizeSize: [number, number] }) => JSON.stringify([b.indices, b.resizeSize]);
const keys = (batches: readonly { indices: number[]; resizeSize: [number, number] }[]) => batches.map(key);

describe('shuffled epochs, one buffer', () => {
  for (const [name, Batcher] of Object.entries(strategies)) {
    it(`${name}: shuffleMembers false: same batches, permuted; deterministic; epochs differ`, () => {
      const plain = new Batcher({ batchSize: 32 }).batch(buffer);
      const shuffler = new Batcher({ batchSize: 32, shuffle: true, shuffleSeed: 11, shuffleMembers: false });
      const e0 = shuffler.batch(buffer);
      const e1 = shuffler.batch(buffer, { epoch: 1 });
      expect(keys(e0)).toEqual(keys(shuffler.batch(buffer)));
      expect(keys(e0)).toEqual(keys(new Batcher({ batchSize: 32, shuffle: true, shuffleSeed: 11, epoch: 0, shuffleMembers: false }).batch(buffer)));
      expect(keys(e0)).not.toEqual(keys(e1));
      expect(keys(e0)).not.toEqual(keys(plain));
      expect(keys(e1)).toEqual(keys(new Batcher({ batchSize: 32, shuffle: true, shuffleSeed: 11, epoch: 1, shuffleMembers: false }).batch(buffer)));
      // Partition invariants: the same batches, every sample exactly once.
      for (const shuffled of [e0, e1]) {
        expect([...keys(shuffled)].sort()).toEqual([...keys(plain)].sort());
        expect(shuffled.flatMap((b) => b.indices).sort((a, b) => a - b)).toEqual(buffer.map((_, i) => i));
        for (const b of shuffled) b.indices.forEach((i, j) => expect(b.samples[j]).toBe(buffer[i]));
      }
      // Another seed, another order; `shuffle: false` in one call turns it off.
      expect(keys(shuffler.batch(buffer, { shuffleSeed: 12 }))).not.toEqual(keys(e0));
      expect(keys(shuffler.batch(buffer, { shuffle: false }))).toEqual(keys(plain));
    });
  }

  it('a seeded order is not sorted by shape (Sorted batches come out mixed)', () => {
    const sorted = new SortedBatcher({ batchSize: 16, shuffle: true }).batch(buffer);
    const aspects = sorted.map((b) => b.resizeSize[1] / b.resizeSize[0]);
    const ascending = aspects.every((a, i) => i === 0 || a >= aspects[i - 1]!);
    expect(ascending).toBe(false);
  });

  it('options are checked in Rust', () => {
    const code = (fn: () => unknown) => {
      try {
        fn();
      } catch (e) {
        expect(e).toBeInstanceOf(BatcherError);
        return [(e as BatcherError).code, (e as BatcherError).option, (e as BatcherError).message];
      }
      throw new Error('no error');
    };
    expect(code(() => new SimpleBatcher({ batchSize: 4, epoch: 1 }))).toEqual(['INVALID_OPTION', 'epoch', 'option `epoch` applies only with `shuffle: true`']);
    expect(code(() => new SimpleBatcher({ batchSize: 4, shuffle: true, shuffleSeed: -1 }))[1]).toBe('shuffleSeed');
    expect(code(() => new SimpleBatcher({ batchSize: 4, shuffle: true, epoch: 1.5 }))[1]).toBe('epoch');
    expect(code(() => new SimpleBatcher({ batchSize: 4, shuffle: 'yes' as never }))[1]).toBe('shuffle');
    expect(code(() => new SimpleBatcher({ batchSize: 4 }).batch(buffer, { epoch: 2 }))[1]).toBe('epoch');
  });
});

describe('shuffled epochs, batch members (shuffleMembers, default on)', () => {
  // 900 samples of 60 distinct shapes (as photos from a few cameras): batches of one shape share a
  // size, so there are members to trade (a size held by one batch keeps its members).
  const buffer = seedBenchmarkSamples(60, 4).flatMap((s) => Array.from({ length: 15 }, () => ({ ...s })));
  const sets = (batches: readonly { indices: number[]; resizeSize: [number, number] }[]) => batches.map((b) => JSON.stringify([[...b.indices].sort((x, y) => x - y), b.resizeSize])).sort();
  for (const [name, Batcher] of Object.entries(strategies)) {
    it(`${name}: batches of one size trade members per epoch; sizes, lengths and resize metrics stay`, () => {
      const options = { batchSize: 16, multipleOf: 28, shuffle: true, shuffleSeed: 11 } as const;
      const traded = new Batcher(options);
      const fixed = new Batcher({ ...options, shuffleMembers: false });
      for (const epoch of [0, 1]) {
        const a = fixed.batch(buffer, { epoch });
        const b = traded.batch(buffer, { epoch });
        // The same step order: batch k has the same size and length either way.
        expect(b.map((x) => [x.resizeSize, x.indices.length])).toEqual(a.map((x) => [x.resizeSize, x.indices.length]));
        // Each sample keeps the size it is resized to; every sample once.
        const sizeOf = (bs: typeof a) => new Map(bs.flatMap((x) => x.indices.map((i) => [i, x.resizeSize.join('x')] as const)));
        expect([...sizeOf(b)].sort((x, y) => x[0] - y[0])).toEqual([...sizeOf(a)].sort((x, y) => x[0] - y[0]));
        for (const x of b) x.indices.forEach((i, j) => expect(x.samples[j]).toBe(buffer[i]));
        // Equal resize metrics (aspectSpread describes batch-mates, so it may change).
        const m = (bs: typeof a) => {
          const { aspectSpread: _spread, ...rest } = evaluate(bs, { batchSize: 16 });
          return rest;
        };
        expect(m(b)).toEqual(m(a));
      }
      // Members moved (several batches share a size at multipleOf 28), and differ per epoch.
      expect(sets(traded.batch(buffer))).not.toEqual(sets(fixed.batch(buffer)));
      expect(sets(traded.batch(buffer, { epoch: 1 }))).not.toEqual(sets(traded.batch(buffer)));
      expect(sets(traded.batch(buffer, { epoch: 1 }))).toEqual(sets(new Batcher({ ...options, epoch: 1 }).batch(buffer)));
    });
  }

  it('ranks: every step keeps one size for every rank; streams trade members per buffer', async () => {
    const batcher = new SortedBatcher({ batchSize: 8, multipleOf: 28, shuffle: true, shuffleSeed: 2 });
    const ranks = [0, 1, 2].map((rank) => batchForRank(batcher, buffer, { worldSize: 3, rank, epoch: 1 }));
    for (let s = 0; s < ranks[0]!.length; s++) for (const r of ranks) expect(r[s]!.resizeSize).toEqual(ranks[0]![s]!.resizeSize);
    expect(ranks.flatMap((r) => r.flatMap((b) => b.indices)).sort((a, b) => a - b)).toEqual(buffer.map((_, i) => i));
    const fixedRanks = [0, 1, 2].map((rank) => batchForRank(batcher, buffer, { worldSize: 3, rank, epoch: 1, shuffleMembers: false }));
    expect(sets(ranks.flat())).not.toEqual(sets(fixedRanks.flat()));
    async function* source() {
      yield* buffer;
    }
    const streamed = async (shuffleMembers: boolean) => {
      const out = [];
      for await (const b of batchStream(source(), { batcher, bufferSize: 300, shuffleMembers })) out.push(b);
      return out;
    };
    const [on, off] = [await streamed(true), await streamed(false)];
    expect(on.map((b) => b.resizeSize)).toEqual(off.map((b) => b.resizeSize));
    expect(sets(on)).not.toEqual(sets(off));
  });

  it('shuffleMembers needs shuffle', () => {
    expect(() => new SimpleBatcher({ batchSize: 4, shuffleMembers: false })).toThrow('`shuffleMembers` applies only with `shuffle: true`');
  });
});

describe('shuffled epochs, ranks', () => {
  it('whole steps move: every rank sees one size per step, and together every sample once', () => {
    const w = 4;
    const batcher = new ClusteredBatcher({ batchSize: 16, seed: 2 });
    const deal = (options: object) => Array.from({ length: w }, (_, rank) => batchForRank(batcher, buffer, { worldSize: w, rank, ...options }));
    const plain = deal({});
    const e0 = deal({ shuffle: true, shuffleSeed: 5, epoch: 0, shuffleMembers: false });
    const e1 = deal({ shuffle: true, shuffleSeed: 5, epoch: 1, shuffleMembers: false });
    for (const ranks of [e0, e1]) {
      const steps = ranks[0]!.length;
      expect(ranks.every((r) => r.length === steps)).toBe(true);
      for (let s = 0; s < steps; s++) {
        const size = ranks[0]![s]!.resizeSize;
        for (const r of ranks) {
          expect(r[s]!.step).toBe(s);
          expect(r[s]!.resizeSize).toEqual(size);
        }
      }
      const all = ranks.flatMap((r) => r.flatMap((b) => b.indices)).sort((a, b) => a - b);
      expect(all).toEqual(buffer.map((_, i) => i));
      // The same steps as unshuffled (each step: its ranks' batches), in another order.
      const stepKeys = (rs: typeof ranks) => rs[0]!.map((_, s) => JSON.stringify(rs.map((r) => [r[s]!.indices, r[s]!.resizeSize])));
      expect([...stepKeys(ranks)].sort()).toEqual([...stepKeys(plain)].sort());
    }
    expect(e0[1]!.map(key)).not.toEqual(e1[1]!.map(key));
    expect(e0[1]!.map(key)).not.toEqual(plain[1]!.map(key));
    // The batcher's own shuffle options apply to rank dealing too.
    const own = new ClusteredBatcher({ batchSize: 16, seed: 2, shuffle: true, shuffleSeed: 5, epoch: 1, shuffleMembers: false });
    expect(batchForRank(own, buffer, { worldSize: w, rank: 1 }).map(key)).toEqual(e1[1]!.map(key));
  });
});

describe('shuffled epochs, streams', () => {
  async function collect(options: Record<string, unknown>, rank = 0) {
    async function* source() {
      yield* buffer;
    }
    const stream = batchStream(source(), { strategy: 'balanced', batchSize: 16, bufferSize: 256, rank, ...options } as never);
    const out: { step: number; indices: number[]; resizeSize: [number, number]; samples: Sample[] }[] = [];
    for await (const b of stream) out.push(b);
    return { out, stats: stream.stats };
  }

  it('each buffer\'s batches are permuted, per epoch, deterministically', async () => {
    const plain = (await collect({})).out;
    const e0 = (await collect({ shuffle: true, shuffleSeed: 3, shuffleMembers: false })).out;
    const e0again = (await collect({ shuffle: true, shuffleSeed: 3, epoch: 0, shuffleMembers: false })).out;
    const e1 = (await collect({ shuffle: true, shuffleSeed: 3, epoch: 1, shuffleMembers: false })).out;
    expect(keys(e0)).toEqual(keys(e0again));
    expect(keys(e0)).not.toEqual(keys(e1));
    expect(keys(e0)).not.toEqual(keys(plain));
    expect([...keys(e0)].sort()).toEqual([...keys(plain)].sort());
  });

  it('the shuffle buffer mixes samples across buffers, stays bounded and loses nothing', async () => {
    const { out, stats } = await collect({ shuffle: true, shuffleSeed: 3, shuffleBuffer: 500 });
    const again = (await collect({ shuffle: true, shuffleSeed: 3, shuffleBuffer: 500 })).out;
    const e1 = (await collect({ shuffle: true, shuffleSeed: 3, shuffleBuffer: 500, epoch: 1 })).out;
    expect(keys(out)).toEqual(keys(again));
    expect(keys(out)).not.toEqual(keys(e1));
    // Every sample exactly once, by its stream position.
    expect(out.flatMap((b) => b.indices).sort((a, b) => a - b)).toEqual(buffer.map((_, i) => i));
    for (const b of out) b.indices.forEach((i, j) => expect(b.samples[j]).toBe(buffer[i]));
    // The first buffer planned holds samples from far beyond the first 256 read.
    const firstBufferBatches = out.slice(0, Math.floor(256 / 16));
    expect(Math.max(...firstBufferBatches.flatMap((b) => b.indices))).toBeGreaterThan(600);
    expect(stats.peakBuffered).toBeLessThanOrEqual(500 + 256);
    expect(stats.peakBuffered).toBeGreaterThan(256);
  });

  it('ranks of a shuffled stream agree on the size of every step', async () => {
    const options = { shuffle: true, shuffleSeed: 9, shuffleBuffer: 300, worldSize: 3 };
    const ranks = await Promise.all([0, 1, 2].map(async (rank) => (await collect(options, rank)).out));
    const steps = ranks[0]!.length;
    expect(ranks.every((r) => r.length === steps)).toBe(true);
    for (let s = 0; s < steps; s++) for (const r of ranks) expect(r[s]!.resizeSize).toEqual(ranks[0]![s]!.resizeSize);
    expect(ranks.flatMap((r) => r.flatMap((b) => b.indices)).sort((a, b) => a - b)).toEqual(buffer.map((_, i) => i));
  });

  it('a source error reaches the consumer after the shuffle buffer is delivered', async () => {
    async function* failing() {
      for (let i = 0; i < 300; i++) yield buffer[i]!;
      throw new Error('source broke');
    }
    const seen: number[] = [];
    const stream = batchStream(failing(), { batcher: new BalancedBatcher({ batchSize: 16 }), bufferSize: 128, shuffle: true, shuffleBuffer: 200 });
    await expect(
      (async () => {
        for await (const b of stream) seen.push(...b.indices);
      })(),
    ).rejects.toThrow('source broke');
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 300 }, (_, i) => i));
  });

  it('shuffleBuffer needs shuffle; a batcher\'s shuffle applies to the stream', async () => {
    expect(() => batchStream([], { batcher: new SimpleBatcher({ batchSize: 4 }), shuffleBuffer: 10 })).toThrow('`shuffleBuffer` applies only with `shuffle: true`');
    async function* source() {
      yield* buffer;
    }
    const viaBatcher: string[] = [];
    for await (const b of batchStream(source(), { batcher: new BalancedBatcher({ batchSize: 16, shuffle: true, shuffleSeed: 3 }), bufferSize: 256 })) viaBatcher.push(key(b));
    expect(viaBatcher).toEqual(keys((await collect({ shuffle: true, shuffleSeed: 3 })).out));
  });
});
