// The cross-runtime benchmark's report (bench/results/runtimes-benchmark.md) from runtimes-benchmark.json.
import { fixed, provenance, table } from './markdown.js';

interface Measure {
  usPerSample?: number;
  imagesPerSecond?: number | null;
  method: string;
}
export interface Runtimes {
  protocol: { count: number; seed: number; batchSize: number; buffer: number };
  versions: Record<string, string>;
  results: Record<string, Record<string, Measure>>;
}

const NAMES: Record<string, string> = { node: 'Node', bun: 'Bun', deno: 'Deno', workerd: 'workerd', chromium: 'Chromium', 'chromium-webworker': 'Chromium Web Worker' };
const GOAL = 1.5;

export function render(data: Runtimes): string {
  const runtimes = Object.keys(data.results);
  const strategies = Object.keys(data.results.node!).filter((k) => k !== 'resize');
  const p = data.protocol;
  const out: string[] = [];
  out.push('# Cross-runtime benchmark', '', provenance('runtimes-benchmark.json', 'bench/runtimes-benchmark.mjs', '`bash scripts/bench-runtimes.sh`, or `pnpm bench:runtimes` once set up; `BENCH_RUNTIMES=deno,workerd` limits it'), '');
  out.push(
    'The packed tarball, installed into a scratch project, measured in each runtime: planning cost per',
    `sample, SPEC protocol at buffer ${p.buffer} (\`seedBenchmarkSamples(${p.count}, ${p.seed})\`, batch size ${p.batchSize}): best of 15 measurements of`,
    'consecutive `batch()` calls after a 300 ms warm-up (wasm tier-up settles late in workers). In workerd the clock',
    'may stand still while code runs; the script then times requests from outside instead (each cell\'s method is below).',
    '',
    `Versions: ${Object.entries(data.versions).filter(([k]) => k !== 'loadAverage').map(([k, v]) => `${NAMES[k] ?? k}: ${v}`).join('; ')}. Load average (1, 5, 15 min) at the start: ${data.versions.loadAverage ?? 'not recorded'}.`,
    '',
    'Planning, us per sample and ratio to Node:',
    '',
  );
  const ratios: number[] = [];
  out.push(
    table(
      ['strategy', ...runtimes.map((r) => NAMES[r] ?? r)],
      strategies.map((s) => {
        const node = data.results.node![s]!.usPerSample!;
        return [
          s[0]!.toUpperCase() + s.slice(1),
          ...runtimes.map((r) => {
            const us = data.results[r]![s]?.usPerSample;
            if (us === undefined) return 'n/a';
            if (r !== 'node') ratios.push(us / node);
            return r === 'node' ? fixed(us) : `${fixed(us)} (${fixed(us / node, 2)}x)`;
          }),
        ];
      }),
      'l' + 'r'.repeat(runtimes.length),
    ),
    '',
  );
  const worst = Math.max(...ratios);
  out.push(`Worst ratio to Node: ${fixed(worst, 2)}x: ${worst <= GOAL ? `every runtime is within the SPEC's ${GOAL}x of Node` : `**outside the SPEC's ${GOAL}x**`}.`, '');
  out.push(
    'Resize throughput in each runtime, in the same run: 16 RGBA images with sides from the SPEC distribution, planned by',
    '`SortedBatcher` (batch size 8, `multipleOf` 28), each batch through `toTensor` (bilinear, float32 NCHW, CLIP), best of 7;',
    'images per second (RGBA in, so resize + normalise + copy out, no decoding):',
    '',
  );
  const nodeResize = data.results.node!.resize?.imagesPerSecond;
  const resizeRatios: number[] = [];
  out.push(
    table(
      ['path', ...runtimes.map((r) => NAMES[r] ?? r)],
      [
        [
          '`toTensor`',
          ...runtimes.map((r) => {
            const ips = data.results[r]!.resize?.imagesPerSecond;
            if (ips === null || ips === undefined || !nodeResize) return 'n/a';
            if (r !== 'node') resizeRatios.push(ips / nodeResize);
            return r === 'node' ? fixed(ips, 1) : `${fixed(ips, 1)} (${fixed(ips / nodeResize, 2)}x)`;
          }),
        ],
      ],
      'l' + 'r'.repeat(runtimes.length),
    ),
    '',
  );
  if (resizeRatios.length) {
    const least = Math.min(...resizeRatios);
    out.push(`Slowest resize against Node: ${fixed(least, 2)}x (${least >= 1 / GOAL ? `within the SPEC's ${GOAL}x` : `**outside the SPEC's ${GOAL}x**`}).`, '');
  }
  out.push(
    'How each figure was timed:',
    '',
    ...runtimes.map((r) => {
      const m = data.results[r]!;
      return `- ${NAMES[r] ?? r}: planning ${[...new Set(strategies.map((s) => m[s]?.method).filter(Boolean))].join('; ')}; resize ${m.resize?.method ?? 'not measured'}`;
    }),
  );
  return out.join('\n');
}
