// Hostile input (issue 25): an imaging pool under common Node flags, with an absurd worker count,
// with workers that die or hang (test/fixtures/faulty-imaging-worker.mjs), and aborted mid-map.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SortedBatcher } from 'mm-tokenize-batcher';
import { BatcherError, MAX_POOL_WORKERS, createImagingPool, tensorDefaults, toTensor, type BatchTensor } from 'mm-tokenize-batcher/imaging';
import { FIXTURES, photo } from './helpers.js';

const buffer = Array.from({ length: 4 }, () => FIXTURES.map(({ file }) => ({ image: photo(file) }))).flat();
const batches = new SortedBatcher({ batchSize: 3, multipleOf: 14 }).batch(buffer);
const options = { normalize: 'clip', size: [56, 42] } as const;
const faultyWorker = new URL('./fixtures/faulty-imaging-worker.mjs', import.meta.url);
let dir: string;
let faultFile: string;
const fault = (spec: string) => writeFileSync(faultFile, spec);

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'mm-pool-faults-'));
  faultFile = join(dir, 'fault');
  fault('none 0');
  process.env.MM_FAULT_FILE = faultFile; // workers copy the environment when they start
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sameAs = (t: BatchTensor, i: number) => expect(t.data).toEqual(toTensor(batches[i]!, options).data);

describe('a pool under common Node flags', () => {
  const entry = fileURLToPath(new URL('../dist/imaging-node.js', import.meta.url));
  const image = fileURLToPath(new URL('./fixtures/photos/astronaut.jpg', import.meta.url));
  const script = `
    const { createImagingPool } = await import(${JSON.stringify(entry)});
    const { readFileSync } = await import('node:fs');
    const pool = createImagingPool({ workers: 1 });
    const t = await pool.toTensor({ images: [readFileSync(${JSON.stringify(image)})], resizeSize: [32, 32] });
    console.log('made', t.shape.join('x'));
    await pool.close();`;
  // Every flag the issue names (a worker refuses each), alone and together, beside one it accepts.
  const refused = ['--max-old-space-size=512', '--expose-gc', '--max-semi-space-size=16', '--title=mm-pool-test', '--stack-size=2000'];
  for (const flags of [...refused.map((f) => [f]), [...refused, '--enable-source-maps']]) {
    it(`starts its workers under node ${flags.join(' ')}`, () => {
      const out = execFileSync(process.execPath, [...flags, '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
      expect(out.trim()).toBe('made 1x3x32x32');
    });
  }
});

describe('a pool that heals', () => {
  it('bounds workers: at most MAX_POOL_WORKERS (the Rust table), a typed error beyond', () => {
    expect(MAX_POOL_WORKERS).toBe(tensorDefaults().maxPoolWorkers);
    for (const workers of [2 ** 31, MAX_POOL_WORKERS + 1]) {
      let error: unknown;
      try {
        createImagingPool({ workers });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(BatcherError);
      expect(error).toMatchObject({ code: 'INVALID_OPTION', option: 'workers' });
    }
    expect(() => createImagingPool({ jobTimeoutMs: 0 })).toThrow(/jobTimeoutMs/);
  });

  it('a worker that dies is replaced and its batch made again; the pool stays usable', async () => {
    const pool = createImagingPool({ workers: 2, workerUrl: faultyWorker });
    try {
      await pool.ready();
      fault('crash 1');
      sameAs(await pool.toTensor(batches[0]!, options), 0);
      fault('none 0');
      const all = await Promise.all(batches.slice(0, 4).map((b) => pool.toTensor(b, options)));
      all.forEach((t, i) => sameAs(t, i));
    } finally {
      await pool.close();
    }
  });

  it('a batch whose second worker dies too rejects with WORKER_FAILED and the cause; the next batch is made', async () => {
    const pool = createImagingPool({ workers: 1, workerUrl: faultyWorker });
    try {
      await pool.ready();
      fault('crash 2');
      const error = await pool.toTensor(batches[0]!, options).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(BatcherError);
      expect(error).toMatchObject({ code: 'WORKER_FAILED' });
      expect((error as Error).message).toContain('exited (code 3)');
      expect((error as Error).cause).toBeDefined();
      sameAs(await pool.toTensor(batches[1]!, options), 1);
    } finally {
      await pool.close();
    }
  });

  it('jobTimeoutMs: a hung worker rejects its batch with TIMEOUT and is replaced', async () => {
    const pool = createImagingPool({ workers: 1, workerUrl: faultyWorker, jobTimeoutMs: 1000 });
    try {
      await pool.ready();
      fault('hang 1');
      await expect(pool.toTensor(batches[0]!, options)).rejects.toMatchObject({ code: 'TIMEOUT' });
      sameAs(await pool.toTensor(batches[1]!, options), 1);
    } finally {
      await pool.close();
    }
  });

  it('after an abort, map delivers nothing more, made or not', async () => {
    const pool = createImagingPool({ workers: 2 });
    try {
      const controller = new AbortController();
      const many = Array.from({ length: 8 }, () => batches).flat();
      const it = pool.map(many, options, { prefetch: 8, signal: controller.signal });
      const first = await it.next();
      expect(first.done).toBe(false);
      // Let the prefetched batches be made, then abort: none of them is handed over.
      await new Promise((r) => setTimeout(r, 300));
      controller.abort(new Error('stop'));
      await expect(it.next()).rejects.toThrow('stop');
      expect(await it.next()).toEqual({ done: true, value: undefined });
    } finally {
      await pool.close();
    }
  });
});
