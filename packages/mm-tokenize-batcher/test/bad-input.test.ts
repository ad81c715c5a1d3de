// Bad input to the imaging module: clear errors (sample index, format, cause) or rejects, the
// rest of the batch still produced, never a wasm trap, and no memory growth over 10,000 calls.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SimpleBatcher } from 'mm-tokenize-batcher';
import { BatcherError, imagingMemory, tensorDefaults, toTensor } from 'mm-tokenize-batcher/imaging';
import { FIXTURES, photo } from './helpers.js';

const png = photo('coffee.png');
const jpeg = photo('astronaut.jpg');
const webp = photo('rocket-lossy.webp');

function crc32(bytes: Uint8Array): number {
  let crc = ~0;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return ~crc >>> 0;
}

/** The PNG fixture with its IHDR claiming `w x h` (valid CRC): a decompression bomb's header. */
function pngClaiming(w: number, h: number): Buffer {
  const b = Buffer.from(png);
  b.writeUInt32BE(w, 16);
  b.writeUInt32BE(h, 20);
  b.writeUInt32BE(crc32(b.subarray(12, 29)), 29);
  return b;
}

/** The JPEG fixture with its frame header claiming `w x h`. */
function jpegClaiming(w: number, h: number): Buffer {
  const b = Buffer.from(jpeg);
  const sof = b.indexOf(Buffer.from([0xff, 0xc0]));
  b.writeUInt16BE(h, sof + 5);
  b.writeUInt16BE(w, sof + 7);
  return b;
}

const corrupt = Buffer.from(png);
corrupt.fill(0x5a, 60, 400); // inside the compressed image data

const CASES = [
  ['truncated PNG', png.subarray(0, png.length >> 1), 'INVALID_IMAGE', /^sample 1: PNG: truncated/],
  ['truncated JPEG (cut inside the scan)', jpeg.subarray(0, (jpeg.length * 2) / 3), 'INVALID_IMAGE', /^sample 1: JPEG: truncated: the scan/],
  ['truncated WebP', webp.subarray(0, webp.length - 100), 'INVALID_IMAGE', /^sample 1: WebP: truncated, the RIFF header declares/],
  ['corrupt PNG', corrupt, 'INVALID_IMAGE', /^sample 1: PNG: (decoding|reading the header): .*corrupt/],
  ['unsupported format (TIFF)', Buffer.from('II*\0\x08\0\0\0\0\0\0\0'), 'UNSUPPORTED_IMAGE', /^sample 1: TIFF: not a format this package reads/],
  ['PNG bomb, 100000 x 100000', pngClaiming(100_000, 100_000), 'IMAGE_TOO_LARGE', /^sample 1: PNG: 100000 x 100000 = 10000000000 pixels/],
  ['JPEG bomb, 65000 x 65000', jpegClaiming(65_000, 65_000), 'IMAGE_TOO_LARGE', /^sample 1: JPEG: 65000 x 65000 .* exceeds maxInputPixels/],
  ['zero-sized PNG', pngClaiming(0, 100), 'INVALID_IMAGE', /^sample 1: PNG: zero-sized image \(0 x 100\)/],
  ['RGBA pixels of the wrong length', { data: new Uint8Array(10), width: 2, height: 2 }, 'INVALID_IMAGE', /^sample 1: RGBA pixels: the data holds 10 bytes, but a 2 x 2 RGBA image needs 16/],
  ['zero-sized RGBA', { data: new Uint8Array(0), width: 0, height: 4 }, 'INVALID_IMAGE', /^sample 1: RGBA pixels: zero-sized image \(0 x 4\)/],
  ['a string', 'cat.png', 'UNSUPPORTED_IMAGE', /^sample 1: image is a string/],
] as const;

describe('bad images in toTensor', () => {
  it.each(CASES)('%s: throws naming index, format and cause', (_label, bad, code, message) => {
    let error: unknown;
    try {
      toTensor({ images: [png, bad, jpeg], resizeSize: [32, 48], indices: [0, 1, 2] });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BatcherError);
    expect(error).toMatchObject({ code, index: 1 });
    expect((error as Error).message).toMatch(message);
  });

  it.each(CASES)('%s: with skipInvalid, a reject and the rest of the batch', (_label, bad, code) => {
    const t = toTensor({ images: [png, bad, jpeg], resizeSize: [32, 48], indices: [10, 11, 12] }, { skipInvalid: true });
    expect(t.shape).toEqual([2, 3, 32, 48]);
    expect(t.indices).toEqual([10, 12]);
    expect(t.rejects).toEqual([expect.objectContaining({ index: 11, code })]);
    expect(t.rejects[0]!.message).toMatch(/^sample 11: /);
    // The kept images are the real ones, not padding.
    expect(t.data.subarray(0, 32 * 48).some((v) => v > 0.2)).toBe(true);
  });

  it('maxInputPixels is the limit, and its default is documented', () => {
    expect(tensorDefaults().maxInputPixels).toBe(89_478_485); // Pillow's MAX_IMAGE_PIXELS, shared with planning
    const error = (() => {
      try {
        toTensor({ images: [png], resizeSize: [8, 8] }, { maxInputPixels: 150 * 100 - 1 });
      } catch (e) {
        return e as BatcherError;
      }
    })();
    expect(error).toMatchObject({ code: 'IMAGE_TOO_LARGE', index: 0 });
    expect(toTensor({ images: [png], resizeSize: [8, 8] }, { maxInputPixels: 150 * 100 }).shape).toEqual([1, 3, 8, 8]);
  });

  it('refuses a batch tensor above 1 GiB before allocating it (wasm32 memory is 4 GiB at most)', () => {
    const tiny = { data: new Uint8Array(4), width: 1, height: 1 };
    let error: unknown;
    try {
      toTensor({ images: [tiny, tiny], resizeSize: [16384, 16384] });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'INVALID_OPTION', option: 'size' });
    expect((error as Error).message).toMatch(/tensor of 6442450944 bytes for 2 images of 16384 x 16384, above the 1 GiB limit/);
    expect(toTensor({ images: [tiny], resizeSize: [8, 8] }).shape).toEqual([1, 3, 8, 8]); // still alive
  });

  it('refuses a bomb already when planning (its header is above the shared pixel limit), and when decoding', () => {
    const bomb = pngClaiming(60_000, 40_000);
    const batches = new SimpleBatcher({ batchSize: 2, maxPixels: 224 * 224, skipInvalid: true }).batch([{ image: bomb }, { image: png }]);
    expect(batches.map((b) => b.indices)).toEqual([[1]]);
    expect(batches.rejects[0]).toMatchObject({ index: 0, code: 'IMAGE_TOO_LARGE' });
    const t = toTensor({ images: [bomb, png], resizeSize: [8, 8] }, { skipInvalid: true });
    expect(t.indices).toEqual([1]);
    expect(t.rejects[0]).toMatchObject({ index: 0, code: 'IMAGE_TOO_LARGE' });
  });
});

