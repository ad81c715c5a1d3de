// Sizes from URLs (HTTP Range through fetch) and from file paths, against a real local HTTP server:
// one honouring Range, one ignoring it, one answering 404, one that never answers.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatcherError, SortedBatcher, headerPrefixBytes, imageSizesFromFiles, imageSizesFromUrls, type UrlSize } from 'mm-tokenize-batcher';
import { batchTensors } from 'mm-tokenize-batcher/imaging';
// @ts-expect-error plain JS module shared with the runtime matrix and the bench
import { bigPng, jpegWithPadding, startRangeServer } from '../../../test/runtimes/range-server.mjs';
import { FIXTURES, photo } from './helpers.js';

const files = new Map<string, Uint8Array>(FIXTURES.map((f) => [f.file, new Uint8Array(photo(f.file))]));
// Headers further in: past the first pass (2 KiB) and past the third (256 KiB).
files.set('exif-10k.jpg', jpegWithPadding(files.get('astronaut.jpg')!, 10_000));
files.set('exif-300k.jpg', jpegWithPadding(files.get('astronaut.jpg')!, 300_000));
files.set('big.png', bigPng(4000, 3000, 2_000_000));
const expected = new Map<string, [number, number]>([
  ...FIXTURES.map((f) => [f.file, [f.width, f.height]] as [string, [number, number]]),
  ['exif-10k.jpg', [160, 120]],
  ['exif-300k.jpg', [160, 120]],
  ['big.png', [4000, 3000]],
]);
const names = [...files.keys()];

type Server = { origin: string; stats: { requests: number; bytesSent: number; maxInFlight: number }; reset(): void; close(): Promise<void> };
let server: Server;
beforeAll(async () => {
  server = await startRangeServer(files);
});
afterAll(() => server.close());

const isSize = (e: object): e is UrlSize => 'width' in e;

describe('imageSizesFromUrls', () => {
  it('reads every size with one 2 KiB range request per image, growing only where the header lies further in', async () => {
    server.reset();
    const sizes = await imageSizesFromUrls(names.map((n) => `${server.origin}/range/${n}`));
    expect(sizes.rejects).toEqual([]);
    sizes.forEach((s, i) => {
      expect(isSize(s) && [s.width, s.height]).toEqual(expected.get(names[i]!));
      expect(s.url).toBe(`${server.origin}/range/${names[i]}`);
    });
    const bytes = Object.fromEntries(names.map((n, i) => [n, sizes[i]!.bytesRead]));
    const first = headerPrefixBytes();
    // Each fixture: its first 2 KiB, or (a JPEG with EXIF and ICC data before its frame) the whole file.
    for (const f of FIXTURES) expect([Math.min(first, files.get(f.file)!.length), files.get(f.file)!.length]).toContain(bytes[f.file]);
    expect(bytes['astronaut.jpg']).toBe(first);
    expect(bytes['coffee.png']).toBe(first);
    expect(bytes['big.png']).toBe(first);
    expect(bytes['exif-10k.jpg']).toBe(files.get('exif-10k.jpg')!.length); // second pass: the rest (under 64 KiB)
    expect(bytes['exif-300k.jpg']).toBe(files.get('exif-300k.jpg')!.length); // four passes: 2 KiB, 64 KiB, 256 KiB, all
    const secondPass = names.filter((n) => bytes[n]! > first).length;
    expect(server.stats.requests).toBe(names.length + secondPass + 2);
    expect(sizes.bytesRead).toBe(Object.values(bytes).reduce((a, b) => a + b, 0));
    expect(server.stats.bytesSent).toBe(sizes.bytesRead);
  });

  it('a server that ignores Range: reads until the header is in, then cancels the body', async () => {
    const sizes = await imageSizesFromUrls(names.map((n) => `${server.origin}/full/${n}`));
    expect(sizes.rejects).toEqual([]);
    sizes.forEach((s, i) => expect(isSize(s) && [s.width, s.height]).toEqual(expected.get(names[i]!)));
    const big = sizes[names.indexOf('big.png')]!;
    expect(big.bytesRead).toBeGreaterThanOrEqual(headerPrefixBytes());
    expect(big.bytesRead).toBeLessThan(200_000); // of 2 MB
  });

  it('failures are per-URL rejects: 404, timeout, not an image, network', async () => {
    const urls = [
      `${server.origin}/range/coffee.png`,
      `${server.origin}/missing/coffee.png`,
      `${server.origin}/stall/coffee.png`,
      `${server.origin}/range/README.md`,
      'http://127.0.0.1:1/refused.png',
      `${server.origin}/full/astronaut.jpg`,
    ];
    files.set('README.md', new TextEncoder().encode('# not an image\n'.repeat(10)));
    const started = performance.now();
    const sizes = await imageSizesFromUrls(urls, { timeoutMs: 300, concurrency: 3 });
    expect(performance.now() - started).toBeLessThan(5000);
    expect(sizes.map((s) => ('code' in s ? s.code : 'ok'))).toEqual(['ok', 'READ_FAILED', 'TIMEOUT', 'UNSUPPORTED_IMAGE', 'READ_FAILED', 'ok']);
    expect(sizes.rejects.map((r) => r.index)).toEqual([1, 2, 3, 4]);
    expect(sizes.rejects[0]).toMatchObject({ url: urls[1], message: 'HTTP status 404' });
    expect(sizes.rejects[1]!.message).toBe('no complete response within 300 ms');
    expect(sizes.rejects[3]!.message).toMatch(/^fetch failed/);
    // Usable as samples: the sized entries plan, the rejects are skipped with their reasons.
    const batches = new SortedBatcher({ batchSize: 2, skipInvalid: true }).batch(sizes.map((image) => ({ image })) as never); // rejects, as images, are invalid on purpose
    expect(batches.flatMap((b) => b.indices).sort()).toEqual([0, 5]);
  });

  it('honours the concurrency limit and the abort signal', async () => {
    server.reset();
    const many = Array.from({ length: 40 }, (_, i) => `${server.origin}/range/${names[i % names.length]}`);
    const sizes = await imageSizesFromUrls(many, { concurrency: 3 });
    expect(sizes.rejects).toEqual([]);
    expect(server.stats.maxInFlight).toBeLessThanOrEqual(3);
    const controller = new AbortController();
    const pending = imageSizesFromUrls([`${server.origin}/stall/a.png`, `${server.origin}/stall/b.png`], { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('stop now')), 50);
    await expect(pending).rejects.toThrow('stop now');
    const aborted = new AbortController();
    aborted.abort(new Error('already'));
    await expect(imageSizesFromUrls(many, { signal: aborted.signal })).rejects.toThrow('already');
  });

  it('takes a fetch of your own, and checks its options in Rust', async () => {
    const seen: string[] = [];
    const sizes = await imageSizesFromUrls(['mem://coffee.png'], {
      fetch: async (url, init) => {
        seen.push(`${url} ${init.headers.Range}`);
        const file = files.get('coffee.png')!;
        return new Response(file.slice(0, 2048), { status: 206, headers: { 'content-range': `bytes 0-2047/${file.length}` } });
      },
    });
    expect(sizes[0]).toMatchObject({ width: 150, height: 100, bytesRead: 2048 });
    expect(seen).toEqual(['mem://coffee.png bytes=0-2047']);
    await expect(imageSizesFromUrls([], { concurrency: 0 })).rejects.toThrow(BatcherError);
    await expect(imageSizesFromUrls([], { concurrency: 0 })).rejects.toMatchObject({ code: 'INVALID_OPTION', option: 'concurrency' });
    await expect(imageSizesFromUrls([], { retries: 2 } as never)).rejects.toThrow('not an option of imageSizesFromUrls');
  });
});

