import { describe, expect, it } from 'vitest';
import {
  BatcherError,
  ClusteredBatcher,
  SortedBatcher,
  batchStream,
  evaluate,
  seedBenchmarkSamples,
  toReadableStream,
  type StreamBatch,
} from 'mm-tokenize-batcher';

type Dims = { image: { width: number; height: number }; id?: number };
const spec: Dims[] = seedBenchmarkSamples(3000, 7).map((s, id) => ({ ...s, id }));

/** A source that counts how many samples were pulled and whether it was stopped. */
function counted<T>(items: readonly T[], failAt?: number) {
  const state = { pulled: 0, returned: false };
  const iterable: AsyncIterable<T> = {
    [Symbol.asyncIterator]() {
      let i = 0;
      return {
        async next() {
          if (failAt !== undefined && i === failAt) throw new Error(`source broke at ${i}`);
          if (i >= items.length) return { done: true, value: undefined };
          state.pulled++;
          return { done: false, value: items[i++]! };
        },
        async return() {
          state.returned = true;
          return { done: true, value: undefined };
        },
      };
    },
  };
  return { iterable, state };
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of iterable) out.push(x);
  return out;
}

const sortedIndices = (batches: { indices: number[] }[]) => batches.flatMap((b) => b.indices).sort((a, b) => a - b);

