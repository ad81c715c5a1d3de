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
    if (i === 6) (width = 10000), (height = 8000); // 80 MP, under the shared pixel limit (89,478,485)
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

/** Streaming, ranks and presets (issue 6): async cases, awaited like the others. */
function datasetCases(lib) {
  const { SortedBatcher, ClusteredBatcher, BalancedBatcher, batchStream, batchForRank, presetOptions, presetNames, smartResize, seedBenchmarkSamples } = lib;
  const seed = seedBenchmarkSamples(700, 9);
  const position = new Map(seed.map((s, i) => [s, i]));
  const streamed = async (options) => {
    async function* source() {
      for (const sample of seed) yield sample;
    }
    const out = [];
    for await (const b of batchStream(source(), options)) out.push([b.step, b.rank, b.resizeSize, b.samples.map((s) => position.get(s))]);
    return out;
  };
  const ranks = (worldSize, leftover) =>
    Array.from({ length: worldSize }, (_, rank) => {
      const batches = batchForRank(new ClusteredBatcher({ batchSize: 16, multipleOf: 28, seed: 2 }), seed, { worldSize, rank, leftover });
      return batches.map((b) => [b.step, b.indices, b.resizeSize, b.padding ?? 0]);
    });
  return [
    ['stream/sorted/buffer128', () => streamed({ batcher: new SortedBatcher({ batchSize: 16 }), bufferSize: 128 })],
    ['stream/balanced/carry', () => streamed({ batcher: new BalancedBatcher({ batchSize: 16, multipleOf: 28 }), bufferSize: 200, carry: true })],
    ['stream/clustered/ranks3', () => streamed({ batcher: new ClusteredBatcher({ batchSize: 16, seed: 1 }), bufferSize: 256, worldSize: 3, rank: 1 })],
    ['ranks/4/split', () => ranks(4, 'split')],
    ['ranks/3/pad', () => ranks(3, 'pad')],
    ['presets', () => presetNames.map((name) => [name, presetOptions(name)])],
    ['smart-resize', () => [[1080, 1920], [28, 28], [3000, 100], [10, 10], [4000, 3000]].map(([h, w]) => smartResize(h, w))],
    ['qwen2-vl/plan', () => new SortedBatcher({ batchSize: 16, ...presetOptions('qwen2-vl') }).batch(seed).map((b) => [b.indices, b.resizeSize])],
    // Shuffled epochs (issue 12): seeded step permutations, per epoch, in every runtime.
    ...lib.strategyNames.map((name) => [
      `shuffle/${name}`,
      () => {
        const batcher = lib.createBatcher(name, { batchSize: 16, multipleOf: 14, shuffle: true, shuffleSeed: 20260806 });
        return [0, 1, 7].map((epoch) => batcher.batch(seed, { epoch }).map((b) => [b.indices, b.resizeSize]));
      },
    ]),
    [
      'shuffle/ranks/3',
      () =>
        [0, 1, 2].map((rank) =>
          batchForRank(new ClusteredBatcher({ batchSize: 16, seed: 2 }), seed, { worldSize: 3, rank, shuffle: true, shuffleSeed: 5, epoch: 4 }).map((b) => [b.step, b.indices, b.resizeSize]),
        ),
    ],
    // Batches of one resizeSize trade members per epoch (shuffleMembers, default on), and not with it off.
    ...[true, false].map((members) => [
      `shuffle/members/${members ? 'on' : 'off'}`,
      () => {
        // 40 shapes five times each: batches of one shape share a size, so members can move.
        const photos = seed.slice(0, 40).flatMap((s) => [s, s, s, s, s]);
        const batcher = new SortedBatcher({ batchSize: 8, multipleOf: 28, shuffle: true, shuffleSeed: 77, shuffleMembers: members });
        const ranks = [0, 1].map((rank) => batchForRank(batcher, photos, { worldSize: 2, rank, epoch: 3 }).map((b) => [b.step, b.indices, b.resizeSize, b.padding ?? 0]));
        return [[0, 1].map((epoch) => batcher.batch(photos, { epoch }).map((b) => [b.indices, b.resizeSize])), ranks];
      },
    ]),
    ['shuffle/members/stream', () => streamed({ strategy: 'balanced', batchSize: 8, multipleOf: 28, bufferSize: 200, shuffle: true, shuffleSeed: 4, epoch: 5 })],
    ['shuffle/stream/buffer', () => streamed({ batcher: new BalancedBatcher({ batchSize: 16 }), bufferSize: 128, shuffle: true, shuffleSeed: 9, epoch: 2, shuffleBuffer: 300 })],
    ['shuffle/stream/ranks2', () => streamed({ strategy: 'sorted', batchSize: 16, bufferSize: 256, carry: true, worldSize: 2, rank: 1, shuffle: true, shuffleBuffer: 100 })],
    // Every registered strategy through every surface that takes a name: createBatcher, the
    // stream's `strategy`, rank dealing (registry test: a strategy missing here fails the matrix).
    ...lib.strategyNames.map((name) => [
      `registry/${name}`,
      async () => ({
        plan: lib.createBatcher(name, { batchSize: 16 }).batch(seed).map((b) => [b.indices, b.resizeSize]),
        stream: await streamed({ strategy: name, batchSize: 16, bufferSize: 256, carry: true }),
        ranks: batchForRank(lib.createBatcher(name, { batchSize: 16 }), seed, { worldSize: 2, rank: 1 }).map((b) => [b.step, b.indices, b.resizeSize]),
      }),
    ]),
  ];
}

