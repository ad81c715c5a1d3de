// createLoader on real files (the committed photos, re-encoded by sharp at many sizes), a real
// HTTP server, and real bad input: an empty file, a cut JPEG, a TIFF named .jpg, a 404, a refused
// connection, a caption file naming a missing image. The loader never stops for one image and
// names each. Resuming mid-epoch gives exactly the batches of an uninterrupted run.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoader, type LoaderBatch, type LoaderOptions, type LoaderState } from 'mm-tokenize-batcher/loader';
import { BatcherError } from 'mm-tokenize-batcher';
import { createImagingPool, toPatches, toTensor } from 'mm-tokenize-batcher/imaging';
// @ts-expect-error plain JS module shared with the runtime matrix and the bench
import { startRangeServer } from '../../../test/runtimes/range-server.mjs';
import { FIXTURES, photo } from './helpers.js';

type Server = { origin: string; close(): Promise<void> };

let dir: string;
let server: Server;
const served = new Map<string, Uint8Array>();
/** 42 JPEGs and PNGs of many sizes made by sharp from the photos it reads (not the BMP), with captions. */
const images: { file: string; text: string; width: number; height: number }[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'loader-test-'));
  const sides = [96, 128, 160, 200, 240, 320];
  let n = 0;
  for (const f of FIXTURES.filter((x) => x.format !== 'BMP')) {
    for (const [i, w] of sides.entries()) {
      const h = Math.round((w * (i % 2 === 0 ? 3 : 4)) / (i % 3 === 0 ? 4 : 3));
      const png = n % 5 === 0;
      const file = `img-${String(n).padStart(2, '0')}.${png ? 'png' : 'jpg'}`;
      const pipeline = sharp(photo(f.file)).rotate().resize(w, h, { fit: 'fill' });
      const bytes = await (png ? pipeline.png() : pipeline.jpeg({ quality: 85 })).toBuffer();
      writeFileSync(join(dir, file), bytes);
      served.set(file, new Uint8Array(bytes));
      images.push({ file, text: `photo ${n} from ${f.file}`, width: w, height: h });
      n++;
    }
  }
  writeFileSync(join(dir, 'captions.jsonl'), images.map((im) => JSON.stringify({ file: im.file, text: im.text, id: im.file.slice(4, 6) })).join('\n') + '\n');
  server = await startRangeServer(served);
});

