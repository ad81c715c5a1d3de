// The seed benchmark (SPEC protocol): 5,000 synthetic images (sides uniform in 224..1024, fixed
// seed), batch size 32, the stream cut into consecutive buffers of 128 ... 5000 samples, each
// buffer planned on its own; multipleOf 1 and 28. Prints cost, fill and d/m/r percentiles per
// strategy and buffer size, and writes them to bench/results/seed-benchmark.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import {
  BalancedBatcher,
  ClusteredBatcher,
  SimpleBatcher,
  SortedBatcher,
  evaluate,
  seedBenchmarkSamples,
  type Batch,
  type Metrics,
  type Sample,
} from 'mm-tokenize-batcher';

const COUNT = 5000;
const SEED = 0;
const BATCH_SIZE = 32;
const BUFFER_SIZES = [128, 256, 512, 1024, 2048, 5000];
const MULTIPLES = [1, 28];
const RUNS = Number(process.env.BENCH_RUNS ?? 7);

type Planner = { batch(buffer: readonly Sample[]): Batch[] };
const STRATEGIES: Record<string, (multipleOf: number) => Planner> = {
  simple: (multipleOf) => new SimpleBatcher({ batchSize: BATCH_SIZE, multipleOf }),
  sorted: (multipleOf) => new SortedBatcher({ batchSize: BATCH_SIZE, multipleOf }),
  clustered: (multipleOf) => new ClusteredBatcher({ batchSize: BATCH_SIZE, multipleOf }),
  balanced: (multipleOf) => new BalancedBatcher({ batchSize: BATCH_SIZE, multipleOf }),
};

interface Row extends Metrics {
  strategy: string;
  multipleOf: number;
  bufferSize: number;
  /** Median over runs of planning wall time per sample, in microseconds. */
  costUs: number;
}

const samples = seedBenchmarkSamples(COUNT, SEED);
const buffers = (size: number) => {
  const out: Sample[][] = [];
  for (let at = 0; at < samples.length; at += size) out.push(samples.slice(at, at + size));
  return out;
};

function measure(planner: Planner, parts: Sample[][]): { costUs: number; batches: Batch[] } {
  let batches: Batch[] = [];
  const times: number[] = [];
  for (let run = 0; run <= RUNS; run++) {
    const start = performance.now();
    const planned = parts.map((part) => planner.batch(part));
    const elapsed = performance.now() - start;
    if (run > 0) times.push(elapsed); // run 0 warms up the JIT and wasm tiers
    batches = planned.flat();
  }
  times.sort((a, b) => a - b);
  return { costUs: (times[Math.floor(times.length / 2)]! * 1000) / COUNT, batches };
}

const rows: Row[] = [];
for (const multipleOf of MULTIPLES) {
  for (const bufferSize of BUFFER_SIZES) {
    const parts = buffers(bufferSize);
    for (const [strategy, make] of Object.entries(STRATEGIES)) {
      const { costUs, batches } = measure(make(multipleOf), parts);
      rows.push({ strategy, multipleOf, bufferSize, costUs, ...evaluate(batches, { batchSize: BATCH_SIZE }) });
    }
  }
}

const f = (x: number, digits = 3) => x.toFixed(digits);
const triple = (s: { p50: number; p95: number; max: number }) => `${f(s.p50)} ${f(s.p95)} ${f(s.max, 2)}`;
console.log(`Seed benchmark: ${COUNT} images, sides uniform 224..1024 (seed ${SEED}), batch size ${BATCH_SIZE}, median of ${RUNS} runs, Node ${process.version}`);
console.log('cost = planning wall time per sample (us), boundary crossings included; d/m/r = p50 p95 max\n');
const header = ['mult', 'buffer', 'strategy', 'cost us', 'fill', 'd p50 p95 max', 'm p50 p95 max', 'r p50 p95 max', 'spread'];
const table = rows.map((r) => [
  String(r.multipleOf),
  String(r.bufferSize),
  r.strategy,
  f(r.costUs),
  f(r.fill),
  triple(r.distortion),
  triple(r.scaleMismatch),
  triple(r.resizeWaste),
  f(r.aspectSpread, 4),
]);
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
const line = (cells: string[]) => cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
console.log(line(header));
for (const row of table) console.log(line(row));

const dir = new URL('./results/', import.meta.url);
mkdirSync(dir, { recursive: true });
writeFileSync(
  new URL('seed-benchmark.json', dir),
  JSON.stringify({ protocol: { count: COUNT, seed: SEED, batchSize: BATCH_SIZE, bufferSizes: BUFFER_SIZES, runs: RUNS }, node: process.version, rows }, null, 1) + '\n',
);
console.log(`\nwritten: bench/results/seed-benchmark.json`);
