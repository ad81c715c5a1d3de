// The conformance script, shared by every runtime (Node, Bun, Deno, workerd, Chromium, Web and
// worker_threads workers). Plain ES2022 with no imports: each runtime's driver imports the
// package as a consumer would and hands its namespace in:
//
//   import * as lib from 'mm-tokenize-batcher';
//   import { conformance } from './conformance.js';
//   await lib.init();
//   const { hash, cases } = await conformance(lib);
//
// It plans fixed inputs with every strategy and option family, scores each plan with
// `evaluate`, serialises everything canonically (JSON; numbers print identically in every
// engine, so equal bits give equal text) and hashes it with WebCrypto's SHA-256, available in all
// of these runtimes. `hash` covers every case; `cases` maps each case name to its own hash so
// that a mismatch names what differed. The golden values live in ./golden.json.

/** Deterministic generator (mulberry32) for the fixed inputs; no wasm involved. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 257 dimension-only samples: mostly photo-like, some extreme aspect ratios and tiny/huge sides. */
function dimensionSamples() {
  const next = rng(20260806);
  const out = [];
  for (let i = 0; i < 257; i++) {
    let width = 64 + Math.floor(next() * 3000);
    let height = 64 + Math.floor(next() * 3000);
    if (i % 17 === 0) height = Math.max(1, Math.floor(width / 9)); // panoramas
    if (i % 23 === 0) width = Math.max(1, Math.floor(height / 7)); // tall strips
    if (i === 5) (width = 1), (height = 1);
    if (i === 6) (width = 20000), (height = 15000);
    out.push({ image: { width, height }, text: `caption ${i}`, id: i });
  }
  return out;
}

/** The image kinds the adapter reads without decoding (SPEC: sample shapes). */
function imageKindSamples() {
  const next = rng(7);
  const kinds = [
    (w, h) => ({ width: w, height: h }), // ImageData, ImageBitmap, canvas, plain objects
    (w, h) => ({ naturalWidth: w, naturalHeight: h, width: 10, height: 10 }), // HTMLImageElement
    (w, h) => ({ displayWidth: w, displayHeight: h, codedWidth: w + 16, codedHeight: h + 16 }), // VideoFrame
    (w, h) => ({ shape: [h, w, 3] }), // TF.js Tensor3D
  ];
  return Array.from({ length: 96 }, (_, i) => {
    const w = 100 + Math.floor(next() * 1500);
    const h = 100 + Math.floor(next() * 1500);
    return { image: kinds[i % kinds.length](w, h), text: i % 3 ? `t${i}` : undefined, extra: { i } };
  });
}

/** Valid samples with invalid ones mixed in: every reject code the adapter and the core report. */
function mixedInvalidSamples() {
  const good = dimensionSamples().slice(0, 60);
  const bad = [
    [3, { text: 'no image' }],
    [8, { image: 'photo.png' }],
    [13, { image: { width: 0, height: 10 } }],
    [21, { image: { width: 12.5, height: 10 } }],
    [34, { image: { width: -4, height: 10 } }],
    [35, { image: { width: 2 ** 31, height: 10 } }],
    [40, { image: { width: 10, height: Number.NaN } }],
    [41, { image: { width: 10 } }],
    [55, null],
    [61, 42],
  ];
  const out = [...good];
  for (const [at, sample] of bad) out.splice(at, 0, sample);
  return out;
}

/** Canonical form of one plan: everything a user can observe, plus its metrics. */
function describe(lib, buffer, batches, batchSize) {
  const plan = batches.map((batch) => {
    // Invariants every runtime must keep: samples are the input objects, untouched.
    batch.indices.forEach((index, j) => {
      if (batch.samples[j] !== buffer[index]) throw new Error(`batch sample ${j} is not buffer[${index}]`);
      if (batch.images[j] !== buffer[index].image) throw new Error(`batch image ${j} is not buffer[${index}].image`);
      if (batch.texts[j] !== buffer[index].text) throw new Error(`batch text ${j} is not buffer[${index}].text`);
    });
    return { indices: batch.indices, resizeSize: batch.resizeSize, texts: batch.texts.map((t) => t ?? null) };
  });
  const seen = new Set([...batches.flatMap((b) => b.indices), ...batches.rejects.map((r) => r.index)]);
  if (seen.size !== buffer.length) throw new Error(`${buffer.length - seen.size} samples neither batched nor rejected`);
  const rejects = batches.rejects.map((r) => [r.index, r.code, r.message]);
  const metrics = batches.length ? lib.evaluate(batches, { batchSize }) : null;
  return { plan, rejects, metrics };
}

