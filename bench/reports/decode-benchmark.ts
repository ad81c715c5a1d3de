// The decode benchmark's report (bench/results/decode-benchmark.md) from decode-benchmark.json.
import { fixed, provenance, table, times } from './markdown.js';

type Peer = 'this package' | 'sharp, 1 thread' | 'sharp, 2 threads' | 'sharp, 1 thread, our shrink rule' | 'jimp' | 'Chromium: this package' | 'Chromium: createImageBitmap + canvas';
interface Row {
  format: string;
  megapixels: number;
  target: string;
  images: number;
  peers: Partial<Record<Peer, { median: number; worst: number }>>;
  cpuMs?: Partial<Record<Peer, number>>;
}
export interface Decode {
  date: string;
  machine: { cpu?: string; cores: number; node: string; sharp: Record<string, string>; chromium: string | null };
  runs: number;
  perCell: number;
  camera: { count: number; folder: string | null };
  jimp: boolean;
  chromiumSkipped: string | null;
  loadAverage: number[][];
  seconds: number;
  /** Set while (or if) the run stopped before every image was timed. */
  complete?: { imagesTimed: number; images: number } | null;
  rows: Row[];
}

const OURS: Peer = 'this package';
const SHARP: Peer = 'sharp, 1 thread';
const SHARP_OUR_RULE: Peer = 'sharp, 1 thread, our shrink rule';
const NATIVE: Peer = 'Chromium: createImageBitmap + canvas';
const IN_CHROMIUM: Peer = 'Chromium: this package';

const cell = (r: Row, peer: Peer) => {
  const v = r.peers[peer];
  return v ? `${fixed(v.median, 1)} / ${fixed(v.worst, 1)}` : '-';
};
/** `peer`'s median time over ours: above 1, this package is faster. */
const ratio = (r: Row, peer: Peer, ours: Peer = OURS) => {
  const a = r.peers[peer];
  const b = r.peers[ours];
  return a && b ? a.median / b.median : undefined;
};

