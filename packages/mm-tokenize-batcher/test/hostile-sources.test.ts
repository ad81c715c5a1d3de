// Hostile input (issue 25): header reads from servers that never stop, send 1 GiB, send a gzip
// bomb or stall, and from huge files. Every read stops at `maxBytes` with a reject that says so,
// `bytesRead` counts what arrived, and a compressed body is refused unread.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatcherError, imageSizesFromFiles, imageSizesFromUrls, optionDefaults, type UrlReject } from 'mm-tokenize-batcher';
// @ts-expect-error plain JS module shared with bench/hostile-rss.mjs
import { startHostileServer } from '../../../test/runtimes/hostile-servers.mjs';

type Server = { origin: string; stats: { requests: number; bytesSent: number; headers: Record<string, Record<string, string>> }; close(): Promise<void> };
let server: Server;
let dir: string;
const MiB = 1 << 20;
const DEFAULT_MAX_BYTES = optionDefaults().find((d) => d.scope === 'imageSizesFromUrls' && d.option === 'maxBytes')!.value as number;

beforeAll(async () => {
  server = await startHostileServer({ gzipInflated: 64 * MiB });
  dir = mkdtempSync(join(tmpdir(), 'mm-hostile-'));
});
afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const only = async (url: string, options = {}) => {
  const sizes = await imageSizesFromUrls([url], options);
  expect(sizes.rejects).toHaveLength(1);
  return sizes[0] as UrlReject;
};

describe('a byte budget for every read', () => {
  it('defaults to 8 MiB, in the defaults table for both readers', () => {
    expect(DEFAULT_MAX_BYTES).toBe(8 * MiB);
    expect(optionDefaults().find((d) => d.scope === 'imageSizesFromFiles' && d.option === 'maxBytes')?.value).toBe(8 * MiB);
  });

  it('an endless body (200, Range ignored) stops at maxBytes with a MAX_BYTES reject', async () => {
    const r = await only(`${server.origin}/endless`);
    expect(r).toMatchObject({ index: 0, code: 'READ_FAILED', reason: 'MAX_BYTES' });
    expect(r.message).toContain(`first ${DEFAULT_MAX_BYTES} bytes`);
    // Read up to the cap, at most one chunk past it (the runtime's read size).
    expect(r.bytesRead).toBeGreaterThanOrEqual(DEFAULT_MAX_BYTES);
    expect(r.bytesRead).toBeLessThan(DEFAULT_MAX_BYTES + MiB);
  });

  it('an endless body through Range with no total (206, bytes */*) stops at maxBytes', async () => {
    const r = await only(`${server.origin}/endless-range`, { maxBytes: 2 * MiB });
    expect(r).toMatchObject({ code: 'READ_FAILED', reason: 'MAX_BYTES' });
    expect(r.bytesRead).toBeGreaterThanOrEqual(2 * MiB);
    expect(r.bytesRead).toBeLessThan(3 * MiB);
  });

  it('a 1 GiB body: the read stops at maxBytes and the server sends a small part of it', async () => {
    const before = server.stats.bytesSent;
    const r = await only(`${server.origin}/huge`, { maxBytes: 4 * MiB });
    expect(r).toMatchObject({ code: 'READ_FAILED', reason: 'MAX_BYTES' });
    expect(r.bytesRead).toBeLessThan(5 * MiB);
    expect(server.stats.bytesSent - before).toBeLessThan(64 * MiB);
  });

  it('a gzip bomb is refused unread (CONTENT_ENCODING), and the request asks for identity', async () => {
    const r = await only(`${server.origin}/gzip`);
    expect(r).toMatchObject({ code: 'READ_FAILED', reason: 'CONTENT_ENCODING', bytesRead: 0 });
    expect(r.message).toContain('gzip');
    expect(server.stats.headers['/gzip']?.['accept-encoding']).toMatch(/^identity(, identity)?$/);
  });

  it('bytesRead in a TIMEOUT reject counts the bytes that arrived before it', async () => {
    const r = await only(`${server.origin}/slow`, { timeoutMs: 300 });
    expect(r).toMatchObject({ code: 'TIMEOUT' });
    // 1,000 bytes were sent (SOI and the start of an APP1 segment), then nothing.
    expect(r.bytesRead).toBe(1000);
  });

  it('a huge file stops at maxBytes too', async () => {
    const path = join(dir, 'huge.jpg');
    // SOI, then APP1 segments for 24 MiB: no frame header anywhere.
    const segment = new Uint8Array(2 + 0xffff);
    segment.set([0xff, 0xe1, 0xff, 0xff]);
    const file = new Uint8Array(24 * MiB);
    file.set([0xff, 0xd8]);
    for (let at = 2; at + segment.length <= file.length; at += segment.length) file.set(segment, at);
    writeFileSync(path, file);
    const [r] = await imageSizesFromFiles([path], { maxBytes: 4 * MiB });
    expect(r).toMatchObject({ code: 'READ_FAILED', reason: 'MAX_BYTES', bytesRead: 4 * MiB });
    // Under the default, it is read to the default's 8 MiB and refused the same way.
    const [d] = await imageSizesFromFiles([path]);
    expect(d).toMatchObject({ code: 'READ_FAILED', reason: 'MAX_BYTES', bytesRead: DEFAULT_MAX_BYTES });
  });

  it('maxBytes is checked like every option', async () => {
    await expect(imageSizesFromUrls([], { maxBytes: 100 })).rejects.toSatisfy((e: unknown) => e instanceof BatcherError && e.code === 'INVALID_OPTION' && e.option === 'maxBytes');
    await expect(imageSizesFromFiles([], { maxBytes: 1.5 * MiB + 0.5 })).rejects.toSatisfy((e: unknown) => e instanceof BatcherError && e.code === 'INVALID_OPTION');
  });
});
