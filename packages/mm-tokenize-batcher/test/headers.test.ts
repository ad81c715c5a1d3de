import { crc32 } from 'node:zlib';
// Planning with encoded bytes: sizes come from the headers, read inside wasm without decoding.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { BatcherError, SimpleBatcher, SortedBatcher, evaluate } from 'mm-tokenize-batcher';
import { FIXTURES, photo } from './helpers.js';

const sizeOf = (image: unknown) => {
  const [batch] = new SimpleBatcher({ batchSize: 1 }).batch([{ image: image as Uint8Array }]);
  return batch!.resizeSize; // [height, width] of a one-image batch is the image's own size
};

/** A JPEG whose frame header lies after `count` maximal APP2 segments (64 KiB each). */
function jpegWithBigMetadata(jpeg: Buffer, count: number): Buffer {
  const segment = Buffer.alloc(4 + 65_531);
  segment.writeUInt16BE(0xffe2, 0);
  segment.writeUInt16BE(65_533, 2);
  return Buffer.concat([jpeg.subarray(0, 2), ...Array(count).fill(segment), jpeg.subarray(2)]);
}

describe('sizes from encoded bytes', () => {
  it.each(FIXTURES)('$file: the upright size, as sharp reports it', async ({ file, width, height }) => {
    const bytes = photo(file);
    expect(sizeOf(bytes)).toEqual([height, width]);
    if (!file.endsWith('.bmp')) {
      const meta = await sharp(bytes).metadata();
      const [w, h] = (meta.orientation ?? 1) >= 5 ? [meta.height, meta.width] : [meta.width, meta.height];
      expect([h, w]).toEqual([height, width]);
    }
  });

  it('accepts Buffer, Uint8Array, ArrayBuffer and views into a larger buffer', () => {
    const bytes = photo('coffee.png');
    const copy = new Uint8Array(bytes);
    const shifted = new Uint8Array(bytes.length + 7);
    shifted.set(bytes, 7);
    for (const image of [bytes, copy, copy.buffer, shifted.subarray(7), new DataView(shifted.buffer, 7)]) {
      expect(sizeOf(image)).toEqual([100, 150]);
    }
  });

  it('reads JPEGs whose size lies beyond the first prefix (later passes, up to the whole file)', () => {
    for (const count of [1, 5]) {
      const big = jpegWithBigMetadata(photo('chelsea-o6.jpg'), count);
      expect(big.length).toBeGreaterThan(count * 64 * 1024);
      expect(sizeOf(big)).toEqual([96, 144]);
    }
    // In one buffer with small files: every size right, whichever pass found it.
    const batches = new SimpleBatcher({ batchSize: 1 }).batch(
      [jpegWithBigMetadata(photo('astronaut.jpg'), 5), photo('coffee.png'), jpegWithBigMetadata(photo('coffee-o8.jpg'), 1)].map((image) => ({ image })),
    );
    expect(batches.map((b) => b.resizeSize)).toEqual([[120, 160], [100, 150], [100, 150]]);
  });

  it('plans a mixed buffer of bytes and sized objects, in one pass', () => {
    const buffer = [
      ...FIXTURES.map(({ file }) => ({ image: photo(file), file })),
      { image: { width: 300, height: 100 }, file: 'plain' },
    ];
    const batches = new SortedBatcher({ batchSize: 3 }).batch(buffer);
    expect(batches.flatMap((b) => b.indices).sort((a, b) => a - b)).toEqual([...buffer.keys()]);
    // Sorted by aspect: the widest (3:1 plain object) comes last.
    expect(batches.at(-1)!.samples.at(-1)!.file).toBe('plain');
    const metrics = evaluate(batches);
    expect(metrics.images).toBe(buffer.length);
    expect(metrics.resizeWaste.max).toBeGreaterThanOrEqual(1);
  });
});

describe('unreadable headers', () => {
  const good = photo('coffee.png');
  const jpeg = photo('astronaut.jpg');
  const zeroPng = Buffer.from(good.subarray(0, 33));
  zeroPng.writeUInt32BE(0, 16); // width 0
  zeroPng.writeUInt32BE(crc32(zeroPng.subarray(12, 29)), 29); // a consistent IHDR (its checksum is checked)
  const cases = [
    ['truncated PNG', good.subarray(0, 20), 'INVALID_IMAGE', 'PNG', /^sample 1: PNG: header truncated: the file ends after 20 bytes/],
    ['truncated JPEG', jpeg.subarray(0, 100), 'INVALID_IMAGE', 'JPEG', /^sample 1: JPEG: header truncated/],
    ['corrupt JPEG', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x00, 0x00, 0x12, 0x34, 0x56]), 'INVALID_IMAGE', 'JPEG', /^sample 1: JPEG: (corrupt header|header truncated)/],
    // A known format the package does not read is named; its bytes are never quoted.
    ['unsupported (TIFF)', Buffer.from('II*\0\x08\0\0\0'), 'UNSUPPORTED_IMAGE', 'TIFF', /^sample 1: TIFF: not a format this package reads \(sizes: PNG, JPEG, WebP, GIF, BMP, AVIF or HEIC\)$/],
    ['empty', new Uint8Array(0), 'UNSUPPORTED_IMAGE', undefined, /^sample 1: empty: there are no bytes to read$/],
    ['zero-sized PNG', zeroPng, 'INVALID_IMAGE', 'PNG', /^sample 1: PNG: zero-sized image \(0 x 100\)$/],
  ] as const;

  it.each(cases)('%s: throws with index, format and cause', (_label, image, code, format, message) => {
    const buffer = [{ image: good }, { image }, { image: good }];
    let error: unknown;
    try {
      new SimpleBatcher({ batchSize: 2 }).batch(buffer);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BatcherError);
    expect(error).toMatchObject({ code, index: 1, format });
    expect((error as Error).message).toMatch(message);
    // The fields compose the message: "sample 1: FORMAT: detail".
    const { detail } = error as BatcherError;
    expect((error as Error).message).toBe(`sample 1: ${format ? `${format}: ` : ''}${detail}`);
  });

  it.each(cases)('%s: with skipInvalid, a reject and the rest planned', (_label, image, code, format) => {
    const batches = new SimpleBatcher({ batchSize: 2, skipInvalid: true }).batch([{ image: good }, { image }, { image: good }]);
    expect(batches.rejects).toEqual([expect.objectContaining({ index: 1, code, ...(format ? { format } : {}) })]);
    expect(batches.rejects[0]!.format).toBe(format);
    expect(batches.flatMap((b) => b.indices)).toEqual([0, 2]);
  });
});
