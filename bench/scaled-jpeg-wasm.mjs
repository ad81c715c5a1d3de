// Shrink on load in wasm (docs/imaging.md): the imaging module's batchTensor on the same JPEG photos
// with `shrinkOnLoad: false` (every pixel decoded) and by default (decoded at 1/2, 1/4 or 1/8 where
// the target allows), interleaved, one thread: one image at 224 x 224 (uint8, stretch, bilinear,
// EXIF orientation applied), median of 7 after one warm-up; and the difference of the two tensors
// (PSNR, max |diff|). A hand-run tool until issue 24's decode benchmark joins the main job.
//   node bench/scaled-jpeg-wasm.mjs [--wasm DIR] PHOTO.jpg...
// DIR holds mm_imaging.js + mm_imaging_bg.wasm (default: the package's build, packages/mm-tokenize-batcher/wasm).
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const args = process.argv.slice(2);
const at = args.indexOf('--wasm');
const dir = at >= 0 ? args.splice(at, 2)[1] : new URL('../packages/mm-tokenize-batcher/wasm', import.meta.url).pathname;
const photos = args;
async function load(dir) {
  const glue = await import(join(dir, 'mm_imaging.js'));
  glue.initSync({ module: readFileSync(join(dir, 'mm_imaging_bg.wasm')) });
  return glue;
}
const module = await load(dir);
const options = { size: [224, 224], dtype: 'uint8' };
// [full decode, shrink on load]
const builds = [{ ...options, shrinkOnLoad: false }, options];
const run = (o, bytes) =>
  module.batchTensor(bytes, new Uint32Array([0, bytes.length]), new Uint8Array([0]), new Uint32Array([0]),
    new Uint32Array([0]), new Uint32Array([0]), o).data;
const median = (v) => v.sort((a, b) => a - b)[v.length >> 1];
console.log('| photo | full ms | scaled ms | speedup | PSNR dB | max diff |');
console.log('|---|---:|---:|---:|---:|---:|');
for (const path of photos) {
  const bytes = new Uint8Array(readFileSync(path));
  const outs = builds.map((m) => run(m, bytes));
  const times = [[], []];
  for (let r = 0; r < 7; r++) {
    builds.forEach((m, i) => {
      const t = performance.now();
      run(m, bytes);
      times[i].push(performance.now() - t);
    });
  }
  const [f, s] = times.map(median);
  let se = 0, max = 0;
  for (let i = 0; i < outs[0].length; i++) {
    const d = Math.abs(outs[0][i] - outs[1][i]);
    se += d * d;
    max = Math.max(max, d);
  }
  const psnr = 10 * Math.log10((255 * 255) / (se / outs[0].length));
  console.log(`| ${basename(path)} | ${f.toFixed(1)} | ${s.toFixed(1)} | ${(f / s).toFixed(2)}x | ${psnr.toFixed(1)} | ${max} |`);
}
