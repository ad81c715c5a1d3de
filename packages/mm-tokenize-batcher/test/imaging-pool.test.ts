// createImagingPool (worker_threads) against the built `mm-tokenize-batcher/imaging` Node entry.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SortedBatcher, batchStream } from 'mm-tokenize-batcher';
import { BatcherError, createImagingPool, toTensor, type BatchTensor, type ImagingPool, type TensorBatchInput } from 'mm-tokenize-batcher/imaging';
import { FIXTURES, photo } from './helpers.js';

const buffer = Array.from({ length: 4 }, () => FIXTURES.map(({ file }) => ({ image: photo(file), file }))).flat();
const batches = new SortedBatcher({ batchSize: 3, multipleOf: 14 }).batch(buffer);
const options = { normalize: 'clip', size: [56, 42] } as const;

/** A source that records how many batches were pulled from it. */
function counting(items: readonly TensorBatchInput[], delayMs = 0) {
  const log = { pulled: 0, returned: false };
  async function* source() {
    try {
      for (const item of items) {
        if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
        log.pulled++;
        yield item;
      }
    } finally {
      log.returned = true;
    }
  }
  return { log, source: source() };
}

let pool: ImagingPool;
beforeAll(async () => {
  pool = createImagingPool({ workers: 2 });
  await pool.ready();
});
afterAll(() => pool.close());

