// pool.verifyImages (the CLI's --verify on every core) against verifyImages on this thread, on
// every file of the public image test suites (test/fixtures/suites: truncated, damaged, bombs,
// unsupported variants and valid files of every format).
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImagingPool, verifyImages, type ImagingPool } from 'mm-tokenize-batcher/imaging';

const root = fileURLToPath(new URL('../../../test/fixtures/suites/', import.meta.url));
const walk = (dir: string): string[] =>
  readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? walk(path) : /\.(png|jpe?g|gif|bmp|webp|avif|heic|heif)$/i.test(name) ? [path] : [];
    });
const files = walk(root);
const images = files.map((path) => new Uint8Array(readFileSync(path)));

let pool: ImagingPool;
beforeAll(async () => {
  pool = createImagingPool({ workers: 2 });
  await pool.ready();
});
afterAll(() => pool.close());

describe('pool.verifyImages', () => {
  it("gives verifyImages' rejects, in index order, for every suite file", async () => {
    expect(files.length).toBeGreaterThan(300);
    const here = verifyImages(images);
    const there = await pool.verifyImages(images);
    expect(there).toEqual(here);
    // The suites hold truncated and damaged files: some rejects, each naming its file's index.
    const cut = files.findIndex((f) => f.endsWith('exif_thumb_cut.jpg'));
    expect(there.find((r) => r.index === cut)).toMatchObject({ code: 'INVALID_IMAGE' });
    expect(there.length).toBeGreaterThan(20);
    expect(there.length).toBeLessThan(files.length / 2);
  });

  it("keeps the caller's bytes attached, takes a missing image and options as verifyImages does", async () => {
    const mixed = [images[0]!, undefined, 'not an image', images[1]!];
    expect(await pool.verifyImages(mixed)).toEqual(verifyImages(mixed));
    expect(images[0]!.byteLength).toBeGreaterThan(0);
    const small = { maxInputPixels: 100 };
    expect(await pool.verifyImages(images.slice(0, 40), small)).toEqual(verifyImages(images.slice(0, 40), small));
    expect(await pool.verifyImages([])).toEqual([]);
    await expect(pool.verifyImages(images.slice(0, 3), { maxInputPixels: -1 })).rejects.toMatchObject({ code: 'INVALID_OPTION' });
  });
});