function thrown(fn) {
  try {
    fn();
  } catch (error) {
    if (!(error instanceof Error) || error.name !== 'BatcherError') throw error;
    return { code: error.code, index: error.index ?? null, option: error.option ?? null, message: error.message };
  }
  throw new Error('expected a BatcherError, nothing was thrown');
}

/** The planning cases: [name, () => JSON-able result]. */
function planningCases(lib) {
  const { SimpleBatcher, SortedBatcher, ClusteredBatcher, BalancedBatcher, TokenPacker, seedBenchmarkSamples } = lib;
  const dims = dimensionSamples();
  const seed = seedBenchmarkSamples(600, 3);
  const kinds = imageKindSamples();
  const mixed = mixedInvalidSamples();
  const plan = (Batcher, options, buffer) => describe(lib, buffer, new Batcher(options).batch(buffer), options.batchSize);
  const customKey = (sample, index) => ((sample.id ?? index) * 7919) % 101;

  return [
    ['seed-samples', () => seed.map((s) => [s.image.height, s.image.width])],
    ['simple/dims/bs8', () => plan(SimpleBatcher, { batchSize: 8 }, dims)],
    ['simple/seed/bs32/m28', () => plan(SimpleBatcher, { batchSize: 32, multipleOf: 28 }, seed)],
    ['simple/kinds/bs10/pixels', () => plan(SimpleBatcher, { batchSize: 10, minPixels: 200_000, maxPixels: 800_000 }, kinds)],
    ['sorted-aspect/dims/bs16', () => plan(SortedBatcher, { batchSize: 16 }, dims)],
    ['sorted-aspect/seed/bs32/m28', () => plan(SortedBatcher, { batchSize: 32, multipleOf: 28 }, seed)],
    ['sorted-area/dims/bs16/m28', () => plan(SortedBatcher, { batchSize: 16, key: 'area', multipleOf: 28 }, dims)],
    ['sorted-custom/dims/bs12', () => plan(SortedBatcher, { batchSize: 12, key: customKey }, dims)],
    ['sorted-aspect/kinds/bs8/max', () => plan(SortedBatcher, { batchSize: 8, multipleOf: 14, maxPixels: 448 * 448 }, kinds)],
    ['clustered/seed/bs32/seed0', () => plan(ClusteredBatcher, { batchSize: 32 }, seed)],
    ['clustered/seed/bs32/m28/seed7', () => plan(ClusteredBatcher, { batchSize: 32, multipleOf: 28, seed: 7 }, seed)],
    ['clustered/dims/bs16/k9/it50', () => plan(ClusteredBatcher, { batchSize: 16, numClusters: 9, maxIterations: 50, seed: 11 }, dims)],
    ['clustered/kinds/bs8/seed3', () => plan(ClusteredBatcher, { batchSize: 8, seed: 3, minPixels: 100_000 }, kinds)],
    ['balanced/seed/bs32', () => plan(BalancedBatcher, { batchSize: 32 }, seed)],
    ['balanced/seed/bs32/m28/fill1', () => plan(BalancedBatcher, { batchSize: 32, multipleOf: 28, minFill: 1 }, seed)],
    ['balanced/dims/bs8/median', () => plan(BalancedBatcher, { batchSize: 8, sizing: 'median', refinePasses: 2 }, dims)],
    ['simple/seed/minimax', () => plan(SimpleBatcher, { batchSize: 32, sizing: 'minimax' }, seed)],
    ['tokens/sorted/p14', () => plan(SortedBatcher, { maxTokens: 8192, patchSize: 14 }, seed)],
    ['tokens/clustered/p16/bs24', () => plan(ClusteredBatcher, { maxTokens: 12000, patchSize: 16, batchSize: 24 }, seed)],
    ['tokens/balanced/p14', () => plan(BalancedBatcher, { maxTokens: 8192, patchSize: 14 }, seed)],
    ['shapes/clustered/4', () => plan(ClusteredBatcher, { batchSize: 32, multipleOf: 28, maxShapes: 4 }, seed)],
    ['shapes/balanced/tokens/3', () => plan(BalancedBatcher, { maxTokens: 8192, patchSize: 14, maxShapes: 3 }, seed)],
    [
      'packing/ffd-and-next-fit',
      () =>
        ['first-fit-decreasing', 'next-fit'].map((algorithm) => {
          const packs = new TokenPacker({ maxTokens: 8192, patchSize: 14, algorithm }).pack(seed);
          return { packs: packs.map((p) => [p.indices, p.sizes, p.tokens]), padding: packs.padding };
        }),
    ],
    ['skip/simple', () => plan(SimpleBatcher, { batchSize: 8, skipInvalid: true }, mixed)],
    ['skip/sorted-custom', () => plan(SortedBatcher, { batchSize: 8, skipInvalid: true, key: customKey }, mixed)],
    ['skip/clustered/m28', () => plan(ClusteredBatcher, { batchSize: 8, skipInvalid: true, multipleOf: 28, seed: 5 }, mixed)],
    ['empty', () => plan(ClusteredBatcher, { batchSize: 8 }, [])],
    [
      'throws',
      () => [
        thrown(() => new SimpleBatcher({ batchSize: 8 }).batch(mixed)),
        thrown(() => new ClusteredBatcher({ batchSize: 8 }).batch(mixed)),
        thrown(() => new SortedBatcher({ batchSize: 8, key: () => Number.NaN }).batch(dims)),
        thrown(() => new SimpleBatcher({ batchSize: 0 })),
        thrown(() => new SortedBatcher({ batchSize: 4, key: 'height' })),
        thrown(() => new ClusteredBatcher({ batchSize: 4, colour: 'red' })),
        thrown(() => new SimpleBatcher({ batchSize: 4, multipleOf: 28, maxPixels: 10 })),
        thrown(() => new SimpleBatcher({ batchSize: 4 }).batch('not an array')),
        thrown(() => new SortedBatcher({ maxTokens: 1024, patchSize: 16 }).batch([{ image: { width: 4000, height: 4000 } }])),
        thrown(() => new BalancedBatcher({ batchSize: 4, minFill: 0 })),
      ],
    ],
  ];
}