describe('mutated and truncated files (property)', () => {
  const files = FIXTURES.map(({ file }) => photo(file));
  const damaged = fc
    .record({
      file: fc.nat(files.length - 1),
      cut: fc.double({ min: 0, max: 1, noNaN: true }),
      edits: fc.array(fc.tuple(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
    })
    .map(({ file, cut, edits }) => {
      const whole = files[file] as Buffer;
      const bytes = Buffer.from(whole.subarray(0, Math.max(1, Math.round(whole.length * cut))));
      for (const [at, value] of edits) bytes[Math.floor(at * bytes.length)] = value;
      return bytes;
    });

  it('planning and toTensor give a result or a BatcherError, never a trap', () => {
    fc.assert(
      fc.property(damaged, (bytes) => {
        for (const run of [
          () => new SimpleBatcher({ batchSize: 2 }).batch([{ image: bytes }, { image: png }]),
          () => toTensor({ images: [bytes, png], resizeSize: [24, 20] }, { mode: 'letterbox' }),
        ]) {
          try {
            run();
          } catch (error) {
            if (!(error instanceof BatcherError)) throw error;
            expect(error.index).toBe(0);
            expect(error.message).toMatch(/^sample 0: /);
          }
        }
        const t = toTensor({ images: [bytes, png], resizeSize: [24, 20] }, { skipInvalid: true });
        expect(t.indices.length + t.rejects.length).toBe(2);
        expect(t.indices.at(-1)).toBe(1);
      }),
      { numRuns: 400, seed: 7 },
    );
  });
});

describe('10,000 calls, failing and succeeding', () => {
  it('no trap and no memory growth (imaging wasm memory, process RSS; planning from headers too)', () => {
    const small = toTensor({ images: [png], resizeSize: [20, 30] }, { dtype: 'uint8' }).data; // a 20 x 30 RGB image
    const rgba = { data: new Uint8Array(20 * 30 * 4).map((_, i) => (i % 4 === 3 ? 255 : small[(i >> 2) * 3 + (i % 4)] as number)), width: 30, height: 20 };
    const planner = new SimpleBatcher({ batchSize: 2 });
    const calls = [
      () => toTensor({ images: [rgba, rgba], resizeSize: [16, 16] }),
      () => toTensor({ images: [rgba, CASES[0][1], rgba], resizeSize: [16, 24] }, { skipInvalid: true, dtype: 'uint8' }),
      () => toTensor({ images: [CASES[5][1]], resizeSize: [16, 16] }), // bomb: throws
      () => toTensor({ images: [CASES[8][1]], resizeSize: [16, 16] }), // bad RGBA: throws
      () => toTensor({ images: [png.subarray(0, 200)], resizeSize: [16, 16] }), // truncated: throws
      () => toTensor({ images: [rgba], resizeSize: [24, 24] }, { mode: 'letterbox', normalize: 'clip' }),
      () => toTensor({ images: [CASES[4][1], rgba], resizeSize: [8, 8] }, { skipInvalid: true }),
      () => toTensor({ images: [rgba], resizeSize: [16, 16] }, { mode: 'fill' as never }), // bad option: throws
      // Planning from headers (the planning module) in the same loop.
      () => planner.batch([{ image: png }, { image: CASES[1][1] }, { image: jpeg }, { image: webp }]),
      () => planner.batch([{ image: png }, { image: Buffer.from('not an image') }]), // throws
    ];
    const run = (n: number) => {
      let ok = 0;
      let failed = 0;
      for (let i = 0; i < n; i++) {
        try {
          (calls[i % calls.length] as () => unknown)();
          ok++;
        } catch (error) {
          if (!(error instanceof BatcherError)) throw error; // a wasm trap would land here
          failed++;
        }
      }
      return { ok, failed };
    };
    run(1_000); // warm up: the allocator settles
    const wasmBefore = imagingMemory().buffer.byteLength;
    const rssBefore = process.memoryUsage().rss;
    const { ok, failed } = run(10_000);
    expect(ok).toBe(5_000);
    expect(failed).toBe(5_000);
    expect(imagingMemory().buffer.byteLength).toBe(wasmBefore);
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(64 * 1024 * 1024);
  });
});