// ─── imaging: encoded images and resizing (`mm-tokenize-batcher/imaging`) ───
// Drivers pass `extras.imaging`, the namespace of `mm-tokenize-batcher/imaging` after
// `await initImaging()`. The encoded images are real files, a few dozen pixels each, generated by
// test/conformance/make-images.mjs (sharp/libvips encoders; BMP by hand) and committed below as
// base64, so every runtime reads the very same bytes with no file access.

// BEGIN GENERATED IMAGES (node test/conformance/make-images.mjs; do not edit by hand)
// sharp 0.35.5 / libvips 8.18.7 encoded PNG, JPEG, GIF and WebP; BMP by make-images.mjs.
// [name, upright width, upright height, base64 of the file]
const ENCODED_IMAGES = [
  ['png-rgb', 8, 6, 'iVBORw0KGgoAAAANSUhEUgAAAAgAAAAGCAIAAABxZ0isAAAACXBIWXMAAAPoAAAD6AG1e1JrAAAAm0lEQVQImQXBqQ4CIBgA4P9hcBDdiJqVqkbUiMdG8age0WNsBA+aR1UjamQamXa6b0D//T4AViBQFKykoWJZzUMzsQ7CAICXiawKXteyZXnXy2HiE5QLANMgqi1MT6uRNVOvlslsUB0AXJ+EsXAzHVbWbX04JnfBcAfIcxLXIu90PNl89fGR8gvjBwD3hJ4F3jR9Wnx7+k2YkP7+uORIbzC28PsAAAAASUVORK5CYII='],
  ['png-rgba', 7, 5, 'iVBORw0KGgoAAAANSUhEUgAAAAcAAAAFCAYAAACJmvbYAAAACXBIWXMAAAPoAAAD6AG1e1JrAAAAkklEQVQImQXBKw5CMRAF0Lub99JNPI+vB1UBGnATwPKxgKng06SmYIFkHMgGUksqi+sShnMA9ES1umr0M7XD6DHm1M6CYGkBMxDVjao2k0zdPHqz4tRtg5iDBWgqyi2qpnUmt4uejpxcCEI3C5SNKN5XXU6Z+BJ9uXPiZ5DytoCcRTXXquWRqXlFLx9OzTeI/OwfTR1TrFMKYnIAAAAASUVORK5CYII='],
  ['jpeg', 9, 7, '/9j/2wBDAAMCAgMCAgMDAwMEAwMEBQgFBQQEBQoHBwYIDAoMDAsKCwsNDhIQDQ4RDgsLEBYQERMUFRUVDA8XGBYUGBIUFRT/2wBDAQMEBAUEBQkFBQkUDQsNFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBT/wAARCAAHAAkDASIAAhEBAxEB/8QAFgABAQEAAAAAAAAAAAAAAAAAAAMH/8QAIRAAAQMEAQUAAAAAAAAAAAAAAgEDBAAHERIUQVWTldL/xAAVAQEBAAAAAAAAAAAAAAAAAAAGB//EACMRAAEDAgUFAAAAAAAAAAAAAAECAwUEEQAHEiFBExQxUWL/2gAMAwEAAhEDEQA/AI2ltBb9woTUKazKefVoQUo7ojlzjIGch1WdG8q5VdT20La1vf4/rpv1SlFKqdmpSQqU9840ltRSEt6QLXI3ukknbk4tOSlG9IQJ61U5tp8FPIPyfWP/2Q=='],
  ['jpeg-exif6', 5, 8, '/9j/4QC8RXhpZgAASUkqAAgAAAAGABIBAwABAAAABgAAABoBBQABAAAAVgAAABsBBQABAAAAXgAAACgBAwABAAAAAgAAABMCAwABAAAAAQAAAGmHBAABAAAAZgAAAAAAAAA4YwAA6AMAADhjAADoAwAABgAAkAcABAAAADAyMTABkQcABAAAAAECAwAAoAcABAAAADAxMDABoAMAAQAAAP//AAACoAQAAQAAAAgAAAADoAQAAQAAAAUAAAAAAAAA/+IB8ElDQ19QUk9GSUxFAAEBAAAB4GxjbXMEIAAAbW50clJHQiBYWVogB+IAAwAUAAkADgAdYWNzcE1TRlQAAAAAc2F3c2N0cmwAAAAAAAAAAAAAAAAAAPbWAAEAAAAA0y1oYW5keem/Vlo+AbaDI4VVRvdPqgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAKZGVzYwAAAPwAAAAkY3BydAAAASAAAAAid3RwdAAAAUQAAAAUY2hhZAAAAVgAAAAsclhZWgAAAYQAAAAUZ1hZWgAAAZgAAAAUYlhZWgAAAawAAAAUclRSQwAAAcAAAAAgZ1RSQwAAAcAAAAAgYlRSQwAAAcAAAAAgbWx1YwAAAAAAAAABAAAADGVuVVMAAAAIAAAAHABzAFIARwBCbWx1YwAAAAAAAAABAAAADGVuVVMAAAAGAAAAHABDAEMAMAAAWFlaIAAAAAAAAPbWAAEAAAAA0y1zZjMyAAAAAAABDD8AAAXd///zJgAAB5AAAP2S///7of///aIAAAPcAADAcVhZWiAAAAAAAABvoAAAOPIAAAOPWFlaIAAAAAAAAGKWAAC3iQAAGNpYWVogAAAAAAAAJKAAAA+FAAC2xHBhcmEAAAAAAAMAAAACZmkAAPKnAAANWQAAE9AAAApb/9sAQwADAgIDAgIDAwMDBAMDBAUIBQUEBAUKBwcGCAwKDAwLCgsLDQ4SEA0OEQ4LCxAWEBETFBUVFQwPFxgWFBgSFBUU/9sAQwEDBAQFBAUJBQUJFA0LDRQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQU/8AAEQgABQAIAwEiAAIRAQMRAf/EABUAAQEAAAAAAAAAAAAAAAAAAAAD/8QAIxAAAAYBAgcAAAAAAAAAAAAAAAECBAYREwMFEhQVISMzUf/EABUBAQEAAAAAAAAAAAAAAAAAAAYH/8QAIBEAAgEDBAMAAAAAAAAAAAAAAQIDBAURACFBQgYHMf/aAAwDAQACEQMRAD8ArBYfC487fNW8ZTbDmPIeuVrwluRlRcFJvphfazdvWkAAD7vd7pVX+4xPWShYpGRQssiAKrMAMIyj4BudzyTq+ekqZa3xtTUMzYC935Bz21//2Q=='],
  ['gif', 6, 9, 'R0lGODlhBgAJAIUAAExpccznbzMHZZl/Nv//qJnHTWbnWTP/fMzfhpn/kgAncZkHe2afQmYnh/8HkTO/TsyfWMwnnQDfWpm/ZGbfcP+/esynQf/HY8xfKv9/TDOHCcxnE5lH8QCnFZmHH2Zn/WanK/+HNTPHN5k/CGZfFDN/IP8/Hv8A8Mwf/P9HBwDnQ2Yf5jM/8pkA2swo5WYozzNH2zMAxAAf0ABf/gCfLABn5wAouQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAACH5BAUAAAAALAAAAAAGAAkAAAYxQFvs1XKdZLAVB5WqsT6jjWmmIXkwoU4JNLBkaCJGAXJRPQyTQEUioCwQDsWhkYgQggA7'],
  ['bmp', 7, 4, 'Qk2WAAAAAAAAADYAAAAoAAAABwAAAAQAAAABABgAAAAAAGAAAAATCwAAEwsAAAAAAAAAAAAAIycALv8qOSdVRP9/TyeqWv/UZSf/AAAADKoAF9IqIqpVLdJ/OKqqQ9LUTqr/AAAA9X0AAFUqC31VFlV/IX2qLFXUN33/AAAA3gAA6Sgq9ABV/yh/CgCqFSjUIAD/AAAA'],
  ['webp-lossless', 10, 6, 'UklGRkoAAABXRUJQVlA4TD4AAAAvCUABALkKRPQ/dhHR/4BCNpIggBMZpxUfofsMBAIpHKQVtW0Dh3Y8DSBBMElTbcfQCzgQJuCqUv1TQ89LAQ=='],
  ['webp-lossy', 6, 10, 'UklGRpQAAABXRUJQVlA4IIgAAABwAgCdASoGAAoAAUAmJbACdEYACgADBo5XjiuAAP75Zs/IvEamE9QJOI5Q4gqotsNYTW1yq9t/oWRN2v5Tr38U//2gs/If/xMej8jwmC9HsLI5kFdeeBQL67hXJK8VHt4z/+Q0EbAQf/Yv/qxY6e+3R51/3/+kD+0v/4LD+IvqL/wjq7/jGAAA'],
];
// END GENERATED IMAGES