// ─── EXTENSION POINT (issue 3: encoded images and resizing, `mm-tokenize-batcher/imaging`) ───
// Drivers pass `extras.imaging` (the namespace of `mm-tokenize-batcher/imaging`) once that subpath
// ships; add its cases here and regenerate test/conformance/golden.json
// (`pnpm --filter mm-tokenize-batcher-runtimes conformance:update`). Planned cases, each a few lines:
//   - encoded inputs: PNG, JPEG, WebP, GIF and BMP bytes (as Uint8Array, ArrayBuffer and, where the
//     runtime has it, Buffer) planned with each strategy, next to their dimension twins: the plans
//     must be the same;
//   - resize one batch: `imaging`'s resize of the first batch of a plan of those bytes, hashing the
//     output tensor's shape and bytes.
// Fixture bytes must be real encoded images: generate them in the driver's language-neutral way
// (for example committed files under test/conformance/fixtures/, read by each driver).
function imagingCases(_lib, imaging) {
  if (!imaging) return [];
  return [];
}
// ─── end of extension point ───

const toHex = (buffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
const sha256 = async (text) => toHex(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));

/**
 * Runs every case. `lib` is the package namespace, already initialised.
 * Returns `{ hash, cases: { [name]: hash }, count }`; with `{ full: true }` also each case's JSON.
 */
export async function conformance(lib, extras = {}) {
  const cases = [...planningCases(lib), ...imagingCases(lib, extras.imaging)];
  const hashes = {};
  const full = {};
  for (const [name, run] of cases) {
    let text;
    try {
      text = JSON.stringify(run());
    } catch (error) {
      text = JSON.stringify({ unexpectedError: String(error && error.stack ? error.message : error) });
    }
    hashes[name] = await sha256(text);
    if (extras.full) full[name] = text;
  }
  const hash = await sha256(Object.entries(hashes).map(([name, h]) => `${name} ${h}\n`).join(''));
  return extras.full ? { hash, cases: hashes, count: cases.length, full } : { hash, cases: hashes, count: cases.length };
}

/** The payload interface of test/runtimes/harness.mjs: `run(lib, args)`. */
export const run = (lib, args = {}) => conformance(lib, args);
