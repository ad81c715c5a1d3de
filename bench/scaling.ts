// Scaling (issue 13): one buffer of n synthetic SPEC sizes (sides uniform in 224..1024), n from
// 5,000 to 1,000,000, planned once per strategy (and TokenPacker) through the package, as users
// call it: seconds, µs per sample, the ratio of µs per sample to the same strategy's at 5,000 (the
// goal: at most 3), p95 resize waste and fill, and the process's peak RSS so far. Run by the main
// job after the real-data suite; `--max N` stops at N samples. Writes bench/results/scaling.json and
// the report (scaling.md, from the JSON: reports/scaling.ts), except with `--only`.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { TokenPacker, createBatcher, evaluate, seedBenchmarkSamples, strategyNames, type Sample } from 'mm-tokenize-batcher';
import { writeReport } from './reports/index.js';
import type { ScalingRow } from './reports/scaling.js';

const argv = process.argv.slice(2);
const max = argv.includes('--max') ? Number(argv[argv.indexOf('--max') + 1]) : 1_000_000;
// `--only NAME`: one planner per process, so the peak RSS is that planner's own.
const only = argv.includes('--only') ? argv[argv.indexOf('--only') + 1] : undefined;
const SIZES = [5_000, 25_000, 100_000, 250_000, 1_000_000].filter((n) => n <= max);
const BATCH_SIZE = 32;

/** Peak resident set size of this process so far, in MB (Linux; 0 elsewhere). */
function peakRssMb(): number {
  try {
    const line = readFileSync('/proc/self/status', 'utf8').split('\n').find((l) => l.startsWith('VmHWM:'));
    return line ? Number(line.replace(/\D+/g, '')) / 1024 : 0;
  } catch {
    return 0;
  }
}

type Row = ScalingRow;

const all = seedBenchmarkSamples(SIZES[SIZES.length - 1]!, 1);
/** A planner: plans one buffer (timed) and returns how to score the result (not timed). */
type Planner = (buffer: Sample[]) => () => { p95: number | null; fill: number | null };
const planners: [string, Planner][] = [
  ...strategyNames.map((name): [string, Planner] => {
    const batcher = createBatcher(name, { batchSize: BATCH_SIZE, multipleOf: 28 });
    return [
      name,
      (buffer) => {
        const batches = batcher.batch(buffer);
        return () => {
          const m = evaluate(batches, { batchSize: BATCH_SIZE });
          return { p95: m.resizeWaste.p95, fill: m.fill };
        };
      },
    ];
  }),
  [
    'TokenPacker (FFD)',
    (buffer) => {
      new TokenPacker({ maxTokens: 16384, patchSize: 14 }).pack(buffer);
      return () => ({ p95: null, fill: null });
    },
  ],
];

const rows: Row[] = [];
console.log(`Scaling: one buffer of n SPEC sizes, batch ${BATCH_SIZE}, multipleOf 28 (TokenPacker: 16,384 tokens, patch 14); planning timed alone`);
console.log('planner            n          seconds   us/sample  ratio to 5k  p95 r    fill   peak RSS MB');
for (const [planner, run] of planners.filter(([name]) => only === undefined || name === only)) {
  let base = 0;
  for (const n of SIZES) {
    const buffer = all.slice(0, n);
    run(buffer); // warm up (and the allocator settles)
    // The median of a few runs where a run is short; one run from 250,000 samples on.
    const times: number[] = [];
    let score!: ReturnType<Planner>;
    for (let r = 0; r < (n <= 100_000 ? 5 : 1); r++) {
      const start = performance.now();
      score = run(buffer);
      times.push((performance.now() - start) / 1000);
    }
    times.sort((a, b) => a - b);
    const seconds = times[Math.floor(times.length / 2)]!;
    const { p95, fill } = score();
    const us = (seconds * 1e6) / n;
    if (n === SIZES[0]) base = us;
    const row = { planner, n, seconds, usPerSample: us, ratioTo5k: us / base, p95ResizeWaste: p95, fill, peakRssMb: peakRssMb() };
    rows.push(row);
    console.log(
      `${planner.padEnd(18)} ${String(n).padEnd(10)} ${seconds.toFixed(3).padStart(8)} ${us.toFixed(3).padStart(10)} ${row.ratioTo5k.toFixed(2).padStart(12)}  ${p95 === null ? '  -   ' : p95.toFixed(3)}  ${fill === null ? '  -  ' : fill.toFixed(3)}  ${row.peakRssMb.toFixed(0).padStart(6)}`,
    );
  }
}
const out = fileURLToPath(new URL('./results/scaling.json', import.meta.url));
mkdirSync(fileURLToPath(new URL('./results/', import.meta.url)), { recursive: true });
if (only === undefined) {
  writeFileSync(out, JSON.stringify({ node: process.version, rows }, null, 1) + '\n');
  console.log(`wrote ${out}`);
  writeReport('scaling');
}