/** Base64 to bytes with `atob`, present in every runtime here. */
function fromBase64(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * The encoded buffer and its dimension twins: each image three times, as a Uint8Array, as an
 * ArrayBuffer and as a Uint8Array view at an offset inside a larger buffer. Twins carry the upright
 * size as `{ width, height }`.
 */
function encodedSamples() {
  const encoded = [];
  const twins = [];
  ENCODED_IMAGES.forEach(([name, width, height, base64], k) => {
    const bytes = fromBase64(base64);
    const padded = new Uint8Array(bytes.length + 13);
    padded.set(bytes, 7);
    const forms = [
      ['u8', bytes],
      ['ab', bytes.slice().buffer],
      ['view', padded.subarray(7, 7 + bytes.length)],
    ];
    for (const [form, image] of forms) {
      const text = `${name}/${form}`;
      encoded.push({ image, text, id: k });
      twins.push({ image: { width, height }, text, id: k });
    }
  });
  return { encoded, twins };
}

const digestHex = async (bytes) => toHex(await crypto.subtle.digest('SHA-256', bytes));

/** A tensor's observable result; the pixels as their SHA-256 (little-endian bytes of the typed array). */
async function describeTensor(t) {
  const bytes = new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  return {
    shape: t.shape,
    dtype: t.dtype,
    layout: t.layout,
    constructor: t.data.constructor.name,
    length: t.data.length,
    indices: t.indices,
    contentBoxes: t.contentBoxes,
    patchGrid: t.patchGrid ?? null,
    rejects: t.rejects.map((r) => [r.index, r.code, r.message]),
    sha256: await digestHex(bytes),
  };
}

function imagingCases(lib, imaging) {
  if (!imaging) return [];
  const { SimpleBatcher, SortedBatcher, ClusteredBatcher, BalancedBatcher, TokenPacker } = lib;
  const { encoded, twins } = encodedSamples();
  const customKey = (sample) => (sample.id * 7919) % 13;
  const strategies = [
    ['simple/bs4', SimpleBatcher, { batchSize: 4 }],
    ['simple/bs5/m4/minimax', SimpleBatcher, { batchSize: 5, multipleOf: 4, sizing: 'minimax' }],
    ['sorted-aspect/bs4', SortedBatcher, { batchSize: 4 }],
    ['sorted-area/bs6/m2', SortedBatcher, { batchSize: 6, key: 'area', multipleOf: 2 }],
    ['sorted-custom/bs3', SortedBatcher, { batchSize: 3, key: customKey }],
    ['clustered/bs4/seed1', ClusteredBatcher, { batchSize: 4, seed: 1 }],
    ['clustered/bs6/k3/m4', ClusteredBatcher, { batchSize: 6, numClusters: 3, multipleOf: 4, seed: 9 }],
    ['balanced/bs4', BalancedBatcher, { batchSize: 4 }],
    ['balanced/bs6/median', BalancedBatcher, { batchSize: 6, sizing: 'median' }],
    ['tokens/sorted/p2', SortedBatcher, { maxTokens: 200, patchSize: 2 }],
    ['tokens/clustered/p2', ClusteredBatcher, { maxTokens: 240, patchSize: 2, batchSize: 8 }],
  ];
  /** Plans the encoded buffer and its twins; they must give the same plan. */
  const planBoth = (Batcher, options) => {
    const fromBytes = describe(lib, encoded, new Batcher(options).batch(encoded), options.batchSize);
    const fromTwins = describe(lib, twins, new Batcher(options).batch(twins), options.batchSize);
    const a = JSON.stringify(fromBytes);
    const b = JSON.stringify(fromTwins);
    if (a !== b) throw new Error(`encoded plan differs from the dimension twins' plan:\n${a.slice(0, 400)}\n${b.slice(0, 400)}`);
    return fromBytes;
  };
  const firstBatch = () => new SortedBatcher({ batchSize: 6, multipleOf: 4 }).batch(encoded)[0];
  return [
    ['imaging/encoded/sizes', () => encoded.map((s) => [s.text, s.image.constructor.name, s.image.byteLength])],
    ...strategies.map(([name, Batcher, options]) => [`imaging/encoded-vs-twins/${name}`, () => planBoth(Batcher, options)]),
    [
      'imaging/encoded/packing',
      () => {
        const pack = (buffer) => {
          const packs = new TokenPacker({ maxTokens: 120, patchSize: 2 }).pack(buffer);
          return { packs: packs.map((p) => [p.indices, p.sizes, p.tokens]), padding: packs.padding };
        };
        const a = pack(encoded);
        if (JSON.stringify(a) !== JSON.stringify(pack(twins))) throw new Error('encoded packing differs from the twins');
        return a;
      },
    ],
    [
      'imaging/encoded/invalid-skipped',
      () => {
        const png = fromBase64(ENCODED_IMAGES[0][3]);
        const buffer = [
          { image: png },
          { image: png.slice(0, 12) }, // truncated before the size
          { image: new Uint8Array([0x47, 0x49, 0x46, 0x38, 0x39, 0x61]) }, // "GIF89a" and nothing else
          { image: new Uint8Array(40) }, // no known signature
          { image: new ArrayBuffer(0) },
          { image: fromBase64(ENCODED_IMAGES[5][3]) },
        ];
        return describe(lib, buffer, new SimpleBatcher({ batchSize: 4, skipInvalid: true }).batch(buffer), 4);
      },
    ],
    [
      'imaging/tensor/uint8-nhwc',
      async () => {
        const batch = firstBatch();
        return { resizeSize: batch.resizeSize, tensor: await describeTensor(imaging.toTensor(batch, { dtype: 'uint8' })) };
      },
    ],
    [
      'imaging/tensor/float32-nchw-clip',
      async () => {
        const batch = firstBatch();
        return { resizeSize: batch.resizeSize, tensor: await describeTensor(imaging.toTensor(batch, { dtype: 'float32', normalize: 'clip' })) };
      },
    ],
    [
      'imaging/tensor/every-image',
      async () => {
        // All of the images in one batch: each codec decoded and resized, in three modes and filters.
        const images = encoded.map((s) => s.image);
        const batch = { images, resizeSize: [12, 8] };
        const u8 = imaging.toTensor({ images: encoded.filter((_, i) => i % 3 === 0).map((s) => s.image), resizeSize: [12, 8] }, { dtype: 'uint8' });
        const asBuffers = imaging.toTensor({ images: encoded.filter((_, i) => i % 3 === 1).map((s) => s.image), resizeSize: [12, 8] }, { dtype: 'uint8' });
        if ((await digestHex(u8.data)) !== (await digestHex(asBuffers.data))) throw new Error('toTensor of ArrayBuffers differs from toTensor of Uint8Arrays');
        return [
          await describeTensor(u8),
          await describeTensor(imaging.toTensor(batch, { dtype: 'float32', normalize: 'siglip', mode: 'letterbox', filter: 'bicubic', padValue: [10, 20, 30] })),
          await describeTensor(imaging.toTensor(batch, { size: [16, 16], mode: 'crop', filter: 'lanczos3', normalize: 'imagenet', patchSize: 8 })),
        ];
      },
    ],
    [
      // Seeded random crop and flip, and noUpscale: the same bytes in every runtime.
      'imaging/tensor/augment',
      async () => {
        const batch = { images: encoded.map((s) => s.image), indices: encoded.map((_, i) => 10 * i) };
        return Promise.all(
          [
            { size: [12, 20], mode: 'crop', randomCrop: true, randomFlip: true, augmentSeed: 3, epoch: 1, dtype: 'uint8' },
            { size: [12, 20], mode: 'crop', randomCrop: true, augmentSeed: 3, epoch: 2, normalize: 'clip' },
            { size: [64, 48], mode: 'letterbox', noUpscale: true, randomFlip: true, dtype: 'uint8' },
            { size: [64, 300], mode: 'crop', noUpscale: true, randomCrop: true, epoch: 9, dtype: 'uint8' },
          ].map((o) => describeTensor(imaging.toTensor(batch, o))),
        );
      },
    ],
    [
      // Qwen2-VL's flattened patches and image_grid_thw, and toPatches of the NCHW tensor.
      'imaging/tensor/qwen2-vl-patches',
      async () => {
        const batch = { images: encoded.map((s) => s.image), resizeSize: [56, 84] };
        const t = imaging.toTensor(batch, { normalize: 'clip', filter: 'bicubic', patches: true });
        const later = imaging.toPatches(imaging.toTensor(batch, { normalize: 'clip', filter: 'bicubic' }));
        if ((await digestHex(later.data)) !== (await digestHex(t.data))) throw new Error('toPatches differs from the patches option');
        const small = imaging.toTensor({ ...batch, resizeSize: [16, 16] }, { patches: { patchSize: 4, mergeSize: 2, temporalPatchSize: 1 } });
        return Promise.all([t, small].map(async (x) => ({ ...(await describeTensor(x)), imageGridThw: Array.from(x.imageGridThw, Number) })));
      },
    ],
  ];
}
// ─── end of imaging cases ───

/**
 * The imaging pool (`createImagingPool`), where the runtime has workers: `pool.map` over every
 * batch of the encoded buffer, in three option sets, must give `toTensor`'s tensors bit for bit
 * and in order; a broken image must reject with its index; the caller's bytes must stay intact.
 * Not part of the golden hash (where there are no workers it reports `unsupported` instead);
 * returned beside it as `pool` for the matrix to check per runtime.
 */
async function poolCheck(lib, imaging) {
  if (!imaging) return { status: 'no imaging' };
  if (typeof imaging.createImagingPool !== 'function') return { status: 'no createImagingPool export' };
  let pool;
  try {
    pool = imaging.createImagingPool({ workers: 2 });
  } catch (error) {
    return { status: error?.code === 'UNSUPPORTED_RUNTIME' ? 'unsupported' : `createImagingPool threw ${error?.code ?? ''} ${error?.message ?? error}` };
  }
  try {
    const { encoded } = encodedSamples();
    const sizes = encoded.map((s) => s.image.byteLength);
    const batches = new lib.SortedBatcher({ batchSize: 6, multipleOf: 4 }).batch(encoded);
    const optionSets = [
      { dtype: 'uint8' },
      { normalize: 'clip' },
      { size: [16, 16], mode: 'letterbox', filter: 'bicubic', normalize: 'siglip', patchSize: 8 },
      // Workers crop, flip and patch as the calling thread does (the seed is per buffer index).
      { size: [28, 56], mode: 'crop', randomCrop: true, randomFlip: true, augmentSeed: 2, epoch: 1, patches: { patchSize: 14, mergeSize: 2 } },
    ];
    let tensors = 0;
    for (const options of optionSets) {
      const expected = await Promise.all(batches.map((b) => describeTensor(imaging.toTensor(b, options))));
      let k = 0;
      for await (const t of pool.map(batches, options, { prefetch: 3 })) {
        const got = JSON.stringify(await describeTensor(t));
        if (got !== JSON.stringify(expected[k])) return { status: `pool.map tensor ${k} (${JSON.stringify(options)}) differs from toTensor's: ${got.slice(0, 300)}` };
        k++;
        tensors++;
      }
      if (k !== batches.length) return { status: `pool.map gave ${k} tensors for ${batches.length} batches` };
    }
    const one = await pool.toTensor(batches[0], { normalize: 'clip' });
    if (JSON.stringify(await describeTensor(one)) !== JSON.stringify(await describeTensor(imaging.toTensor(batches[0], { normalize: 'clip' })))) return { status: 'pool.toTensor differs from toTensor' };
    const broken = { images: [encoded[0].image, encoded[3].image.slice(0, 20)], indices: [40, 41], resizeSize: [8, 8] };
    const error = await pool.toTensor(broken).then(() => null, (e) => e);
    if (!(error instanceof imaging.BatcherError) || error.code !== 'INVALID_IMAGE' || error.index !== 41) return { status: `a broken image gave ${error?.name} ${error?.code} at ${error?.index}` };
    if (encoded.some((s, i) => s.image.byteLength !== sizes[i])) return { status: 'the caller\'s images were detached' };
    return { status: 'ran', tensors };
  } catch (error) {
    return { status: `failed: ${error?.code ?? ''} ${error?.stack ?? error}` };
  } finally {
    await pool.close();
  }
}

// ─── sizes from URLs through a fetch stub (no network: the same bytes and answers everywhere) ───
// The real-server test runs separately (test/runtimes/url-payload.js, from the matrix).

/** A JPEG whose frame header lies `padding` bytes further in (comment segments after SOI). */
function paddedJpeg(jpeg, padding) {
  const parts = [jpeg.subarray(0, 2)];
  for (let left = padding; left > 0; left -= 60000) {
    const n = Math.min(left, 60000);
    const segment = new Uint8Array(n + 4);
    segment.set([0xff, 0xfe, (n + 2) >> 8, (n + 2) & 0xff]);
    parts.push(segment);
  }
  parts.push(jpeg.subarray(2));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (out.set(p, at), at + p.length), 0);
  return out;
}

