// The GPU backends in the runtime matrix (issue 28): which runtimes run test/runtimes/gpu-payload.js
// with WebGL and WebGPU on, the files it reads, and the tolerances its figures must meet. Both
// backends must match TF.js's cpu backend on the same inputs (same ops, so only float rounding
// differs); a larger difference is drift and fails the matrix. docs/tfjs.md states the same
// figures.
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
export const GPU_PAYLOAD = join(here, 'gpu-payload.js');
/** Runtimes whose Chromium also runs the GPU payload, and the TF.js backends each must run. */
export const GPU_RUNTIMES = { chromium: ['webgl', 'webgpu'], 'chromium-webworker': ['webgl', 'webgpu'] };

/**
 * Largest difference from the cpu backend. float32: in normalised units (CLIP's std 0.26-0.28
 * scales 0..255 pixels by about 1/70, so 1e-3 is about 0.07 of a pixel level); int32 (dtype
 * 'uint8'): 1 level, a rounding that lands on the other side of .5.
 */
export const GPU_TOLERANCE = { float32: 1e-3, int32: 1 };

const photoDir = join(here, '../../packages/mm-tokenize-batcher/test/fixtures/photos');
const suiteDir = join(here, '../fixtures/suites');
/** Real photos: the small fixtures in every format (two EXIF-rotated) and two 1800 x 1200 EXIF-rotated camera-size JPEGs. */
export const GPU_PHOTOS = [
  ['astronaut.jpg', join(photoDir, 'astronaut.jpg')],
  ['chelsea-o6.jpg', join(photoDir, 'chelsea-o6.jpg')],
  ['coffee-o8.jpg', join(photoDir, 'coffee-o8.jpg')],
  ['coffee.png', join(photoDir, 'coffee.png')],
  ['rocket-lossy.webp', join(photoDir, 'rocket-lossy.webp')],
  ['chelsea-lossless.webp', join(photoDir, 'chelsea-lossless.webp')],
  ['astronaut.gif', join(photoDir, 'astronaut.gif')],
  ['rocket.bmp', join(photoDir, 'rocket.bmp')],
  ['Landscape_6.jpg', join(suiteDir, 'exif-orientation-examples/Landscape_6.jpg')],
  ['Portrait_8.jpg', join(suiteDir, 'exif-orientation-examples/Portrait_8.jpg')],
];
/** The last photos of GPU_PHOTOS that are camera-size (the payload uses them in fewer cases). */
export const GPU_LARGE_PHOTOS = 2;

/**
 * `decoder: 'browser'` against the wasm decoder, dtype 'uint8' (0..255): Chromium's JPEG decoder
 * (libjpeg-turbo) and the wasm one (zune-jpeg) upsample chroma differently, and GIF/PNG/WebP/BMP
 * decode to the same pixels; the largest difference after resizing, per image.
 */
export const BROWSER_DECODER_TOLERANCE = { max: 16, mean: 1.5 };