describe('createImagingPool', () => {
  it('makes the same tensor as toTensor, bit for bit', async () => {
    expect(pool.size).toBe(2);
    for (const batch of batches.slice(0, 4)) {
      const here = toTensor(batch, { normalize: 'siglip', patchSize: 14 });
      const there = await pool.toTensor(batch, { normalize: 'siglip', patchSize: 14 });
      expect(there).toEqual(here);
      expect(there.data).toBeInstanceOf(Float32Array);
    }
    const u8 = await pool.toTensor(batches[0]!, { dtype: 'uint8' });
    expect(u8.data).toBeInstanceOf(Uint8Array);
    expect(u8).toEqual(toTensor(batches[0]!, { dtype: 'uint8' }));
  });

  it('map: every tensor, in the order of the source (array, async generator, ReadableStream)', async () => {
    const expected = batches.map((b) => toTensor(b, options));
    const collect = async (it: AsyncIterable<BatchTensor>) => {
      const out: BatchTensor[] = [];
      for await (const t of it) out.push(t);
      return out;
    };
    expect(await collect(pool.map(batches, options))).toEqual(expected);
    expect(await collect(pool.map(counting(batches).source, options, { prefetch: 3 }))).toEqual(expected);
    const stream = new ReadableStream<TensorBatchInput>({
      start(controller) {
        for (const b of batches) controller.enqueue(b);
        controller.close();
      },
    });
    expect(await collect(pool.map(stream, options, { prefetch: 1 }))).toEqual(expected);
    // From batchStream, as a training loop would.
    const fromStream = await collect(pool.map(batchStream(buffer, { batcher: new SortedBatcher({ batchSize: 3 }), bufferSize: 6 }), options));
    expect(fromStream.map((t) => t.indices).flat().sort((a, b) => a - b)).toEqual(buffer.map((_, i) => i));
  });

  it('order holds when later batches finish first', async () => {
    // A big first batch and small ones after it: the small ones finish earlier in the other worker.
    const big = { images: buffer.map((s) => s.image), resizeSize: [448, 448] as [number, number] };
    const small = batches.slice(0, 5);
    const out: number[][] = [];
    for await (const t of pool.map([big, ...small], {}, { prefetch: 6 })) out.push(t.indices);
    expect(out).toEqual([big.images.map((_, i) => i), ...small.map((b) => b.indices)]);
  });

  it('backpressure: the source is read at most `prefetch` batches ahead of the consumer', async () => {
    for (const prefetch of [1, 2, 4]) {
      const { log, source } = counting(batches);
      let taken = 0;
      const ahead: number[] = [];
      for await (const _ of pool.map(source, options, { prefetch })) {
        taken++;
        // The consumer is slow: the pool has had time to pull all it is allowed to.
        await new Promise((r) => setTimeout(r, 30));
        ahead.push(log.pulled - taken);
      }
      expect(taken).toBe(batches.length);
      expect(Math.max(...ahead)).toBeLessThanOrEqual(prefetch);
      // ... and it does pull ahead, up to the limit, while the consumer works.
      expect(Math.max(...ahead)).toBe(Math.min(prefetch, batches.length - 1));
    }
  });

  it('a source that fails: the tensors before the failure, then its error', async () => {
    async function* failing() {
      yield batches[0]!;
      yield batches[1]!;
      throw new Error('disk gone');
    }
    const got: number[][] = [];
    const error = await (async () => {
      for await (const t of pool.map(failing(), options, { prefetch: 4 })) got.push(t.indices);
    })().catch((e: unknown) => e);
    expect(got).toEqual([batches[0]!.indices, batches[1]!.indices]);
    expect(error).toMatchObject({ message: 'disk gone' });
  });

  it('stopping early stops reading the source', async () => {
    const { log, source } = counting(batches, 1);
    for await (const _ of pool.map(source, options, { prefetch: 2 })) break;
    expect(log.returned).toBe(true);
    expect(log.pulled).toBeLessThanOrEqual(3);
  });

  it('errors arrive as BatcherError with the sample index, in order', async () => {
    const broken = { images: [photo('astronaut.jpg'), photo('coffee.png').subarray(0, 200)], indices: [10, 11], resizeSize: [32, 32] as [number, number] };
    const error = await pool.toTensor(broken).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(BatcherError);
    expect(error).toMatchObject({ code: 'INVALID_IMAGE', index: 11 });
    // Refused before reaching a worker (not an image): the same error as toTensor's.
    const notImage = await pool.toTensor({ images: [photo('astronaut.jpg'), 'cat.jpg'], indices: [3, 4] }, { size: [8, 8] }).catch((e: unknown) => e);
    expect(notImage).toMatchObject({ code: 'UNSUPPORTED_IMAGE', index: 4 });
    const badOption = await pool.toTensor(batches[0]!, { normalize: 'nope' as never }).catch((e: unknown) => e);
    expect(badOption).toBeInstanceOf(BatcherError);
    expect(badOption).toMatchObject({ code: 'INVALID_OPTION', option: 'normalize' });
    // skipInvalid: rejects, as toTensor gives them.
    expect(await pool.toTensor(broken, { skipInvalid: true })).toEqual(toTensor(broken, { skipInvalid: true }));
    // In map: the batches before the broken one arrive, then its error.
    const got: number[][] = [];
    const mapError = await (async () => {
      for await (const t of pool.map([batches[0]!, batches[1]!, broken, batches[2]!], {}, { prefetch: 4 })) got.push(t.indices);
    })().catch((e: unknown) => e);
    expect(got).toEqual([batches[0]!.indices, batches[1]!.indices]);
    expect(mapError).toMatchObject({ code: 'INVALID_IMAGE', index: 11 });
    // The pool still works after an error.
    expect(await pool.toTensor(batches[0]!, options)).toEqual(toTensor(batches[0]!, options));
  });

  it('transfer: the caller\'s images are not detached (packed into a buffer that is transferred); the tensor comes back whole', async () => {
    const images = [new Uint8Array(photo('astronaut.jpg')), photo('coffee.png').buffer.slice(0) as ArrayBuffer];
    const before = [images[0]!.byteLength, (images[1] as ArrayBuffer).byteLength];
    const t = await pool.toTensor({ images, resizeSize: [64, 48] });
    expect([images[0]!.byteLength, (images[1] as ArrayBuffer).byteLength]).toEqual(before);
    expect(t.data.byteOffset).toBe(0);
    expect(t.data.buffer.byteLength).toBe(2 * 3 * 64 * 48 * 4); // its own buffer, moved from the worker
  });

  it('options are checked', () => {
    expect(() => createImagingPool({ workers: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', option: 'workers' }));
    expect(() => createImagingPool({ threads: 2 } as never)).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', option: 'threads' }));
    expect(() => pool.map(batches, {}, { prefetch: 0 })).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', option: 'prefetch' }));
    expect(() => pool.map(42 as never)).toThrow(expect.objectContaining({ code: 'INVALID_INPUT' }));
  });

  it('close(): pending tasks reject with WORKER_FAILED, later calls too; a bad wasm path fails clearly', async () => {
    const other = createImagingPool({ workers: 1 });
    const pending = [other.toTensor(batches[0]!, options), other.toTensor(batches[1]!, options)].map((p) => p.catch((e: unknown) => e));
    await other.close();
    for (const e of await Promise.all(pending)) expect(e).toMatchObject({ code: 'WORKER_FAILED' });
    await expect(other.toTensor(batches[0]!, options)).rejects.toMatchObject({ code: 'WORKER_FAILED' });
    await expect(other.ready()).rejects.toMatchObject({ code: 'WORKER_FAILED' });
    await other.close(); // twice is fine

    const broken = createImagingPool({ workers: 1, wasm: '/nonexistent/mm_imaging_bg.wasm' });
    await expect(broken.ready()).rejects.toMatchObject({ code: 'WORKER_FAILED' });
    await expect(broken.toTensor(batches[0]!, options)).rejects.toMatchObject({ code: 'WORKER_FAILED' });
    await broken.close();
  });

  it('Node: a pool left open keeps the process alive while it works, not once idle', () => {
    const entry = fileURLToPath(new URL('../dist/imaging-node.js', import.meta.url));
    const image = fileURLToPath(new URL('./fixtures/photos/astronaut.jpg', import.meta.url));
    const script = `
      const { createImagingPool } = await import(${JSON.stringify(entry)});
      const { readFileSync } = await import('node:fs');
      const pool = createImagingPool({ workers: 2 });
      pool.toTensor({ images: [readFileSync(${JSON.stringify(image)})], resizeSize: [32, 32] }).then((t) => console.log('made', t.shape.join('x')));
    `;
    // No close(), no await at top level: the task still finishes, then the process exits by itself.
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
    expect(out.trim()).toBe('made 1x3x32x32');
    // A top-level `await pool.ready()` is waited for too (exit code 13 if nothing held the process).
    const ready = `const { createImagingPool } = await import(${JSON.stringify(entry)}); await createImagingPool({ workers: 2 }).ready(); console.log('ready');`;
    expect(execFileSync(process.execPath, ['--input-type=module', '-e', ready], { encoding: 'utf8', timeout: 20_000 }).trim()).toBe('ready');
  });
});
