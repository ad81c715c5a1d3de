// Shrink on load on camera photos (docs/imaging.md), one thread, interleaved in one run: toTensor
// to 224 x 224 float32 by default (JPEG decoded at 1/2, 1/4 or 1/8 where the target allows), with
// `shrinkOnLoad: false` (every pixel decoded), and sharp at its defaults (shrink-on-load on,
// `sharp.concurrency(1)`, `.rotate().resize(224, 224, { fit: 'fill' }).raw()`, then scaled to
// [0, 1] in JS); median of 5 after a warm-up. Also the two toTensor paths' difference (PSNR, max
// difference in 0..255). A hand-run tool until issue 24's decode benchmark joins the main job.
//   node bench/shrink-on-load.mjs PHOTO_DIR
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { toTensor } from 'mm-tokenize-batcher/imaging';

const dir = process.argv[2];
if (!dir) throw new Error('usage: node bench/shrink-on-load.mjs PHOTO_DIR (JPEG files)');
sharp.concurrency(1);
const median = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];
const toUnit = (raw) => {
  const out = new Float32Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = raw[i] / 255;
  return out;
};
console.log('| photo | MP | shrinkOnLoad (ms) | full decode (ms) | sharp (ms) | sharp / shrinkOnLoad | PSNR dB | max diff |');
console.log('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const file of readdirSync(dir).filter((f) => /\.jpe?g$/i.test(f)).sort()) {
  const bytes = readFileSync(join(dir, file));
  const { width, height } = await sharp(bytes).metadata();
  const batch = { images: [bytes], resizeSize: [224, 224] };
  const runs = {
    shrink: async () => toTensor(batch).data,
    full: async () => toTensor(batch, { shrinkOnLoad: false }).data,
    sharp: async () => toUnit(await sharp(bytes).rotate().resize(224, 224, { fit: 'fill' }).raw().toBuffer()),
  };
  const out = {};
  for (const [name, run] of Object.entries(runs)) out[name] = await run();
  const times = { shrink: [], full: [], sharp: [] };
  for (let r = 0; r < 5; r++) {
    for (const [name, run] of Object.entries(runs)) {
      const t = performance.now();
      await run();
      times[name].push(performance.now() - t);
    }
  }
  let squared = 0;
  let max = 0;
  for (let i = 0; i < out.full.length; i++) {
    const d = Math.abs(out.shrink[i] - out.full[i]) * 255;
    squared += d * d;
    max = Math.max(max, d);
  }
  const psnr = 10 * Math.log10((255 * 255) / (squared / out.full.length));
  const [s, f, sh] = ['shrink', 'full', 'sharp'].map((k) => median(times[k]));
  console.log(`| ${file} | ${((width * height) / 1e6).toFixed(1)} | ${s.toFixed(1)} | ${f.toFixed(1)} | ${sh.toFixed(1)} | ${(sh / s).toFixed(2)} | ${psnr.toFixed(1)} | ${Math.round(max)} |`);
}