/** `fetch` as four servers would answer: stub://range/NAME honours Range, stub://full/NAME ignores
 * it (a body stream of 1,000-byte chunks), stub://missing/NAME is 404, stub://stall/NAME never answers. */
function stubFetch(files, log) {
  return (url, init) => {
    const [, , mode, name] = url.split('/');
    log.push(`${mode}/${name} ${init.headers.Range}`);
    const file = files.get(name);
    if (mode === 'stall') {
      return new Promise((_, reject) => init.signal.addEventListener('abort', () => reject(init.signal.reason), { once: true }));
    }
    if (mode === 'missing' || !file) return Promise.resolve(new Response('not found', { status: 404 }));
    const [, a, b] = /^bytes=(\d+)-(\d*)$/.exec(init.headers.Range);
    if (mode === 'range') {
      const start = Number(a);
      if (start >= file.length) return Promise.resolve(new Response(null, { status: 416 }));
      const end = Math.min(b === '' ? file.length - 1 : Number(b), file.length - 1);
      return Promise.resolve(new Response(file.slice(start, end + 1), { status: 206, headers: { 'content-range': `bytes ${start}-${end}/${file.length}` } }));
    }
    let at = 0;
    const body = new ReadableStream({
      pull(controller) {
        if (at >= file.length) return controller.close();
        controller.enqueue(file.slice(at, at + 1000));
        at += 1000;
      },
    }, { highWaterMark: 0 });
    return Promise.resolve(new Response(body, { status: 200, headers: { 'content-length': String(file.length) } }));
  };
}

