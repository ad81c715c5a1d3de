// The end-to-end loader benchmark's report (bench/results/loader-benchmark.md) from loader-benchmark.json.
import { fixed, provenance, table, times } from './markdown.js';

export interface LoaderBench {
  photos: { count: number; megabytes: number; formats: string };
  pipeline: { preset: string; strategy: string; batchSize: number; threads: number; prefetch: number };
  runs: number;
  cores: number;
  cpu?: string;
  node: string;
  loadAverage: number[][];
  loader: { imagesPerSecond: number; imagesPerCpuSecond: number; setupSeconds?: number };
  sharp: { imagesPerSecond: number; imagesPerCpuSecond: number; setupSeconds?: number };
}

/** Issue 26's goal: the loader with 2 workers at least 0.9x the same pipeline on sharp. */
const GOAL = 0.9;

const setup = (seconds: number | undefined) => (seconds === undefined ? '-' : fixed(seconds, 2));

export function render(data: LoaderBench): string {
  const p = data.pipeline;
  const loads = data.loadAverage.map((l) => l[0]!);
  const ratio = data.loader.imagesPerSecond / data.sharp.imagesPerSecond;
  return [
    '# Data loader benchmark (end to end)',
    '',
    provenance('loader-benchmark.json', 'bench/loader-benchmark.ts', '`pnpm --filter mm-tokenize-batcher-bench bench:loader` after `bash scripts/setup.sh`'),
    '',
    `${data.photos.count} photo files on disk (six shapes around 1024 x 768, ${data.photos.formats}, ${fixed(data.photos.megabytes, 0)} MB) to`,
    `${p.preset} batch tensors (float32 NCHW, CLIP-normalised, bilinear, stretch), one epoch, ${p.strategy} plans of ${p.batchSize}:`,
    `\`createLoader\` with ${p.threads} workers and prefetch ${p.prefetch} (headers, plan, then each step read and decoded in the imaging pool)`,
    `against the same pipeline on sharp at ${p.threads} threads (sizes from \`metadata()\`, the same plan, each batch's files read and resized`,
    `by sharp to the batch's size, \`sharp.concurrency(1)\` with ${p.threads} pipelines at once, normalised in JS). Setup (headers and plan; the`,
    `loader also starts its workers) is timed once; then, after one untimed epoch each, epochs of the same loader (as in training) and`,
    `of sharp are interleaved, each figure the median of ${data.runs}.`,
    '',
    `This run: ${data.cores} cores (${data.cpu ?? 'CPU not recorded'}), Node ${data.node}; the 1-minute load average read ${fixed(Math.min(...loads), 2)} to ${fixed(Math.max(...loads), 2)}.`,
    '',
    table(
      ['pipeline', 'setup: headers and plan (s)', 'epoch (images/s)', 'images per CPU-s'],
      [
        [`createLoader, ${p.threads} workers`, setup(data.loader.setupSeconds), fixed(data.loader.imagesPerSecond, 1), fixed(data.loader.imagesPerCpuSecond, 1)],
        [`sharp, ${p.threads} threads`, setup(data.sharp.setupSeconds), fixed(data.sharp.imagesPerSecond, 1), fixed(data.sharp.imagesPerCpuSecond, 1)],
      ],
      'lrrr',
    ),
    '',
    `Goal (issue 26): the loader at least ${GOAL}x sharp's images/s: ${times(ratio)}, ${ratio >= GOAL ? 'met' : '**not met**'}.`,
    'Decoding and resizing dominate (see the pool benchmark for that part alone); on a loaded machine the images',
    'per CPU-second column is the steadier comparison.',
  ].join('\n');
}