describe('imageSizesFromFiles', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'mm-sizes-'));
    for (const [name, bytes] of files) writeFileSync(join(dir, name), bytes);
    mkdirSync(join(dir, 'a-directory.png'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads every size from the first bytes; errors are per-file rejects', async () => {
    const paths = [...names.filter((n) => n !== 'README.md').map((n) => join(dir, n)), join(dir, 'none.jpg'), join(dir, 'a-directory.png'), join(dir, 'README.md')];
    const sizes = await imageSizesFromFiles(paths, { concurrency: 4 });
    const n = paths.length;
    sizes.slice(0, n - 3).forEach((s, i) => {
      const name = names.filter((x) => x !== 'README.md')[i]!;
      expect('width' in s && [s.width, s.height]).toEqual(expected.get(name));
      const length = files.get(name)!.length;
      expect([Math.min(headerPrefixBytes(), length), length]).toContain(s.bytesRead);
      if (name === 'big.png') expect(s.bytesRead).toBe(headerPrefixBytes());
    });
    expect(sizes.rejects.map((r) => [r.index, r.code])).toEqual([
      [n - 3, 'READ_FAILED'],
      [n - 2, 'READ_FAILED'],
      [n - 1, 'UNSUPPORTED_IMAGE'],
    ]);
    expect(sizes.rejects[0]!.message).toMatch(/ENOENT/);
  });
});

describe('batchTensors over async sources', () => {
  it('takes an AsyncIterable (batchStream) and a ReadableStream, and refuses anything else', async () => {
    const { batchStream } = await import('mm-tokenize-batcher');
    const samples = FIXTURES.map((f) => ({ image: photo(f.file) }));
    async function* source() {
      yield* samples;
    }
    const shapes: number[][] = [];
    for await (const t of batchTensors(batchStream(source(), { strategy: 'sorted', batchSize: 3 }), { dtype: 'uint8' })) shapes.push(t.shape);
    expect(shapes.reduce((n, s) => n + s[0]!, 0)).toBe(samples.length);
    const stream = batchStream(source(), { strategy: 'sorted', batchSize: 4 }).toReadableStream();
    let count = 0;
    for await (const t of batchTensors(stream, { size: [16, 16] })) count += t.shape[0];
    expect(count).toBe(samples.length);
    expect(() => batchTensors(42 as never)).toThrow(BatcherError);
  });
});
