// The runtime matrix: packs the package, installs the tarball into a scratch consumer project and
// runs the conformance script (test/conformance/conformance.js) in every runtime. Each must print
// the committed golden hash (test/conformance/golden.json); a failure names the runtime and the
// cases that differ. A runtime that cannot start is a failure.
//
//   node runtimes/matrix.mjs                     all runtimes
//   node runtimes/matrix.mjs --only node,deno    some
//   node runtimes/matrix.mjs --only node --update-golden   rewrite the golden file from Node
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RUNTIMES, openRuntime, prepareConsumer, runWorkerThreadsExample } from './harness.mjs';
import { bigPng, jpegWithPadding, startRangeServer } from './range-server.mjs';
import { versions } from './binaries.mjs';
import { GPU_LARGE_PHOTOS, GPU_PAYLOAD, GPU_PHOTOS, GPU_RUNTIMES, GPU_SUITE_FILES, GPU_SUITE_RUNTIME, checkGpuResults } from './gpu.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const payload = join(here, '../conformance/conformance.js');
const urlPayload = join(here, 'url-payload.js');
const loaderPayload = join(here, 'loader-payload.js');

// Sizes from URLs against a real server (issue 12): these runtimes fetch 127.0.0.1 from their own
// process. Chromium's page reports every 404 as a console error, so it (and its variants) is
// covered by the conformance case `urls/stub` (a fetch stub) instead.
const URL_RUNTIMES = new Set(['node', 'node-worker', 'bun', 'deno', 'workerd', 'workerd-edge-light']);
const photos = join(here, '../../packages/mm-tokenize-batcher/test/fixtures/photos');
const URL_FILES = new Map([
  ['astronaut.jpg', [160, 120]],
  ['chelsea-o6.jpg', [144, 96]],
  ['coffee.png', [150, 100]],
  ['rocket-lossy.webp', [120, 160]],
  ['astronaut.gif', [128, 128]],
  ['rocket.bmp', [136, 102]],
]);
const urlFiles = new Map([...URL_FILES.keys()].map((name) => [name, new Uint8Array(readFileSync(join(photos, name)))]));
urlFiles.set('exif-300k.jpg', jpegWithPadding(urlFiles.get('astronaut.jpg'), 300_000));
urlFiles.set('big.png', bigPng(4000, 3000, 2_000_000));
URL_FILES.set('exif-300k.jpg', [160, 120]);
URL_FILES.set('big.png', [4000, 3000]);

/** Problems with one runtime's URL results (sizes, rejects, and bytes: Range honoured means 2 KiB for big.png). */
function checkUrlResults(rows) {
  const names = [...URL_FILES.keys()];
  const problems = [];
  names.forEach((name, i) => {
    for (const [mode, row] of [['range', rows[i]], ['full', rows[names.length + i]]]) {
      const want = URL_FILES.get(name);
      if (row[0] !== want[0] || row[1] !== want[1]) problems.push(`${mode}/${name}: got ${JSON.stringify(row)}, expected ${want.join(' x ')}`);
    }
  });
  const big = rows[names.indexOf('big.png')];
  if (big[2] !== 2048) problems.push(`range/big.png read ${big[2]} bytes, expected 2048`);
  const bigFull = rows[names.length + names.indexOf('big.png')];
  // Cancelled once the header is in: what arrived is the runtime's first read buffer (Node, Deno,
  // workerd: 16-64 KiB; Bun hands over about 300 KiB at once), not the 2 MB file.
  if (!(bigFull[2] < 1_000_000)) problems.push(`full/big.png read ${bigFull[2]} bytes of 2,000,000: the body was not cancelled`);
  const [missing, stall] = rows.slice(2 * names.length);
  if (missing[0] !== 'READ_FAILED') problems.push(`missing: ${JSON.stringify(missing)}`);
  if (stall[0] !== 'TIMEOUT') problems.push(`stall: ${JSON.stringify(stall)}`);
  return problems;
}
// createLoader (issue 26) from URLs and Blobs with captions: where there are workers. Chromium's
// page runs it without the 404 (a console error there).
const LOADER_RUNTIMES = new Set(['node', 'node-worker', 'bun', 'deno', 'chromium']);
const LOADER_NAMES = ['astronaut.jpg', 'chelsea-o6.jpg', 'coffee.png', 'rocket-lossy.webp', 'astronaut.gif', 'rocket.bmp', 'exif-300k.jpg'];
/** Node's loader result, which every other runtime must equal (steps, captions, tensors, rejects). */
let loaderReference;