function urlCases(lib) {
  if (typeof lib.imageSizesFromUrls !== 'function') return [];
  const files = new Map(ENCODED_IMAGES.map(([name, , , base64]) => [name, fromBase64(base64)]));
  files.set('jpeg-far', paddedJpeg(files.get('jpeg'), 5000));
  files.set('jpeg-farther', paddedJpeg(files.get('jpeg'), 270000));
  files.set('truncated', fromBase64(ENCODED_IMAGES[0][3]).slice(0, 20));
  const names = [...files.keys()];
  const describeSizes = (sizes) => ({
    entries: sizes.map((s) => ('code' in s ? [s.index, s.code, s.message, s.bytesRead] : [s.width, s.height, s.bytesRead])),
    rejects: sizes.rejects.map((r) => r.index),
    bytesRead: sizes.bytesRead,
  });
  return [
    [
      'urls/stub',
      async () => {
        const log = [];
        const urls = [...names.map((n) => `stub://range/${n}`), ...names.map((n) => `stub://full/${n}`), 'stub://missing/png-rgb', 'stub://stall/png-rgb'];
        const sizes = await lib.imageSizesFromUrls(urls, { fetch: stubFetch(files, log), concurrency: 1, timeoutMs: 100 });
        return { sizes: describeSizes(sizes), requests: log };
      },
    ],
  ];
}

const toHex = (buffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
const sha256 = async (text) => toHex(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text)));

/**
 * Runs every case. `lib` is the package namespace, already initialised.
 * Returns `{ hash, cases: { [name]: hash }, count }`; with `{ full: true }` also each case's JSON.
 */
export async function conformance(lib, extras = {}) {
  const cases = [...planningCases(lib), ...datasetCases(lib), ...imagingCases(lib, extras.imaging), ...urlCases(lib)];
  const hashes = {};
  const full = {};
  for (const [name, run] of cases) {
    let text;
    try {
      text = JSON.stringify(await run());
    } catch (error) {
      text = JSON.stringify({ unexpectedError: String(error && error.stack ? error.message : error) });
    }
    hashes[name] = await sha256(text);
    if (extras.full) full[name] = text;
  }
  const hash = await sha256(Object.entries(hashes).map(([name, h]) => `${name} ${h}\n`).join(''));
  const pool = await poolCheck(lib, extras.imaging);
  return extras.full ? { hash, cases: hashes, count: cases.length, pool, full } : { hash, cases: hashes, count: cases.length, pool };
}

/** The payload interface of test/runtimes/harness.mjs: `run(lib, args)`. */
export const run = (lib, args = {}) => conformance(lib, args);
