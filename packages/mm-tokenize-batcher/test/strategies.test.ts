import { describe, expect, it } from 'vitest';
import { BalancedBatcher, ClusteredBatcher, SimpleBatcher, SortedBatcher, evaluate, seedBenchmarkSamples, type Batch } from 'mm-tokenize-batcher';

const spec = seedBenchmarkSamples(5000, 0);
const aspect = (s: { image: { width: number; height: number } }) => s.image.width / s.image.height;
const area = (s: { image: { width: number; height: number } }) => s.image.width * s.image.height;

describe('SimpleBatcher', () => {
  it('keeps input order in consecutive batches', () => {
    const batches = new SimpleBatcher({ batchSize: 32 }).batch(spec.slice(0, 100));
    expect(batches.map((b) => b.indices.length)).toEqual([32, 32, 32, 4]);
    expect(batches.flatMap((b) => b.indices)).toEqual([...Array(100).keys()]);
  });
});

describe('SortedBatcher', () => {
  const buffer = spec.slice(0, 500);
  it.each([
    ['aspect (default)', undefined, aspect],
    ['aspect', 'aspect' as const, aspect],
    ['area', 'area' as const, area],
  ])('orders batches and their members by %s', (_label, key, value) => {
    const batches = new SortedBatcher({ batchSize: 32, key }).batch(buffer);
    // Sample['image'] also admits encoded bytes, which have no width: these samples are sized objects.
    const keys = batches.flatMap((b) => b.samples.map((s) => value(s as Parameters<typeof value>[0])));
    expect(keys).toEqual([...keys].sort((a, b) => a - b));
  });

  it('orders by a custom key function, which sees each sample and its index', () => {
    const buf = buffer.map((s, i) => ({ ...s, priority: (i * 37) % 101 }));
    const seen: number[] = [];
    const batches = new SortedBatcher<(typeof buf)[number]>({
      batchSize: 16,
      key: (s, i) => {
        seen.push(i);
        return s.priority;
      },
    }).batch(buf);
    expect(seen).toEqual([...buf.keys()]);
    const keys = batches.flatMap((b) => b.samples.map((s) => s.priority));
    expect(keys).toEqual([...keys].sort((a, b) => a - b));
  });

  it('plans right when a key function plans with the same batcher (sizes are read into a reused array)', () => {
    type S = (typeof spec)[number];
    const plain = new SortedBatcher<S>({ batchSize: 16, key: (s) => area(s) });
    const shape = (batches: Batch<S>[]) => batches.map((b) => [b.indices, b.resizeSize]);
    const inner = spec.slice(1000, 1300);
    let depth = 0;
    let innerPlan: Batch<S>[] = [];
    const batcher: SortedBatcher<S> = new SortedBatcher<S>({
      batchSize: 16,
      key: (s, i) => {
        // Another buffer planned by this very batcher while the outer call is under way.
        if (i === 0 && depth++ === 0) innerPlan = batcher.batch(inner);
        return area(s);
      },
    });
    batcher.batch(spec.slice(0, 1000)); // its array now holds either buffer below
    depth = 0;
    const outer = spec.slice(0, 200);
    expect(shape(batcher.batch(outer))).toEqual(shape(plain.batch(outer)));
    expect(shape(innerPlan)).toEqual(shape(plain.batch(inner)));
    // Smaller, then larger buffers than before reuse or grow the array: every size as read.
    const byArea = new SortedBatcher({ batchSize: 8, key: 'area' });
    for (const n of [10, 300, 5000, 20000, 7]) {
      const buffer = seedBenchmarkSamples(n, n);
      const got = byArea.batch(buffer).flatMap((b) => b.samples.map((s) => area(s as (typeof spec)[number])));
      expect(got).toEqual(buffer.map(area).sort((a, b) => a - b));
    }
  });
});

describe('ClusteredBatcher', () => {
  it('beats SimpleBatcher on p95 resize waste on the SPEC benchmark data', () => {
    for (const size of [128, 512, 5000]) {
      const p95 = (make: () => { batch: (b: typeof spec) => Parameters<typeof evaluate>[0] }) => {
        const batcher = make();
        const batches = [];
        for (let at = 0; at < spec.length; at += size) batches.push(...batcher.batch(spec.slice(at, at + size)));
        return evaluate(batches, { batchSize: 32 }).resizeWaste.p95;
      };
      const simple = p95(() => new SimpleBatcher({ batchSize: 32 }));
      const clustered = p95(() => new ClusteredBatcher({ batchSize: 32 }));
      expect(clustered, `buffer ${size}`).toBeLessThan(simple);
    }
  });

  it('gives different plans for different seeds and the same plan for the same seed', () => {
    const buffer = spec.slice(0, 1000);
    const plan = (seed: number) => new ClusteredBatcher({ batchSize: 32, seed }).batch(buffer).map((b) => b.indices);
    expect(plan(1)).toEqual(plan(1));
    expect(plan(1)).not.toEqual(plan(2));
  });

  it('honours numClusters', () => {
    const batches = new ClusteredBatcher({ batchSize: 1000, numClusters: 3 }).batch(spec.slice(0, 1000));
    expect(batches.length).toBe(3);
  });
});

