// Issue 11: memory is given back. Wasm memory never shrinks, so a bad file must not grow it, and a
// call that grew it past IMAGING_MEMORY_LIMIT (a very large real image) is followed by a fresh,
// small instance. Real files: a 10000 x 10000 PNG made by sharp, and crafted huge-claim headers.
import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { BatcherError, IMAGING_MEMORY_LIMIT, imagingFreshInstances, imagingMemory, toTensor } from 'mm-tokenize-batcher/imaging';
import { photo } from './helpers.js';

function chunk(type: string, data: Uint8Array): Buffer {
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const out = Buffer.alloc(body.length + 8);
  out.writeUInt32BE(data.length, 0);
  body.copy(out, 4);
  out.writeUInt32BE(crc32(body), body.length + 4);
  return out;
}

/** A 107-byte-class PNG whose header claims `w x h` pixels but whose data holds almost nothing. */
function hugeClaimPng(w: number, h: number): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const idat = Buffer.from([0x78, 0x9c, 0x63, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01]);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', new Uint8Array(0))]);
}

describe('imaging memory', () => {
  it('1,000 calls alternating huge-claim files and real decodes stay within 32 MiB of RSS and never grow wasm memory', () => {
    const bad = hugeClaimPng(7000, 7000);
    const good = photo('coffee.png');
    const run = (n: number) => {
      let refused = 0;
      for (let i = 0; i < n; i++) {
        if (i % 2 === 1) {
          expect(toTensor({ images: [good], resizeSize: [32, 48] }).shape).toEqual([1, 3, 32, 48]);
          continue;
        }
        try {
          toTensor({ images: [bad], resizeSize: [32, 48] });
        } catch (error) {
          if (!(error instanceof BatcherError)) throw error;
          expect(error.code).toBe('INVALID_IMAGE');
          refused++;
        }
      }
      return refused;
    };
    run(100); // the allocator settles
    const wasmBefore = imagingMemory().buffer.byteLength;
    const rssBefore = process.memoryUsage().rss;
    expect(run(1_000)).toBe(500);
    expect(imagingMemory().buffer.byteLength).toBe(wasmBefore);
    expect(wasmBefore).toBeLessThan(64 * 1024 * 1024);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(32 * 1024 * 1024);
  });

  it('after a call that grew memory past the limit, the next call runs on a fresh, small instance', async () => {
    // 9400 x 9400 (88 MP, under the pixel limit) decodes to 265 MB of RGB inside wasm: above IMAGING_MEMORY_LIMIT (256 MiB).
    const big = await sharp({ create: { width: 9400, height: 9400, channels: 3, background: { r: 200, g: 30, b: 90 } } }).png().toBuffer();
    const before = imagingFreshInstances();
    const t = toTensor({ images: [big], resizeSize: [16, 16] }, { dtype: 'uint8' });
    expect(Array.from(t.data.subarray(0, 3))).toEqual([200, 30, 90]);
    expect(imagingMemory().buffer.byteLength).toBeLessThan(IMAGING_MEMORY_LIMIT); // imagingMemory() itself starts the fresh instance
    expect(imagingFreshInstances()).toBe(before + 1);
    // The fresh instance gives the same results.
    const again = toTensor({ images: [photo('coffee.png')], resizeSize: [8, 8] });
    expect(again.shape).toEqual([1, 3, 8, 8]);
  }, 120_000);
});