/** Problems with one runtime's loader result. */
function checkLoaderResult(runtime, result, missing) {
  const problems = [];
  const names = LOADER_NAMES.length;
  if (result.images !== 2 * names) problems.push(`delivered ${result.images} images, expected ${2 * names}`);
  const wantRejects = missing ? [['header', 'READ_FAILED', 'ORIGIN/missing/x.jpg']] : [];
  if (JSON.stringify(result.rejects) !== JSON.stringify(wantRejects)) problems.push(`rejects ${JSON.stringify(result.rejects)}, expected ${JSON.stringify(wantRejects)}`);
  if (!result.resumedSame) problems.push('resumed mid-epoch, the steps differ from an uninterrupted run');
  if (result.steps.length !== result.length) problems.push(`${result.steps.length} steps, length says ${result.length}`);
  if (runtime === 'node') loaderReference = result.steps;
  else if (loaderReference && JSON.stringify(result.steps) !== JSON.stringify(loaderReference)) problems.push(`steps differ from Node's: ${JSON.stringify(result.steps).slice(0, 400)}`);
  return problems;
}
const rangeServer = await startRangeServer(urlFiles);
const goldenPath = join(here, '../conformance/golden.json');
const argv = process.argv.slice(2);
const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1].split(',') : RUNTIMES;
const update = argv.includes('--update-golden');
const unknown = only.filter((r) => !RUNTIMES.includes(r));
if (unknown.length) throw new Error(`unknown runtime(s) ${unknown.join(', ')}; known: ${RUNTIMES.join(', ')}`);

/**
 * The imaging pool (createImagingPool): what the conformance payload's `pool` check must report in
 * each runtime: `ran` (pool tensors equal toTensor's, in order, errors with their index) where
 * there are workers, `unsupported` (a clear BatcherError) in workerd and Vercel Edge.
 */
const POOL_EXPECTED = { workerd: 'unsupported', 'workerd-edge-light': 'unsupported' };

/** Which built file each runtime must resolve the package to (its `exports` condition). */
const EXPECTED_ENTRY = { node: '/dist/node.js', bun: '/dist/node.js', deno: '/dist/node.js', workerd: '/dist/workerd.js', 'workerd-edge-light': '/dist/edge-light.js' };
/** The same for `mm-tokenize-batcher/imaging`. */
const EXPECTED_IMAGING_ENTRY = Object.fromEntries(Object.entries(EXPECTED_ENTRY).map(([r, e]) => [r, e.replace('/dist/', '/dist/imaging-')]));