/** Every public-suite file (test/fixtures/suites, with its expected.json), as `dir/name`, and where it is. */
export const GPU_SUITE_FILES = readdirSync(suiteDir, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .flatMap((d) => {
    try {
      return Object.keys(JSON.parse(readFileSync(join(suiteDir, d.name, 'expected.json'), 'utf8'))).map((name) => [`suites/${d.name}/${name}`, join(suiteDir, d.name, name)]);
    } catch {
      return [];
    }
  });
/** The runtime that also runs every suite file through both decoders. */
export const GPU_SUITE_RUNTIME = 'chromium';

/** Problems with one runtime's GPU figures, and a one-line note of the largest differences. */
export function checkGpuResults(runtime, result) {
  const problems = [];
  const worst = {};
  const wanted = GPU_RUNTIMES[runtime];
  const ran = result.rows.map((r) => r.backend);
  if (JSON.stringify(ran) !== JSON.stringify(wanted)) problems.push(`ran backends ${ran.join(', ')}, expected ${wanted.join(', ')}`);
  for (const row of result.rows) {
    const b = row.backend;
    if (row.active !== b) problems.push(`${b}: TF.js ran on ${row.active}`);
    for (const c of row.cases) {
      const tolerance = GPU_TOLERANCE[c.dtype];
      worst[`${b} ${c.dtype}`] = Math.max(worst[`${b} ${c.dtype}`] ?? 0, c.maxDiff);
      if (!(c.maxDiff <= tolerance)) problems.push(`${b} ${c.name}: max difference from the cpu backend ${c.maxDiff} > ${tolerance}`);
      if (c.leaked !== 0) problems.push(`${b} ${c.name}: ${c.leaked} tensors left after dispose`);
      if (!c.same) problems.push(`${b} ${c.name}: shape, indices, content boxes or rejects differ from the cpu backend`);
    }
    if (row.streamBatches !== 2) problems.push(`${b} tfBatchTensors: ${row.streamBatches} batches, expected 2`);
    if (row.streamLeaked !== 0) problems.push(`${b} tfBatchTensors: ${row.streamLeaked} tensors left after dispose`);
    for (const [k, s] of row.stream.entries()) {
      if (!(s.maxDiff <= GPU_TOLERANCE.float32) || !s.same) problems.push(`${b} tfBatchTensors batch ${k}: max difference ${s.maxDiff}, same layout ${s.same}`);
    }
    const { thrown, skipped } = row.failing;
    if (!thrown.threw || thrown.code !== 'INVALID_IMAGE' || thrown.index !== 1 || thrown.leaked !== 0) problems.push(`${b} cut file: expected INVALID_IMAGE at index 1 and no tensor left, got ${JSON.stringify(thrown)}`);
    const wantSkipped = { shape: [2, 3, 48, 48], indices: [0, 2], rejects: [[1, 'INVALID_IMAGE'], [3, 'UNSUPPORTED_IMAGE']], leaked: 0 };
    const gotSkipped = { shape: skipped.shape, indices: skipped.indices, rejects: skipped.rejects, leaked: skipped.leaked };
    if (JSON.stringify(gotSkipped) !== JSON.stringify(wantSkipped)) problems.push(`${b} skipInvalid: expected ${JSON.stringify(wantSkipped)}, got ${JSON.stringify(gotSkipped)}`);
  }
  for (const row of result.rows) problems.push(...checkBrowserDecoder(row.backend, row.browser, worst));
  const suites = checkSuites(result.suites ?? []);
  problems.push(...suites.problems);
  const note = `${suites.note}GPU backends vs cpu (max difference): ${Object.entries(worst).map(([k, v]) => `${k} ${v.toExponential(1)}`).join(', ')}`;
  return { problems, note };
}


/** decoder: 'browser' on the photos: within tolerance of the wasm decoder, same layouts and rejects. */
function checkBrowserDecoder(b, browser, worst) {
  const problems = [];
  for (const c of browser.cases) {
    worst[`${b} browser-decoder`] = Math.max(worst[`${b} browser-decoder`] ?? 0, c.max);
    if (!(c.max <= BROWSER_DECODER_TOLERANCE.max) || !(c.mean <= BROWSER_DECODER_TOLERANCE.mean)) problems.push(`${b} decoder 'browser' ${c.name}: difference from the wasm decoder max ${c.max}, mean ${c.mean.toFixed(3)} (per image ${c.perImage.join(', ')}) > ${JSON.stringify(BROWSER_DECODER_TOLERANCE)}`);
    if (c.leaked !== 0) problems.push(`${b} decoder 'browser' ${c.name}: ${c.leaked} tensors left after dispose`);
    if (!c.same) problems.push(`${b} decoder 'browser' ${c.name}: shape, indices, content boxes or rejects differ from the wasm decoder`);
  }
  const { thrown, skipped } = browser.failing;
  if (!thrown.threw || thrown.code !== 'INVALID_IMAGE' || thrown.index !== 1 || thrown.leaked !== 0) problems.push(`${b} decoder 'browser', cut file: expected INVALID_IMAGE at index 1, got ${JSON.stringify(thrown)}`);
  const want = JSON.stringify({ shape: [2, 3, 48, 48], indices: [0, 2], rejects: [[1, 'INVALID_IMAGE'], [3, 'UNSUPPORTED_IMAGE']] });
  const got = JSON.stringify({ shape: skipped.shape, indices: skipped.indices, rejects: skipped.rejects });
  if (got !== want || skipped.leaked !== 0) problems.push(`${b} decoder 'browser', skipInvalid: expected ${want}, got ${got}`);
  return problems;
}

/**
 * Files of the public suites that the wasm decoder refuses but Chromium's BMP decoder reads and the
 * checks before decoding cannot fault (damaged BMP headers and RLE streams: damage only a full
 * decode finds; crates/imaging/tests/suites.rs lists all such files). `decoder: 'browser'` reads
 * these as Chromium does; docs/tfjs.md says so.
 */
export const BROWSER_READS_DAMAGED = [
  'bmpsuite/b/badpalettesize.bmp', 'bmpsuite/b/badplanes.bmp', 'bmpsuite/b/badrle.bmp', 'bmpsuite/b/badrle4.bmp',
  'bmpsuite/b/badrle4bis.bmp', 'bmpsuite/b/badrle4ter.bmp', 'bmpsuite/b/badrlebis.bmp', 'bmpsuite/b/badrleter.bmp',
  'bmpsuite/b/rgb16-880.bmp', 'bmpsuite/b/rletopdown.bmp', 'bmpsuite/q/pal8os2v2-16.bmp', 'bmpsuite/q/pal8oversizepal.bmp',
  'bmpsuite/q/rgb24rle24.bmp', 'bmpsuite/q/rgba32abf.bmp',
].map((name) => `suites/${name}`);

/**
 * Suite files both decoders read whose pixels differ past the tolerance, and why: a GIF whose
 * transparent pixels Chromium gives as black (0, 0, 0, 0) while the wasm decoder keeps the colour
 * the file stores under them (alpha is dropped on both paths).
 */
export const BROWSER_PIXELS_DIFFER = ['suites/image-rs/alpha_gif_a.gif'];

/**
 * Every suite file through both decoders: each file the wasm decoder reads, the browser path reads
 * within tolerance (but BROWSER_PIXELS_DIFFER); each file the wasm decoder refuses, the browser path refuses too (by the wasm
 * checks with the same code, or by the browser's decoder), except exactly BROWSER_READS_DAMAGED.
 */
function checkSuites(rows) {
  if (rows.length === 0) return { problems: [], note: '' };
  const problems = [];
  let read = 0;
  let refused = 0;
  let worst = 0;
  const lenient = [];
  for (const [name, wasm, browser, max] of rows) {
    if (wasm === 'ok' && browser !== 'ok') problems.push(`suite ${name}: the wasm decoder reads it, decoder 'browser' refuses it (${browser})`);
    else if (wasm !== 'ok' && browser === 'ok') lenient.push(name);
    else if (wasm === 'ok') {
      read++;
      if (BROWSER_PIXELS_DIFFER.includes(name)) continue;
      worst = Math.max(worst, max);
      if (!(max <= BROWSER_DECODER_TOLERANCE.max)) problems.push(`suite ${name}: decoder 'browser' differs from the wasm decoder by ${max} > ${BROWSER_DECODER_TOLERANCE.max}`);
    } else refused++;
  }
  if (JSON.stringify(lenient.sort()) !== JSON.stringify([...BROWSER_READS_DAMAGED].sort())) {
    problems.push(`suites: files the wasm decoder refuses and decoder 'browser' reads: ${lenient.join(', ')}; expected exactly ${BROWSER_READS_DAMAGED.join(', ')}`);
  }
  return { problems, note: `suites, decoder 'browser': ${read} read by both (max difference ${worst} but ${BROWSER_PIXELS_DIFFER.length} transparent GIF), ${refused} refused by both, ${lenient.length} damaged BMPs read; ` };
}