export function render(data: Decode): string {
  const loads = data.loadAverage.map((l) => l[0]!);
  const out: string[] = [];
  out.push('# Decode benchmark', '', provenance('decode-benchmark.json', 'bench/decode-benchmark.ts', '`bash scripts/bench.sh`, or `pnpm --filter mm-tokenize-batcher-bench bench:decode` after `bash scripts/setup.sh`'), '');
  out.push(
    'Milliseconds per image for decode + resize + normalise into one float32 NCHW tensor (CLIP mean/std), one image',
    "at a time, each peer at its defaults: this package's `toTensor` on one thread (bilinear, shrink on load); sharp",
    "(`.rotate().resize(w, h, { fit: 'fill' }).raw()`, lanczos3, shrink-on-load on) with `sharp.concurrency(1)` and `(2)`,",
    "normalised in JS; sharp on 1 thread with `fastShrinkOnLoad: false` (\"our shrink rule\": a JPEG is shrunk on load only while",
    "twice the target remains, as this package does; sharp's default shrinks until the image just covers the target, so it",
    "decodes a 12 MP photo bound for 224 x 224 at 1/8 where this package decodes it at 1/4); jimp (224 target only; it",
    "decodes no WebP); in headless Chromium, this package's web build and the browser's own",
    "decoders (`createImageBitmap` with `resizeWidth/resizeHeight`, `resizeQuality: 'medium'`, drawn into an `OffscreenCanvas`,",
    `\`getImageData\`, normalised in JS). Each image's figure is the median of ${data.runs} runs after a warm-up (jimp: one run), interleaved`,
    'image by image; a cell gives the **median / worst** image of its row. Generated images: synthetic photo-like content',
    `encoded by sharp (JPEG q85, WebP q85), ${data.perCell} per cell (landscape and portrait).`,
    '',
    data.camera.count
      ? `Real camera photos: ${data.camera.count} JPEGs (ianare/exif-samples, CC BY-SA 4.0, not committed; from \`$BENCH_CAMERA_PHOTOS\`), each in the row of its nearest size class ("camera JPEG").`
      : 'Real camera photos: **not in this run** (no folder at `$BENCH_CAMERA_PHOTOS`); only generated images ran.',
    data.chromiumSkipped ? `Chromium peers: **skipped** (${data.chromiumSkipped}).` : `Chromium ${data.machine.chromium}.`,
    ...(data.jimp ? [] : ['jimp: **not in this run** (`BENCH_JIMP=0`; it takes 20 to 60 s per 12 MP image).']),
    ...(data.complete ? [`**A partial run:** ${data.complete.imagesTimed} of ${data.complete.images} images timed (largest first); rows of the rest are missing.`] : []),
    '',
    `This run: ${data.machine.cores} cores (${data.machine.cpu ?? 'CPU not recorded'}), Node ${data.machine.node}, sharp ${data.machine.sharp.sharp ?? '?'} (libvips ${data.machine.sharp.vips ?? '?'}); ${fixed(data.seconds / 60, 1)} min; the 1-minute load average read ${fixed(Math.min(...loads), 2)} to ${fixed(Math.max(...loads), 2)}.`,
    '',
  );
  for (const target of [...new Set(data.rows.map((r) => r.target))]) {
    const rows = data.rows.filter((r) => r.target === target);
    out.push(`## ${target}`, '', `![chart](decode-${target.startsWith('224') ? '224' : 'qwen2-vl'}.svg)`, '');
    out.push(
      table(
        ['format', 'MP', 'images', 'this package (ms)', 'sharp 1 thread', 'sharp 2 threads', 'sharp 1 thread, our rule', 'jimp', 'sharp 1 / this', 'the same, our rule', 'the same in CPU time', 'Chromium: this package', 'Chromium: createImageBitmap + canvas', 'native / this (Chromium)'],
        rows.map((r) => {
          const s = ratio(r, SHARP);
          const n = ratio(r, NATIVE, IN_CHROMIUM);
          const cpu = r.cpuMs?.[SHARP] !== undefined && r.cpuMs?.[OURS] ? r.cpuMs[SHARP]! / r.cpuMs[OURS]! : undefined;
          const same = ratio(r, SHARP_OUR_RULE);
          return [r.format, r.megapixels, r.images, cell(r, OURS), cell(r, SHARP), cell(r, 'sharp, 2 threads'), cell(r, SHARP_OUR_RULE), cell(r, 'jimp'), s === undefined ? '-' : times(s), same === undefined ? '-' : times(same), cpu === undefined ? '-' : times(cpu), cell(r, IN_CHROMIUM), cell(r, NATIVE), n === undefined ? '-' : times(n)];
        }),
        'llrrrrrrrrrrrr',
      ),
      '',
    );
  }
  // Goals (issue 24), on the 224 target: one thread at least sharp's on every row above 1 MP; in
  // Chromium at least the native decoders on JPEGs of 1 MP and more.
  const goalRows = data.rows.filter((r) => r.target.startsWith('224'));
  const above1 = goalRows.filter((r) => r.megapixels > 1).map((r) => [r, ratio(r, SHARP)] as const).filter(([, x]) => x !== undefined);
  const missed = above1.filter(([, x]) => x! < 1);
  const jpeg12 = goalRows.filter((r) => r.megapixels === 12 && r.format.includes('JPEG')).map((r) => `${r.format} ${times(ratio(r, SHARP) ?? NaN)}`);
  out.push(
    '## Goals (issue 24), 224 x 224',
    '',
    `- One thread at least sharp's speed (1 thread) on every row above 1 MP: ${above1.length === 0 ? 'no such row in this run' : missed.length === 0 ? 'met' : `**not met** on ${missed.length} of ${above1.length} rows (${missed.map(([r, x]) => `${r.format} ${r.megapixels} MP ${times(x!)}`).join(', ')})`}.`,
    `- 12 MP JPEG rows against sharp (goal at least 1.0x): ${jpeg12.length ? jpeg12.join(', ') : 'no such row in this run'}.`,
  );
  if (!data.chromiumSkipped) {
    const jpegs = goalRows.filter((r) => r.format.includes('JPEG') && r.megapixels >= 1).map((r) => [r, ratio(r, NATIVE, IN_CHROMIUM)] as const);
    const below = jpegs.filter(([, x]) => x !== undefined && x < 1);
    out.push(`- In Chromium, at least \`createImageBitmap\` + canvas on JPEGs of 1 MP and more: ${jpegs.length === 0 ? 'no such row in this run' : below.length === 0 ? 'met' : `**not met** on ${below.length} of ${jpegs.length} rows (${below.map(([r, x]) => `${r.format} ${r.megapixels} MP ${times(x!)}`).join(', ')})`}.`);
  }
  out.push(
    '',
    'A ratio above 1 means this package is faster. Worst cases come from the same runs as the medians. "The same in CPU',
    "time\" compares the process's CPU time per image (every thread, libvips' included) of the median images: on a shared,",
    'loaded machine it moves much less than wall time.',
  );
  return out.join('\n');
}
