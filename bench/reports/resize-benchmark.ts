// The resize benchmark's report (bench/results/resize-benchmark.md) from resize-benchmark.json.
import { fixed, percent, provenance, table, times } from './markdown.js';

interface Rate {
  images: number;
  seconds: number;
  imagesPerSecond: number;
}
export interface Resize {
  date: string;
  machine: { cpu?: string; cores: number; node: string };
  images: number;
  meanMegapixels: number;
  batchSize: number;
  peers: Record<string, Rate & { ratioToSharp: number; subset: boolean }>;
  sharpOnSubset: Rate;
  wasmOnSubset: Rate;
  wasmDecodeShare: number;
  headers: { count: number; planFromBytesMs: number; planFromSizesMs: number; headerMs: number; decodeMsPerImage: number };
}

const OURS = 'mm-tokenize-batcher (wasm)';
const SHARP = 'sharp (libvips, concurrency 1)';
/** How the report names each peer the benchmark measured. */
const NAMES: Record<string, string> = {
  [OURS]: 'this package, wasm (`toTensor`)',
  [SHARP]: 'sharp (libvips, `sharp.concurrency(1)`), JS normalise',
  jimp: 'jimp',
  'TF.js cpu (wasm decode + tf ops)': 'TF.js cpu backend (wasm decode + TF ops)',
  'TF.js wasm (wasm decode + tf ops)': 'TF.js wasm backend (wasm decode + TF ops)',
};

export function render(data: Resize): string {
  const ours = data.peers[OURS]!;
  const sharp = data.peers[SHARP]!;
  const jimp = data.peers.jimp;
  const subset = Object.values(data.peers).find((r) => r.subset)?.images;
  const out: string[] = [];
  out.push('# Resize benchmark', '', provenance('resize-benchmark.json', 'bench/resize-benchmark.ts', '`pnpm bench:resize` after `bash scripts/setup.sh`'), '');
  out.push(
    'Images per second for decode + resize + normalise into batch tensors (float32 NCHW, CLIP',
    `mean/std, bilinear, stretch), single thread, on ${data.images} images (half JPEG q85, half PNG) whose sides are`,
    `drawn from the SPEC distribution (uniform in 224..1024, mean ${fixed(data.meanMegapixels, 2)} MP), generated at bench time with`,
    `sharp from synthetic photo-like content, planned by \`SortedBatcher\` (batch size ${data.batchSize}, \`multipleOf\` 28)`,
    'so every peer resizes the same images to the same sizes. Each figure is the median of the passes',
    `(5 by default). Peers at the versions \`bench/package.json\` pins. This run: ${data.machine.cores} cores (${data.machine.cpu ?? 'CPU not recorded'}), Node ${data.machine.node}, ${data.date.slice(0, 10)}.`,
    '',
  );
  out.push(
    table(
      ['peer', 'images', 'images/s', 'vs sharp'],
      Object.entries(data.peers).map(([name, r]) => [`${NAMES[name] ?? name}${r.subset ? ` (first ${r.images})` : ''}`, String(r.images), fixed(r.imagesPerSecond, 1), times(r.ratioToSharp)]),
      'lrrr',
    ),
    '',
  );
  if (subset) {
    out.push(
      `Peers marked "first ${subset}" ran on the first ${subset} images only (they are slow); their ratio is to sharp on the same`,
      `images (${fixed(data.sharpOnSubset.imagesPerSecond, 1)} images/s there; the wasm path ${fixed(data.wasmOnSubset.imagesPerSecond, 1)}).`,
      '',
    );
  }
  const vsSharp = ours.imagesPerSecond / sharp.imagesPerSecond;
  const vsJimp = jimp ? data.wasmOnSubset.imagesPerSecond / jimp.imagesPerSecond : undefined;
  out.push(
    `SPEC's goals: at least half of sharp: ${times(vsSharp)}, ${vsSharp >= 0.5 ? 'met' : '**not met**'}; at least 10x jimp (on the same images):` +
      ` ${vsJimp === undefined ? 'not measured' : `${times(vsJimp, 1)}, ${vsJimp >= 10 ? 'met' : '**not met**'}`}. The machine may be shared, so expect some spread between runs.`,
    '',
    `In the wasm path ${percent(data.wasmDecodeShare)} of the time is decoding (zune-jpeg has no SIMD path in wasm) and the rest resizing,`,
    'normalising (a per-channel lookup table) and copying the tensor out of wasm.',
    '',
  );
  const h = data.headers;
  const perHeaderUs = (h.headerMs * 1000) / h.count;
  out.push(
    `**Headers against decoding.** Planning ${h.count.toLocaleString('en-US')} encoded images (\`SimpleBatcher\`) takes ${fixed(h.planFromBytesMs, 1)} ms against ${fixed(h.planFromSizesMs, 1)} ms`,
    `from known sizes, so ${fixed(perHeaderUs, 2)} us per header, while decoding costs ${fixed(h.decodeMsPerImage, 2)} ms per image`,
    `(${fixed((h.decodeMsPerImage * h.count) / 1000, 1)} s for ${h.count.toLocaleString('en-US')}): ${Math.round((h.decodeMsPerImage * h.count) / h.headerMs).toLocaleString('en-US')}x more.`,
  );
  return out.join('\n');
}