describe('BalancedBatcher', () => {
  const planStream = (batcher: { batch: (b: typeof spec) => Batch[] }, size: number) => {
    const batches: Batch[] = [];
    for (let at = 0; at < spec.length; at += size) batches.push(...batcher.batch(spec.slice(at, at + size)));
    return batches;
  };

  it('with minFill 1, fills every batch but one per buffer', () => {
    const batches = new BalancedBatcher({ batchSize: 32, minFill: 1 }).batch(spec.slice(0, 1000));
    const sizes = batches.map((b) => b.indices.length);
    expect(sizes.filter((n) => n < 32)).toEqual([1000 % 32]);
  });

  it('keeps fill at minFill or more and beats Sorted and Simple on p95 resize waste', () => {
    for (const size of [1024, 2048, 5000]) {
      const m = evaluate(planStream(new BalancedBatcher({ batchSize: 32 }), size), { batchSize: 32 });
      expect(m.fill, `buffer ${size}`).toBeGreaterThanOrEqual(0.95);
      for (const other of [new SortedBatcher({ batchSize: 32 }), new SimpleBatcher({ batchSize: 32 })]) {
        expect(m.resizeWaste.p95).toBeLessThan(evaluate(planStream(other, size), { batchSize: 32 }).resizeWaste.p95);
      }
    }
  });
});

describe('batchers planning in turn', () => {
  // planBuffer reuses the options it read last (a batcher's frozen options object): batchers
  // with other options in between must each still plan with their own.
  it('each plan with their own options, as a fresh batcher would', () => {
    const buffer = spec.slice(0, 300);
    const make = () => [
      new BalancedBatcher({ batchSize: 32, minFill: 0.8 }),
      new BalancedBatcher({ batchSize: 16, multipleOf: 28 }),
      new ClusteredBatcher({ batchSize: 32, seed: 3 }),
      new SortedBatcher({ batchSize: 8, key: 'area' }),
    ];
    const plans = (batches: Batch[]) => batches.map((b) => [b.indices, b.resizeSize]);
    const alone = make().map((batcher) => plans(batcher.batch(buffer)));
    const batchers = make();
    for (let round = 0; round < 2; round++) {
      batchers.forEach((batcher, k) => expect(plans(batcher.batch(buffer))).toEqual(alone[k]));
    }
    // The same batcher twice in a row (its options reused), then with a call's own options.
    batchers.forEach((batcher, k) => {
      expect(plans(batcher.batch(buffer))).toEqual(alone[k]);
      expect(plans(batcher.batch(buffer))).toEqual(alone[k]);
      const epoch = batcher.batch(buffer, { shuffle: true, epoch: 1 });
      expect(new Set(plans(epoch).map((p) => JSON.stringify(p)))).toEqual(new Set(alone[k]!.map((p) => JSON.stringify(p))));
    });
  });
});

describe('sizing', () => {
  it("'minimax' lowers a batch's worst resize waste, 'median' its typical one", () => {
    const buffer = spec.slice(0, 256);
    const score = (sizing: 'median' | 'minimax') => evaluate(new SimpleBatcher({ batchSize: 256, sizing }).batch(buffer)).resizeWaste;
    expect(score('minimax').max).toBeLessThan(score('median').max);
    expect(score('median').p50).toBeLessThan(score('minimax').p50);
  });
});

describe('samples', () => {
  it('carry extra fields and texts through untouched', () => {
    const buffer = [
      { image: { width: 10, height: 20 }, text: 'a', id: 'x1', meta: { keep: true } },
      { image: { width: 30, height: 20 }, id: 'x2' },
    ];
    const [batch] = new SimpleBatcher<(typeof buffer)[number]>({ batchSize: 2 }).batch(buffer);
    expect(batch!.samples[0]).toBe(buffer[0]);
    expect(batch!.texts).toEqual(['a', undefined]);
    expect(batch!.samples.map((s) => s.id)).toEqual(['x1', 'x2']);
  });

  it('read sizes from image elements, video frames and tensors', () => {
    const buffer = [
      { image: { naturalWidth: 640, naturalHeight: 480, width: 10, height: 10 } }, // <img>: pixels, not layout
      { image: { displayWidth: 640, displayHeight: 480, codedWidth: 656, codedHeight: 496 } }, // VideoFrame
      { image: { shape: [480, 640, 3] } }, // TF.js Tensor3D
      { image: { width: 640, height: 480, data: new Uint8ClampedArray(640 * 480 * 4) } }, // ImageData
    ];
    const [batch] = new SimpleBatcher({ batchSize: 4 }).batch(buffer as never);
    expect(batch!.resizeSize).toEqual([480, 640]);
    expect(evaluate([batch!]).resizeWaste.max).toBe(1);
  });
});

describe('evaluate', () => {
  it('matches hand-computed metrics', () => {
    // 100x100 and 400x100 (w x h) in a 100 x 200 (h x w) batch: d = 2, m = 2, r = 4 for both.
    const m = evaluate([{ images: [{ width: 100, height: 100 }, { width: 400, height: 100 }], resizeSize: [100, 200] }], { batchSize: 4 });
    expect(m.images).toBe(2);
    expect(m.batches).toBe(1);
    expect(m.fill).toBe(0.5);
    expect(m.distortion.max).toBeCloseTo(2, 12);
    expect(m.scaleMismatch.p50).toBeCloseTo(2, 12);
    expect(m.resizeWaste.p95).toBeCloseTo(4, 12);
    expect(m.aspectSpread).toBeCloseTo((Math.log(4) / 2) ** 2, 12);
  });

  it('scores nothing as no waste', () => {
    const m = evaluate([]);
    expect(m).toMatchObject({ images: 0, batches: 0, fill: 1, aspectSpread: 0 });
  });
});