afterAll(async () => {
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

const hash = (data: ArrayBufferView) => createHash('sha256').update(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)).digest('hex').slice(0, 16);
const digest = (b: LoaderBatch) => ({ epoch: b.epoch, step: b.step, indices: b.indices, size: b.resizeSize, texts: b.texts, data: hash(b.tensor.data) });

async function collect(options: LoaderOptions, epochs: number, stopAfter?: number): Promise<{ batches: ReturnType<typeof digest>[]; state: LoaderState }> {
  const loader = await createLoader(options);
  const batches: ReturnType<typeof digest>[] = [];
  try {
    for (let e = 0; e < epochs; e++) {
      for await (const b of loader) {
        batches.push(digest(b));
        if (batches.length === stopAfter) return { batches, state: loader.state() };
      }
    }
    return { batches, state: loader.state() };
  } finally {
    await loader.close();
  }
}

describe('createLoader', () => {
  it('a captioned folder (JSONL manifest) to batch tensors: every image once per epoch, with its caption, file and fields', async () => {
    const loader = await createLoader({ sources: join(dir, 'captions.jsonl'), preset: 'clip-vit-l-14', batchSize: 8, workers: 2 });
    expect(loader.images).toBe(images.length);
    const seen: number[] = [];
    let steps = 0;
    for await (const batch of loader) {
      const [n, c, h, w] = batch.tensor.shape;
      expect([c, h, w]).toEqual([3, ...batch.resizeSize]);
      expect(n).toBe(batch.indices.length);
      expect(batch.tensor.data.length).toBe(n * c * h * w);
      batch.indices.forEach((index, i) => {
        expect(batch.texts[i]).toBe(images[index]!.text);
        expect(batch.sources[i]).toBe(join(dir, images[index]!.file));
        expect(batch.meta[i]).toEqual({ id: images[index]!.file.slice(4, 6) });
      });
      // The tensor is toTensor's of the same files, bit for bit.
      const same = toTensor({ images: batch.indices.map((i) => served.get(images[i]!.file)!), resizeSize: batch.resizeSize }, { normalize: 'clip', patchSize: 14 });
      expect(hash(batch.tensor.data)).toBe(hash(same.data));
      seen.push(...batch.indices);
      expect(batch.rejects).toEqual([]);
      expect(batch.step).toBe(steps++);
    }
    expect(loader.length).toBe(steps);
    expect(seen.sort((a, b) => a - b)).toEqual(images.map((_, i) => i));
    expect(loader.epoch).toBe(1);
    const summary = await loader.close();
    expect(summary).toMatchObject({ images: images.length, rejects: 0, steps });
    expect(summary.filesRead).toBe(2 * images.length); // a header read and an image read each
    expect(summary.imagesPerSecond).toBeGreaterThan(0);
  });

  it('patches: each step also as Qwen2-VL pixel_values [patches, 1176] and image_grid_thw, toPatches of its tensor', async () => {
    const loader = await createLoader({ sources: images.slice(0, 12).map((im) => join(dir, im.file)), preset: 'qwen2-vl', batchSize: 4, workers: 1, patches: true });
    let steps = 0;
    for await (const batch of loader) {
      const [n, , h, w] = batch.tensor.shape;
      const patches = batch.patches!;
      expect(patches.layout).toBe('patches');
      expect(patches.shape).toEqual([n * (h / 14) * (w / 14), 1176]);
      expect(Array.from(patches.imageGridThw)).toEqual(Array.from({ length: n }, () => [1n, BigInt(h / 14), BigInt(w / 14)]).flat());
      expect(hash(patches.data)).toBe(hash(toPatches(batch.tensor, { patchSize: 14 }).data));
      steps++;
    }
    expect(steps).toBe(loader.length);
    await loader.close();
  });

  it('CSV manifests, URLs and records take the same path', async () => {
    writeFileSync(join(dir, 'captions.csv'), `file,caption,split\n${images.slice(0, 10).map((im) => `${im.file},"${im.text}, with a comma",train`).join('\n')}\n`);
    const fromCsv = await collect({ sources: join(dir, 'captions.csv'), batchSize: 4, strategy: 'sorted', workers: 1 }, 1);
    expect(fromCsv.batches.flatMap((b) => b.texts).sort()).toEqual(images.slice(0, 10).map((im) => `${im.text}, with a comma`).sort());
    const urls = images.slice(0, 10).map((im) => ({ url: `${server.origin}/range/${im.file}`, text: `${im.text}, with a comma` }));
    const fromUrls = await collect({ sources: urls, batchSize: 4, strategy: 'sorted', workers: 1 }, 1);
    expect(fromUrls.batches).toEqual(fromCsv.batches);
    const bytes = images.slice(0, 10).map((im) => ({ bytes: served.get(im.file)!, text: `${im.text}, with a comma` }));
    expect((await collect({ sources: bytes, batchSize: 4, strategy: 'sorted', workers: 1 }, 1)).batches).toEqual(fromCsv.batches);
  });

  it('resume mid-epoch gives exactly the batches of an uninterrupted run (shuffled epochs, 2 ranks, bad images replaced)', async () => {
    unlinkSafe(join(dir, 'cut.jpg'));
    const jpeg = served.get(images[3]!.file)!;
    writeFileSync(join(dir, 'cut.jpg'), jpeg.subarray(0, Math.floor(jpeg.length / 2)));
    const sources = [...images.map((im) => ({ path: join(dir, im.file), text: im.text })), { path: join(dir, 'cut.jpg'), text: 'cut' }];
    let delivered = 0;
    for (const rank of [0, 1]) {
      const options: LoaderOptions = { sources, batchSize: 4, worldSize: 2, rank, shuffle: true, shuffleSeed: 7, onBadImage: 'replace', workers: 2, prefetch: 3 };
      const whole = await collect(options, 3);
      const length = whole.batches.length / 3;
      for (const stopAfter of [1, Math.floor(length / 2), length, length + 3]) {
        const first = await collect(options, 3, stopAfter);
        expect(first.state).toMatchObject({ epoch: Math.floor(stopAfter / length), step: stopAfter % length });
        // JSON round trip: the state is plain data, saved with a checkpoint.
        const resumed = await collect({ ...options, resume: JSON.parse(JSON.stringify(first.state)) as LoaderState }, 3 - first.state.epoch);
        expect([...first.batches, ...resumed.batches]).toEqual(whole.batches);
      }
      // Shuffled: epochs differ in order.
      expect(whole.batches.slice(0, length).map((b) => b.indices)).not.toEqual(whole.batches.slice(length, 2 * length).map((b) => b.indices));
      delivered += whole.batches.reduce((n, b) => n + b.indices.length, 0);
    }
    // The ranks together deliver every planned image each epoch, the cut JPEG's place taken by another.
    expect(delivered).toBe(3 * sources.length);
  });

  it('bad input never stops the loader: each reject named with its file or URL and cause, counted in progress and the summary', async () => {
    writeFileSync(join(dir, 'empty.jpg'), new Uint8Array(0));
    const jpeg = served.get(images[1]!.file)!;
    writeFileSync(join(dir, 'cut-2.jpg'), jpeg.subarray(0, Math.floor(jpeg.length / 2)));
    writeFileSync(join(dir, 'tiff.jpg'), await sharp(photo('astronaut.jpg')).tiff().toBuffer());
    writeFileSync(join(dir, 'gone-later.jpg'), jpeg);
    served.set('gone-later.jpg', jpeg);
    const refused = await closedPort();
    const lines = [
      ...images.slice(0, 12).map((im) => ({ file: im.file, text: im.text })),
      { file: 'empty.jpg', text: 'empty' },
      { file: 'cut-2.jpg', text: 'cut' },
      { file: 'tiff.jpg', text: 'a TIFF' },
      { file: 'missing.jpg', text: 'a caption without its image' },
      { file: 'gone-later.jpg', text: 'deleted after its header was read' },
      { url: `${server.origin}/missing/x.jpg`, text: '404' },
      { url: `http://127.0.0.1:${refused}/x.jpg`, text: 'refused' },
      { url: `${server.origin}/range/gone-later.jpg`, text: 'gone from the server after its header was read' },
      { text: 'a line with no image' },
    ];
    writeFileSync(join(dir, 'bad.jsonl'), `${lines.map((l) => JSON.stringify(l)).join('\n')}\n{not json\n`);
    for (const onBadImage of ['skip', 'replace'] as const) {
      const progress: number[] = [];
      const loader = await createLoader({ sources: join(dir, 'bad.jsonl'), batchSize: 4, strategy: 'sorted', onBadImage, workers: 2, onProgress: (p) => progress.push(p.rejects) });
      unlinkSafe(join(dir, 'gone-later.jpg'));
      served.delete('gone-later.jpg');
      const delivered: string[] = [];
      for await (const batch of loader) delivered.push(...batch.sources);
      const summary = await loader.close();
      const bySource = new Map(summary.rejectList.map((r) => [r.source.replace(`${server.origin}`, 'SERVER').replace(String(refused), 'PORT').replace(dir, 'DIR'), r]));
      const at = (s: string) => bySource.get(s);
      expect(at('DIR/empty.jpg')).toMatchObject({ stage: 'header', code: 'UNSUPPORTED_IMAGE', action: 'not planned' });
      expect(at('DIR/empty.jpg')!.detail).toMatch(/empty/);
      expect(at('DIR/tiff.jpg')).toMatchObject({ stage: 'header', code: 'UNSUPPORTED_IMAGE', format: 'TIFF' });
      expect(at('DIR/missing.jpg')).toMatchObject({ stage: 'header', code: 'READ_FAILED' });
      expect(at('DIR/missing.jpg')!.detail).toMatch(/ENOENT/);
      expect(at('SERVER/missing/x.jpg')).toMatchObject({ stage: 'header', code: 'READ_FAILED', detail: 'HTTP status 404' });
      expect(at('http://127.0.0.1:PORT/x.jpg')).toMatchObject({ stage: 'header', code: 'READ_FAILED' });
      // The header reader's network cause (imageSizesFromUrls; its wording is issue 26 item 6's).
      expect(at('http://127.0.0.1:PORT/x.jpg')!.detail).toMatch(/fetch failed|refused/i);
      expect(at('DIR/cut-2.jpg')).toMatchObject({ stage: 'decode', code: 'INVALID_IMAGE', format: 'JPEG', action: onBadImage === 'skip' ? 'skipped' : 'replaced' });
      expect(at('DIR/gone-later.jpg')).toMatchObject({ stage: 'read', code: 'READ_FAILED', action: onBadImage === 'skip' ? 'skipped' : 'replaced' });
      expect(at('SERVER/range/gone-later.jpg')).toMatchObject({ stage: 'read', code: 'READ_FAILED', detail: 'HTTP status 404' });
      expect(at('DIR/bad.jsonl:21')).toMatchObject({ stage: 'manifest', code: 'MISSING_IMAGE' });
      expect(at('DIR/bad.jsonl:22')).toMatchObject({ stage: 'manifest', code: 'INVALID_INPUT' });
      for (const r of summary.rejectList) expect(r.message.startsWith(`${r.source}: `), r.message).toBe(true);
      expect(summary.rejectList).toHaveLength(10);
      expect(summary.rejects).toBe(10);
      expect(progress.at(-1)).toBe(10);
      expect(summary.byCode).toEqual({ INVALID_IMAGE: 1, UNSUPPORTED_IMAGE: 2, READ_FAILED: 5, MISSING_IMAGE: 1, INVALID_INPUT: 1 });
      // Skip: the 12 good images, each once. Replace: every batch keeps its size (15 planned, 3 replaced).
      if (onBadImage === 'skip') expect(delivered.sort()).toEqual(images.slice(0, 12).map((im) => join(dir, im.file)).sort());
      else expect(delivered).toHaveLength(15);
      writeFileSync(join(dir, 'gone-later.jpg'), jpeg);
      served.set('gone-later.jpg', jpeg);
    }
  });

  it("onBadImage: 'throw' stops at the step, naming the file; the state still points at that step", async () => {
    const sources = [join(dir, images[0]!.file), join(dir, 'cut-2.jpg')];
    const loader = await createLoader({ sources, batchSize: 2, strategy: 'simple', onBadImage: 'throw', workers: 1 });
    const error = await (async () => {
      try {
        for await (const _ of loader) void _;
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(BatcherError);
    expect((error as BatcherError).code).toBe('INVALID_IMAGE');
    expect((error as BatcherError).message).toContain(join(dir, 'cut-2.jpg'));
    expect(loader.state()).toMatchObject({ epoch: 0, step: 0 });
    expect((await loader.close()).rejectList.map((r) => r.action)).toEqual(['thrown']);
  });

  it('dropLast leaves out the steps with a short batch; options are checked', async () => {
    const sources = images.slice(0, 10).map((im) => join(dir, im.file));
    const kept = await collect({ sources, batchSize: 4, strategy: 'simple', dropLast: true, workers: 1 }, 1);
    expect(kept.batches.map((b) => b.indices.length)).toEqual([4, 4]);
    await expect(createLoader({ sources, batchSize: 4, onBadImage: 'ignore' as never })).rejects.toThrow(/onBadImage/);
    await expect(createLoader({ sources, batchSize: 4, batchsize: 3 } as never)).rejects.toThrow(/batchsize.*not an option of createLoader/);
    await expect(createLoader({ sources, batchSize: 4, resume: { epoch: 0, step: 1, images: 9, steps: 3 } })).rejects.toThrow(/resume/);
  });

  it('a state resumes only the loader it came from: other sources or another seed, with as many images and steps, are refused', async () => {
    const files = images.slice(0, 12).map((im) => join(dir, im.file));
    const options = { sources: files, batchSize: 4, workers: 1, shuffle: true, shuffleSeed: 7 };
    const { state } = await collect(options, 1, 1);
    expect(state).toMatchObject({ epoch: 0, step: 1, images: 12, plan: expect.stringMatching(/^[0-9a-f]{16}$/) });
    for (const other of [{ ...options, shuffleSeed: 8 }, { ...options, sources: [...files].reverse() }]) {
      await expect(createLoader({ ...other, resume: state })).rejects.toMatchObject({ code: 'INVALID_OPTION', option: 'resume', message: expect.stringMatching(/other sources or options/) });
    }
    // The same sources and options take it; a state of an earlier version (no `plan`) is checked by its counts alone.
    const { plan: _plan, ...older } = state;
    for (const resume of [state, older]) {
      const loader = await createLoader({ ...options, resume });
      expect(loader.state()).toEqual({ ...state });
      await loader.close();
    }
  });
});

describe('whole images at their step: read under the header readers\' rules, at most maxImageBytes', () => {
  /**
   * A server that answers a header read (a Range ending within 64 KiB) with the image's bytes and
   * the whole read with something else: `/endless/NAME` the image then padding that never ends
   * (no Content-Length, Range ignored), `/moved/NAME` a redirect to a link-local address.
   */
  async function twoFacedServer(): Promise<Server> {
    const { createServer: createHttpServer } = await import('node:http');
    const http = createHttpServer((req, res) => {
      const [, kind, name] = (req.url ?? '').split('/');
      const bytes = served.get(name ?? '');
      const end = Number(/bytes=\d+-(\d+)/.exec(req.headers.range ?? '')?.[1] ?? Infinity);
      if (!bytes) return void res.writeHead(404).end();
      if (end < 65536) {
        const last = Math.min(end, bytes.length - 1);
        res.writeHead(206, { 'content-range': `bytes 0-${last}/${bytes.length}`, 'content-length': String(last + 1) });
        return void res.end(bytes.subarray(0, last + 1));
      }
      if (kind === 'moved') return void res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data' }).end();
      res.writeHead(200, { 'content-type': 'image/jpeg' });
      res.write(bytes);
      const padding = Buffer.alloc(1 << 20);
      let closed = false;
      res.on('close', () => (closed = true));
      const pour = () => {
        while (!closed && res.write(padding));
        if (!closed) res.once('drain', pour);
      };
      pour();
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const { port } = http.address() as { port: number };
    return { origin: `http://127.0.0.1:${port}`, close: () => new Promise<void>((resolve) => (http.closeAllConnections(), http.close(() => resolve()))) };
  }

  it('a body that never ends and a redirect to a link-local address are rejects naming why; the loader goes on', async () => {
    const faced = await twoFacedServer();
    try {
      const jpegs = images.filter((im) => im.file.endsWith('.jpg')).slice(0, 6);
      const sources = [...jpegs.slice(0, 4).map((im) => `${server.origin}/range/${im.file}`), `${faced.origin}/endless/${jpegs[4]!.file}`, `${faced.origin}/moved/${jpegs[5]!.file}`];
      const loader = await createLoader({ sources, batchSize: 2, workers: 1, maxImageBytes: 1 << 20 });
      expect(loader.images).toBe(6); // both headers read fine
      const rejects = [];
      let images_ = 0;
      for await (const batch of loader) {
        images_ += batch.indices.length;
        rejects.push(...batch.rejects);
      }
      await loader.close();
      expect(images_).toBe(4);
      const byIndex = Object.fromEntries(rejects.map((r) => [r.index, r]));
      expect(byIndex[4]).toMatchObject({ stage: 'read', code: 'READ_FAILED', reason: 'MAX_BYTES', action: 'skipped' });
      expect(byIndex[4]!.detail).toMatch(/did not end.*1048576 bytes \(option maxImageBytes\)/);
      expect(byIndex[5]).toMatchObject({ stage: 'read', code: 'READ_FAILED', reason: 'REDIRECT_REFUSED', action: 'skipped' });
      expect(byIndex[5]!.message).toContain(`${faced.origin}/moved/`);
    } finally {
      await faced.close();
    }
  });

  it('a file longer than maxImageBytes is refused unread past the cap; Blobs too; the option is checked in Rust', async () => {
    const big = images.find((im) => im.file.endsWith('.png'))!;
    const size = served.get(big.file)!.byteLength;
    const small = images.find((im) => im.file.endsWith('.jpg') && served.get(im.file)!.byteLength < size)!;
    const cap = served.get(small.file)!.byteLength;
    for (const sources of [[join(dir, small.file), join(dir, big.file)], [new Blob([served.get(small.file)! as BlobPart]), new Blob([served.get(big.file)! as BlobPart])]]) {
      const loader = await createLoader({ sources, batchSize: 1, workers: 1, maxImageBytes: Math.max(cap, 2048), onBadImage: 'skip' });
      const rejects = [];
      for await (const batch of loader) rejects.push(...batch.rejects);
      await loader.close();
      expect(rejects).toHaveLength(1);
      expect(rejects[0]).toMatchObject({ index: 1, stage: 'read', reason: 'MAX_BYTES' });
      expect(rejects[0]!.detail).toContain(`${size} bytes is more than ${Math.max(cap, 2048)} bytes (option maxImageBytes)`);
    }
    await expect(createLoader({ sources: [join(dir, small.file)], batchSize: 1, maxImageBytes: 100 })).rejects.toMatchObject({ code: 'INVALID_OPTION', option: 'maxImageBytes' });
  });
});

describe('the pool and toTensor name files', () => {
  it('a batch with `sources` names each reject and error by its file instead of "sample N"', async () => {
    const good = served.get(images[1]!.file)!; // a JPEG
    const cut = good.subarray(0, good.length >> 1);
    const batch = { images: [good, cut], resizeSize: [64, 64] as [number, number], indices: [10, 11], sources: ['photos/a.jpg', 'photos/cut.jpg'] };
    const pool = createImagingPool({ workers: 1 });
    try {
      const tensor = await pool.toTensor(batch, { skipInvalid: true });
      expect(tensor.rejects.map((r) => [r.index, r.message.split(':')[0]])).toEqual([[11, 'photos/cut.jpg']]);
      await expect(pool.toTensor(batch)).rejects.toThrow(/^photos\/cut\.jpg: JPEG: /);
      expect(() => toTensor(batch)).toThrow(/^photos\/cut\.jpg: JPEG: /);
      expect(() => toTensor({ ...batch, images: [good, 'not bytes'] })).toThrow(/^photos\/cut\.jpg: /);
      // Without sources, as before.
      expect(() => toTensor({ ...batch, sources: undefined })).toThrow(/^sample 11: JPEG: /);
    } finally {
      await pool.close();
    }
  });
});

function unlinkSafe(path: string) {
  try {
    unlinkSync(path);
  } catch {}
}

/** A port nothing listens on (bound, then closed). */
function closedPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}