describe('batchStream', () => {
  it('plans each buffer like the batcher does, with stream positions as indices', async () => {
    const batcher = new SortedBatcher<Dims>({ batchSize: 32 });
    const batches = await collect(batchStream(spec.slice(0, 1000), { batcher, bufferSize: 256 }));
    const expected = [0, 256, 512, 768].flatMap((at) =>
      batcher.batch(spec.slice(at, Math.min(at + 256, 1000))).map((b) => ({ indices: b.indices.map((i) => i + at), resizeSize: b.resizeSize })),
    );
    expect(batches.map((b) => ({ indices: b.indices, resizeSize: b.resizeSize }))).toEqual(expected);
    expect(batches.every((b) => b.samples.every((s, k) => s === spec[b.indices[k]!]))).toBe(true);
    expect(batches.map((b) => b.step)).toEqual([...batches.keys()]);
  });

  it('never reads more than one buffer ahead of the consumer (backpressure)', async () => {
    const { iterable, state } = counted(spec);
    const stream = batchStream(iterable, { strategy: 'sorted', batchSize: 32, bufferSize: 256 });
    const iterator = stream[Symbol.asyncIterator]();
    expect(state.pulled).toBe(0); // nothing before the first request
    await iterator.next();
    expect(state.pulled).toBe(256);
    for (let k = 1; k < 8; k++) await iterator.next(); // the rest of the first buffer's 8 batches
    expect(state.pulled).toBe(256);
    await iterator.next(); // first batch of the second buffer
    expect(state.pulled).toBe(512);
    await iterator.return!();
  });

  it('flushes the tail when the source ends (partial buffer, partial batch)', async () => {
    const batches = await collect(batchStream(spec.slice(0, 1000), { strategy: 'simple', batchSize: 32, bufferSize: 300 }));
    expect(sortedIndices(batches)).toEqual([...Array(1000).keys()]);
    // Buffers of 300, 300, 300, 100: 9 + 9 + 9 + 4 batches, the last of each partial.
    expect(batches.map((b) => b.indices.length).filter((n) => n < 32)).toEqual([12, 12, 12, 4]);
  });

  it('carry-over fills batches better and still emits every sample exactly once', async () => {
    const options = { strategy: 'clustered' as const, batchSize: 32, bufferSize: 512 };
    const plain = await collect(batchStream(spec, options));
    const carried = batchStream(spec, { ...options, carry: true });
    const withCarry = await collect(carried);
    for (const batches of [plain, withCarry]) expect(sortedIndices(batches)).toEqual([...Array(spec.length).keys()]);
    const fillPlain = evaluate(plain, { batchSize: 32 }).fill;
    const fillCarry = evaluate(withCarry, { batchSize: 32 }).fill;
    // (Clustered makes k = ceil(n / batchSize) clusters, so some partial batches remain after carrying.)
    expect(fillCarry).toBeGreaterThan(fillPlain);
    expect(carried.stats.carried).toBeGreaterThan(0);
    expect(carried.stats.peakBuffered).toBeLessThanOrEqual(512);
    // A carried sample is emitted at most one buffer late: when it comes out, the stream has
    // read less than two buffers past it.
    let furthest = 0;
    let lag = 0;
    for (const b of withCarry) {
      furthest = Math.max(furthest, ...b.indices);
      for (const i of b.indices) lag = Math.max(lag, furthest - i);
    }
    expect(lag).toBeGreaterThan(512);
    expect(lag).toBeLessThan(2 * 512);
  });

  it('passes a source error to the consumer after the samples read before it', async () => {
    const { iterable } = counted(spec, 700);
    const got: StreamBatch<Dims>[] = [];
    let caught: unknown;
    try {
      for await (const b of batchStream(iterable, { strategy: 'sorted', batchSize: 32, bufferSize: 256 })) got.push(b);
    } catch (error) {
      caught = error;
    }
    expect((caught as Error).message).toBe('source broke at 700');
    expect(sortedIndices(got)).toEqual([...Array(700).keys()]);
  });

  it('stops reading the source when the consumer stops (return(), break)', async () => {
    const { iterable, state } = counted(spec);
    for await (const b of batchStream(iterable, { strategy: 'sorted', batchSize: 32, bufferSize: 256 })) {
      expect(b.step).toBe(0);
      break;
    }
    expect(state.returned).toBe(true);
    expect(state.pulled).toBe(256);
  });

  it('reads a web ReadableStream and cancels it when the consumer cancels', async () => {
    let cancelled: unknown = 'no';
    let pulled = 0;
    const source = new ReadableStream<Dims>(
      {
        pull(controller) {
          controller.enqueue(spec[pulled++ % spec.length]!);
        },
        cancel(reason) {
          cancelled = reason;
        },
      },
      { highWaterMark: 0 },
    );
    const out = batchStream(source, { strategy: 'sorted', batchSize: 16, bufferSize: 64 }).toReadableStream();
    const reader = out.getReader();
    const first = await reader.read();
    expect(first.value!.indices).toHaveLength(16);
    expect(pulled).toBeLessThanOrEqual(65);
    await reader.cancel('enough');
    expect(cancelled).toBeUndefined(); // cancelled (the reader passes no reason on)
    const before = pulled;
    await new Promise((r) => setTimeout(r, 20));
    expect(pulled).toBe(before);
  });

  it('toReadableStream delivers every batch and then closes', async () => {
    const readable = toReadableStream(batchStream(spec.slice(0, 100), { strategy: 'simple', batchSize: 10, bufferSize: 50 }));
    const got: StreamBatch[] = [];
    const reader = readable.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      got.push(value);
    }
    expect(got).toHaveLength(10);
  });

  it('reports rejects with stream positions through onReject or stream.rejects', async () => {
    const bad = spec.slice(0, 300).map((s, i) => (i % 50 === 7 ? { image: { width: 0, height: 10 } } : s));
    const seen: number[] = [];
    const withCallback = await collect(
      batchStream(bad, { strategy: 'sorted', batchSize: 32, bufferSize: 128, skipInvalid: true, onReject: (r) => seen.push(r.index) }),
    );
    const expected = [7, 57, 107, 157, 207, 257];
    expect(seen).toEqual(expected);
    expect(sortedIndices(withCallback)).toEqual([...Array(300).keys()].filter((i) => !expected.includes(i)));
    const stream = batchStream(bad, { strategy: 'sorted', batchSize: 32, bufferSize: 128, skipInvalid: true });
    await collect(stream);
    expect(stream.rejects.map((r) => [r.index, r.code])).toEqual(expected.map((i) => [i, 'INVALID_DIMENSIONS']));
    expect(stream.rejects[0]!.sample).toBe(bad[7]);
  });

  it('without skipInvalid, a bad sample is an error naming its stream position, after earlier buffers', async () => {
    const bad = spec.slice(0, 300).map((s, i) => (i === 200 ? { image: 'x' } : s)) as Dims[];
    const got: StreamBatch<Dims>[] = [];
    const error = await (async () => {
      try {
        for await (const b of batchStream(bad, { strategy: 'sorted', batchSize: 32, bufferSize: 128 })) got.push(b);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(BatcherError);
    expect((error as BatcherError).index).toBe(200);
    expect((error as BatcherError).code).toBe('UNSUPPORTED_IMAGE');
    expect(sortedIndices(got)).toEqual([...Array(128).keys()]);
  });

  it('checks its options', () => {
    expect(() => batchStream(spec, { bufferSize: 10 } as never)).toThrow(/strategy/);
    expect(() => batchStream(spec, { strategy: 'sorted', batchSize: 8, bufferSize: 0 })).toThrow(/bufferSize/);
    expect(() => batchStream(spec, { strategy: 'sorted', batchSize: 8, worldSize: 4, rank: 4 })).toThrow(/rank/);
    expect(() => batchStream(spec, { strategy: 'sorted', batchSize: 32, bufferSize: 64, worldSize: 4 })).toThrow(/bufferSize/);
    expect(() => batchStream(spec, { batcher: new ClusteredBatcher({ batchSize: 4 }), bufferSize: 64, leftover: 'hold' as never })).toThrow(/leftover/);
  });

  it('aborting through a signal stops the source', async () => {
    const { iterable, state } = counted(spec);
    const controller = new AbortController();
    const got: StreamBatch<Dims>[] = [];
    await expect(
      (async () => {
        for await (const b of batchStream(iterable, { strategy: 'sorted', batchSize: 32, bufferSize: 256, signal: controller.signal })) {
          got.push(b);
          if (got.length === 3) controller.abort(new Error('stop'));
        }
      })(),
    ).rejects.toThrow('stop');
    expect(got).toHaveLength(3); // nothing more after the abort, even from the buffer in hand
    expect(state.returned).toBe(true);
    expect(state.pulled).toBe(256);
  });

  it('aborting rejects a pending next() promptly and calls the stalled source\'s return()', async () => {
    let returned = 0;
    let pulls = 0;
    const stalled: AsyncIterable<Dims> = {
      [Symbol.asyncIterator]: () => ({
        next: () => {
          pulls++;
          // The first two samples come, then the source stalls forever.
          return pulls <= 2 ? Promise.resolve({ done: false, value: spec[pulls]! }) : new Promise<IteratorResult<Dims>>(() => {});
        },
        return: () => {
          returned++;
          return new Promise<IteratorResult<Dims>>(() => {}); // a return() that never settles either
        },
      }),
    };
    const controller = new AbortController();
    const iterator = batchStream(stalled, { strategy: 'sorted', batchSize: 2, bufferSize: 4, signal: controller.signal })[Symbol.asyncIterator]();
    const pending = iterator.next();
    setTimeout(() => controller.abort(new Error('stop the stall')), 20);
    const start = performance.now();
    await expect(pending).rejects.toThrow('stop the stall');
    expect(performance.now() - start).toBeLessThan(1000);
    expect(returned).toBe(1);
    expect(pulls).toBe(3);
  });

  it('aborting a stalled ReadableStream source cancels it', async () => {
    let cancelled: unknown;
    const source = new ReadableStream<Dims>({ pull: () => new Promise<void>(() => {}), cancel: (reason) => void (cancelled = reason ?? 'cancelled') }, { highWaterMark: 0 });
    const controller = new AbortController();
    const iterator = batchStream(source, { strategy: 'simple', batchSize: 2, signal: controller.signal })[Symbol.asyncIterator]();
    const pending = iterator.next();
    setTimeout(() => controller.abort(new Error('stop')), 20);
    await expect(pending).rejects.toThrow('stop');
    await new Promise((r) => setTimeout(r, 10));
    expect(cancelled).toBeDefined();
  });

  it('an already aborted signal rejects before reading', async () => {
    const { iterable, state } = counted(spec);
    const iterator = batchStream(iterable, { strategy: 'simple', batchSize: 2, signal: AbortSignal.abort(new Error('early')) })[Symbol.asyncIterator]();
    await expect(iterator.next()).rejects.toThrow('early');
    expect(state.pulled).toBe(0);
  });

  it('refuses options beside `batcher` (the batcher has its own) and a signal that is not an AbortSignal', () => {
    const batcher = new SortedBatcher({ batchSize: 8 });
    for (const [option, value] of [
      ['batchSize', 64],
      ['multipleOf', 28],
      ['strategy', 'clustered'],
      ['maxPixels', 1000],
    ] as const) {
      let error: unknown;
      try {
        batchStream(spec, { batcher, [option]: value } as never);
      } catch (e) {
        error = e;
      }
      expect(error, option).toBeInstanceOf(BatcherError);
      expect(error, option).toMatchObject({ code: 'INVALID_OPTION', option });
    }
    for (const signal of ['x', {}, { aborted: false }, null]) {
      let error: unknown;
      try {
        batchStream(spec, { batcher, signal } as never);
      } catch (e) {
        error = e;
      }
      expect(error).toMatchObject({ code: 'INVALID_OPTION', option: 'signal' });
      expect((error as Error).message).toMatch(/AbortSignal/);
    }
  });
});
