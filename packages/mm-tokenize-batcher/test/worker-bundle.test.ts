// The imaging workers are bundler-proof: each worker script is one self-contained file, so copying
// it (and the .wasm) next to a bundle is enough, and a worker that cannot start names the script.
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { SortedBatcher } from 'mm-tokenize-batcher';
import { createImagingPool, toTensor } from 'mm-tokenize-batcher/imaging';
import { FIXTURES, photo } from './helpers.js';

const dist = fileURLToPath(new URL('../dist/', import.meta.url));
/** Every module a script imports: static `import ... from`, bare `import '...'` and `import(...)`. */
const importsOf = (code: string) => [...code.matchAll(/(?:^|[\s;])(?:import|export)\s*(?:[\w*{}\s,]+from\s*)?["']([^"']+)["']|\bimport\s*\(\s*["']([^"']+)["']/gm)].map((m) => m[1] ?? m[2]);

describe('the imaging worker scripts', () => {
  it('import no chunk: the web worker nothing, the Node worker only Node built-ins', () => {
    expect(importsOf(readFileSync(join(dist, 'imaging-worker-web.js'), 'utf8'))).toEqual([]);
    const node = importsOf(readFileSync(join(dist, 'imaging-worker-node.js'), 'utf8'));
    expect(node.length).toBeGreaterThan(0);
    for (const name of node) expect(name).toMatch(/^(node:)?(fs|worker_threads)$/);
    // (The detector finds chunk imports: the entries still have them.)
    expect(importsOf(readFileSync(join(dist, 'imaging-node.js'), 'utf8')).some((n) => n!.startsWith('./chunk-'))).toBe(true);
  });

  it('copied alone with the .wasm into another folder, the worker makes the same tensors', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mm-worker-copy-'));
    try {
      for (const name of ['imaging-worker-node.js', 'mm_imaging_bg.wasm']) copyFileSync(join(dist, name), join(dir, name));
      const buffer = FIXTURES.map(({ file }) => ({ image: photo(file) }));
      const batches = new SortedBatcher({ batchSize: 4, multipleOf: 14 }).batch(buffer);
      const pool = createImagingPool({ workers: 1, workerUrl: pathToFileURL(join(dir, 'imaging-worker-node.js')) });
      try {
        for (const batch of batches) {
          const options = { normalize: 'clip', randomFlip: true, epoch: 2 } as const;
          expect((await pool.toTensor(batch, options)).data).toEqual(toTensor(batch, options).data);
        }
      } finally {
        await pool.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('WORKER_FAILED names the worker script it tried', async () => {
    const missing = join(tmpdir(), 'no-such-dir', 'imaging-worker-node.js');
    const pool = createImagingPool({ workers: 1, workerUrl: missing });
    const error = await pool.ready().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'WORKER_FAILED' });
    expect((error as Error).message).toContain(missing);
    await pool.close();
  });
});
