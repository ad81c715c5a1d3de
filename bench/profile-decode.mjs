// Where the wasm decode's time goes (issue 24): runs `toTensor` (224 x 224 float32) on one file
// under V8's sampling profiler and prints the self time per wasm function, grouped into the
// decode stages (entropy decoding, IDCT, colour conversion, upsampling, inflate, PNG filters,
// VP8/VP8L, resize, the rest). A hand-run tool: its figures go into docs/imaging.md.
//   node bench/profile-decode.mjs FILE [runs] [--full]   (--full: shrinkOnLoad: false)
import { readFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { toTensor } from 'mm-tokenize-batcher/imaging';

const [file, runsArg] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
if (!file) throw new Error('usage: node bench/profile-decode.mjs FILE [runs] [--full]');
const full = process.argv.includes('--full');
const runs = Number(runsArg ?? 5);
const bytes = readFileSync(file);
const batch = { images: [bytes], resizeSize: [224, 224] };
const options = { normalize: 'clip', ...(full ? { shrinkOnLoad: false } : {}) };
toTensor(batch, options); // warm-up: compiled, tiered up

const session = new Session();
session.connect();
await session.post('Profiler.enable');
await session.post('Profiler.setSamplingInterval', { interval: 100 });
await session.post('Profiler.start');
const started = performance.now();
for (let i = 0; i < runs; i++) toTensor(batch, options);
const ms = (performance.now() - started) / runs;
const { profile } = await session.post('Profiler.stop');

// Self time per function: samples whose top frame is that node.
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const self = new Map();
const deltas = profile.timeDeltas;
profile.samples.forEach((id, i) => {
  const frame = byId.get(id).callFrame;
  // The inspector's own frames (starting and stopping the profiler) are not the decode's.
  if (frame.url.startsWith('node:inspector') || (frame.functionName === 'dispatch' && frame.url === '')) return;
  const name = frame.functionName || '(anonymous)';
  self.set(name, (self.get(name) ?? 0) + (deltas[i] ?? 0));
});
const total = [...self.values()].reduce((a, b) => a + b, 0);
/** The decode stage a wasm function belongs to, from its crate and name. */
function stageOf(name) {
  const crate = /^<?([a-z0-9_]+)\[/.exec(name)?.[1] ?? '';
  if (crate === 'zune_jpeg' || crate === 'jpeg_decoder') {
    if (/idct/i.test(name)) return 'JPEG IDCT';
    if (/color_convert|ycbcr/i.test(name)) return 'JPEG colour conversion';
    if (/upsampl/i.test(name)) return 'JPEG chroma upsampling';
    if (/refine/i.test(name)) return 'JPEG entropy decoding (progressive refinement)';
    return 'JPEG entropy decoding and block loop';
  }
  if (crate === 'fdeflate' || crate === 'miniz_oxide') return 'PNG inflate';
  if (crate === 'crc32fast' || crate === 'adler2') return 'PNG checksums (CRC, Adler)';
  if (crate === 'png') return /unfilter|filter/.test(name) ? 'PNG filters' : 'PNG other';
  if (crate === 'image_webp') {
    if (/lossless/.test(name)) return 'WebP lossless (VP8L)';
    if (/loop_filter/.test(name)) return 'WebP lossy: loop filter';
    if (/arithmetic|read_coefficients|read_with_tree/.test(name)) return 'WebP lossy: entropy decoding';
    if (/yuv/.test(name)) return 'WebP lossy: YUV to RGB';
    if (/idct|iwht|transform|add_residue|predict/.test(name)) return 'WebP lossy: transforms and prediction';
    return 'WebP lossy: other';
  }
  if (crate === 'fast_image_resize') return 'resize (fast_image_resize)';
  if (crate === 'mm_batcher_imaging') return 'this package (checks, layout, normalise)';
  if (/alloc|memcpy|memmove|memset/.test(name)) return 'allocation and copies';
  return 'other (JS glue, V8)';
}
const stages = new Map();
for (const [name, t] of self) {
  const stage = stageOf(name);
  stages.set(stage, (stages.get(stage) ?? 0) + t);
}
console.log(`${file}${full ? ' (full decode)' : ''}: ${ms.toFixed(1)} ms per toTensor (${runs} runs)`);
for (const [stage, t] of [...stages].sort((a, b) => b[1] - a[1])) console.log(`  ${(100 * t / total).toFixed(1).padStart(5)}%  ${stage}`);
console.log('  top functions:');
for (const [name, t] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`  ${(100 * t / total).toFixed(1).padStart(5)}%  ${name.slice(0, 160)}`);