console.log('runtimes:', JSON.stringify(versions()));
const consumer = prepareConsumer({ keep: argv.includes('--keep') });
console.log(`consumer project: ${consumer.app} (from ${consumer.tarball})`);
const golden = update ? null : JSON.parse(readFileSync(goldenPath, 'utf8'));
const results = [];
try {
  for (const runtime of only) {
    const started = performance.now();
    let row;
    try {
      const handle = await openRuntime(runtime, consumer, payload);
      try {
        const out = await handle.run({});
        const { hash, cases } = out.result;
        const problems = [];
        const expectedEntry = EXPECTED_ENTRY[runtime];
        if (expectedEntry && !(out.entry ?? '').endsWith(expectedEntry)) problems.push(`resolved the package to ${out.entry}, expected …${expectedEntry}`);
        const expectedImaging = EXPECTED_IMAGING_ENTRY[runtime];
        if (expectedImaging && !(out.imagingEntry ?? '').endsWith(expectedImaging)) problems.push(`resolved mm-tokenize-batcher/imaging to ${out.imagingEntry}, expected …${expectedImaging}`);
        if (!Object.keys(cases).some((name) => name.startsWith('imaging/'))) problems.push('ran no imaging case (was `extras.imaging` passed?)');
        const poolWanted = POOL_EXPECTED[runtime] ?? 'ran';
        if (out.result.pool?.status !== poolWanted) problems.push(`imaging pool: expected ${poolWanted}, got ${out.result.pool?.status}`);
        if (golden && hash !== golden.hash) {
          const differing = Object.keys({ ...golden.cases, ...cases }).filter((name) => golden.cases[name] !== cases[name]);
          problems.push(`hash ${hash} != golden ${golden.hash}; cases that differ: ${differing.join(', ')}`);
          // Show what differed: this runtime's canonical text of the first differing case.
          const full = await handle.run({ full: true });
          const name = differing[0];
          if (full.result.full?.[name]) problems.push(`${name} here: ${full.result.full[name].slice(0, 600)}…`);
        }
        // The README's off-main-thread examples (test/examples), run where they belong.
        const notes = [`imaging pool: ${out.result.pool?.status}${out.result.pool?.tensors ? ` (${out.result.pool.tensors} tensors equal toTensor's)` : ''}`];
        if (runtime === 'chromium-webworker') {
          const lines = await handle.example();
          for (const [name, same, detail] of lines) if (!same) problems.push(`Web Worker example, ${name}: worker and page differ (${detail})`);
          notes.push(`Web Worker example: ${lines.filter((l) => l[1]).length}/${lines.length} ok`);
        }
        if (runtime === 'node-worker') {
          const text = await runWorkerThreadsExample(consumer);
          if (!/: \d+ passed, 0 failed/.test(text)) problems.push(`worker_threads example:\n${text}`);
          notes.push(text.trim().split('\n').at(-1));
        }
        row = { runtime, hash, ok: problems.length === 0, problems, entry: out.entry, notes };
      } finally {
        await handle.dispose();
      }
      if (URL_RUNTIMES.has(runtime)) {
        const urls = await openRuntime(runtime, consumer, urlPayload);
        try {
          const out = await urls.run({ origin: rangeServer.origin, names: [...URL_FILES.keys()] });
          const urlProblems = checkUrlResults(out.result);
          row.problems.push(...urlProblems.map((p) => `URL sizes from ${rangeServer.origin}: ${p}`));
          row.ok = row.problems.length === 0;
          row.notes.push(`URL sizes from a local server: ${urlProblems.length ? 'FAILED' : 'ok'}`);
        } finally {
          await urls.dispose();
        }
      }
      // TF.js on WebGL and WebGPU (SwiftShader here), against its cpu backend (issue 28).
      if (GPU_RUNTIMES[runtime]) {
        const suites = runtime === GPU_SUITE_RUNTIME ? GPU_SUITE_FILES : [];
        const gpu = await openRuntime(runtime, consumer, GPU_PAYLOAD, { gpu: true, files: [...GPU_PHOTOS, ...suites] });
        try {
          const args = { backends: GPU_RUNTIMES[runtime], photos: GPU_PHOTOS.map(([name]) => name), large: GPU_LARGE_PHOTOS, suites: suites.map(([name]) => name) };
          const out = await gpu.run(args);
          const { problems, note } = checkGpuResults(runtime, out.result);
          row.problems.push(...problems.map((p) => `GPU: ${p}`));
          row.ok = row.problems.length === 0;
          row.notes.push(note);
        } finally {
          await gpu.dispose();
        }
      }
      if (LOADER_RUNTIMES.has(runtime)) {
        const loader = await openRuntime(runtime, consumer, loaderPayload);
        try {
          const missing = runtime !== 'chromium';
          const out = await loader.run({ origin: rangeServer.origin, names: LOADER_NAMES, missing });
          const loaderProblems = checkLoaderResult(runtime, out.result, missing);
          row.problems.push(...loaderProblems.map((p) => `createLoader: ${p}`));
          row.ok = row.problems.length === 0;
          row.notes.push(`createLoader (URLs, Blobs, resume): ${loaderProblems.length ? 'FAILED' : `ok, ${out.result.steps.length} steps`}`);
        } finally {
          await loader.dispose();
        }
      }
    } catch (error) {
      row = { runtime, hash: null, ok: false, problems: [String(error.stack ?? error)] };
    }
    row.seconds = ((performance.now() - started) / 1000).toFixed(1);
    results.push(row);
    console.log(`${row.ok ? 'ok  ' : 'FAIL'} ${runtime.padEnd(20)} ${row.hash ?? '-'}  (${row.seconds}s)${row.notes?.length ? `  ${row.notes.join('; ')}` : ''}`);
    for (const problem of row.problems) console.log(`     ${runtime}: ${problem.replace(/\n/g, '\n     ')}`);
  }
} finally {
  consumer.dispose();
  await rangeServer.close();
}

if (update) {
  const node = results.find((r) => r.runtime === 'node');
  if (!node?.ok) throw new Error('--update-golden needs a passing Node run');
  const again = await (async () => {
    const c = prepareConsumer();
    try {
      const h = await openRuntime('node', c, payload);
      return (await h.run({})).result;
    } finally {
      c.dispose();
    }
  })();
  writeFileSync(goldenPath, JSON.stringify({ hash: again.hash, cases: again.cases }, null, 2) + '\n');
  console.log(`wrote ${goldenPath}: ${again.hash}`);
}

const passed = results.filter((r) => r.ok).length;
const failed = results.length - passed;
if (!update && golden) console.log(`golden hash: ${golden.hash}`);
console.log(`matrix: ${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
