// The seed benchmark (SPEC protocol): 5,000 synthetic images (sides uniform in 224..1024, fixed
// seed), batch size 32, the stream cut into consecutive buffers of 128 ... 5000 samples, each
// buffer planned on its own, multipleOf 1 and 28. The library's strategies run next to peers:
// the seed's own Python stack (separate process), the same strategies in plain TypeScript, and
// aspect-ratio bucketing. Every row is scored by the library's `evaluate`.
// Writes bench/results/seed-benchmark.json, charts (SVG) and the report (seed-benchmark.md, from
// the JSON: reports/seed-benchmark.ts); prints a table with ratios.
//
//   tsx seed-benchmark.ts [--no-python]
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  BalancedBatcher,
  createBatcher,
  strategyNames,
  ClusteredBatcher,
  SimpleBatcher,
  SortedBatcher,
  TokenPacker,
  evaluate,
  seedBenchmarkSamples,
  type Batch,
  type Metrics,
  type Sample,
} from 'mm-tokenize-batcher';
import { lineChart, type ChartPoint } from './charts.js';
import { writeReport } from './reports/index.js';
import { bucketing } from './peers/bucketing.js';
import { tsBaseline } from './peers/ts-baseline.js';
import { BATCH_SIZE, BUFFER_SIZES, COUNT, MULTIPLES, SEED, buffers, costGoals, planPeer, scorePeer, timed, timedInRounds, warmUp, type CostCell, type PeerBatch, type PeerStrategy } from './protocol.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const withPython = !process.argv.includes('--no-python');

type Planner = { batch(buffer: readonly Sample[]): Batch[] };
// Every registered strategy, with its defaults.
const LIBRARY: Record<string, (multipleOf: number) => Planner> = Object.fromEntries(
  strategyNames.map((name) => [name, (multipleOf: number) => createBatcher(name, { batchSize: BATCH_SIZE, multipleOf })]),
);
const TS_PEERS: Record<string, PeerStrategy> = {
  'ts-baseline/simple': tsBaseline.simple!,
  'ts-baseline/sorted': tsBaseline.sorted!,
  'ts-baseline/clustered': tsBaseline.clustered!,
  // A pixel budget of 640 x 640, near the data's typical area (mean sides 624).
  'bucketing/640px': bucketing(640 * 640),
};

interface Row extends Metrics {
  name: string;
  kind: 'library' | 'peer';
  multipleOf: number;
  bufferSize: number;
  /** Median over runs of planning wall time per sample, in microseconds. */
  costUs: number;
}

const samples = seedBenchmarkSamples(COUNT, SEED);
const dims = samples.map((s) => s.image);
const score = (batches: PeerBatch[]) => scorePeer(dims, batches);

// What one timing run does: plan every buffer of the stream (peers' indices made stream-wide).
const planLibrary = (planner: Planner, parts: { items: Sample[] }[]) => parts.map((p) => planner.batch(p.items));

// Warm-up (see `warmUp`): every planner, the library's and the TS peers, plans the smallest
// buffers and the plans are scored, before anything is timed.
for (const multipleOf of MULTIPLES) {
  const parts = buffers(samples, BUFFER_SIZES[0]!);
  const dimParts = buffers(dims, BUFFER_SIZES[0]!);
  for (const make of Object.values(LIBRARY)) {
    const planner = make(multipleOf);
    warmUp(() => evaluate(planLibrary(planner, parts).flat(), { batchSize: BATCH_SIZE }));
  }
  for (const strategy of Object.values(TS_PEERS)) warmUp(() => score(planPeer(strategy, dimParts, multipleOf)));
}

// Every (multipleOf, buffer, planner) case, timed in interleaved rounds (see `timedInRounds`).
const cases: { name: string; kind: Row['kind']; multipleOf: number; bufferSize: number; plan: () => Batch[][] | PeerBatch[] }[] = [];
for (const multipleOf of MULTIPLES) {
  for (const bufferSize of BUFFER_SIZES) {
    const parts = buffers(samples, bufferSize);
    for (const [name, make] of Object.entries(LIBRARY)) {
      const planner = make(multipleOf);
      cases.push({ name, kind: 'library', multipleOf, bufferSize, plan: () => planLibrary(planner, parts) });
    }
    const dimParts = buffers(dims, bufferSize);
    for (const [name, strategy] of Object.entries(TS_PEERS)) {
      cases.push({ name, kind: 'peer', multipleOf, bufferSize, plan: () => planPeer(strategy, dimParts, multipleOf) });
    }
  }
}
const timings = timedInRounds(RUNS, COUNT, cases.map((c) => c.plan));
const rows: Row[] = cases.map(({ name, kind, multipleOf, bufferSize }, i) => {
  const { costUs, result } = timings[i]!;
  const metrics = kind === 'library' ? evaluate((result as Batch[][]).flat(), { batchSize: BATCH_SIZE }) : score(result as PeerBatch[]);
  return { name, kind, multipleOf, bufferSize, costUs, ...metrics };
});

let pythonVersion: string | undefined;
if (withPython) {
  const here = fileURLToPath(new URL('.', import.meta.url));
  const python = execFileSync('bash', [`${here}peers/seed_python/setup.sh`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  const request = { sizes: dims.map((d) => [d.height, d.width]), batchSize: BATCH_SIZE, bufferSizes: BUFFER_SIZES, multiples: MULTIPLES, runs: RUNS };
  const reply = JSON.parse(
    execFileSync(python, [`${here}peers/seed_python/seed_batcher.py`], { input: JSON.stringify(request), encoding: 'utf8', maxBuffer: 1 << 30 }),
  ) as { python: string; rows: { strategy: string; multipleOf: number; bufferSize: number; costUs: number; batches: PeerBatch[] }[] };
  pythonVersion = reply.python;
  for (const r of reply.rows) {
    rows.push({ name: `python-seed/${r.strategy}`, kind: 'peer', multipleOf: r.multipleOf, bufferSize: r.bufferSize, costUs: r.costUs, ...score(r.batches) });
  }
}

// ---- report ----
const f = (x: number, digits = 3) => x.toFixed(digits);
const triple = (s: { p50: number; p95: number; max: number }) => `${f(s.p50)} ${f(s.p95)} ${f(s.max, 2)}`;
const find = (name: string, multipleOf: number, bufferSize: number) => rows.find((r) => r.name === name && r.multipleOf === multipleOf && r.bufferSize === bufferSize);
const peersRan = ['ts-baseline (plain TypeScript)', 'bucketing/640px', ...(withPython ? [`python-seed (Python ${pythonVersion}, numpy, Pillow, fastkmeans)`] : [])];
console.log(`Seed benchmark: ${COUNT} images, sides uniform 224..1024 (seed ${SEED}), batch size ${BATCH_SIZE}, median of ${RUNS} runs, Node ${process.version}`);
console.log(`peers that ran: ${peersRan.join('; ')}${withPython ? '' : ' (python-seed skipped: --no-python)'}`);
console.log('cost = planning wall time per sample (us), boundary crossings included; d/m/r = p50 p95 max');
console.log('x ts / x py = cost ratio of the same strategy in plain TypeScript / in the seed\'s Python (higher: this library is faster)\n');

const header = ['mult', 'buffer', 'strategy', 'cost us', 'x ts', 'x py', 'fill', 'd p50 p95 max', 'm p50 p95 max', 'r p50 p95 max', 'spread'];
const table = rows.map((r) => {
  const twin = r.kind === 'library' ? r.name : '';
  const ratio = (peer: string) => {
    const other = twin && find(`${peer}/${twin}`, r.multipleOf, r.bufferSize);
    return other ? f(other.costUs / r.costUs, 1) : '';
  };
  return [String(r.multipleOf), String(r.bufferSize), r.name, f(r.costUs), ratio('ts-baseline'), ratio('python-seed'), f(r.fill), triple(r.distortion), triple(r.scaleMismatch), triple(r.resizeWaste), f(r.aspectSpread, 4)];
});
const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i]!.length)));
const line = (cells: string[]) => cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
console.log(line(header));
for (const row of table) console.log(line(row));

// The SPEC quality goal: the best strategy at fill >= 0.95 against seed-style k-means at its own fill.
const reference = withPython ? 'python-seed/clustered' : 'ts-baseline/clustered';
console.log(`\nQuality goal: p95 resize waste at fill >= 0.95 (balanced) vs seed-style k-means (${reference}) at its own fill`);
for (const multipleOf of MULTIPLES) {
  for (const bufferSize of BUFFER_SIZES) {
    const ours = find('balanced', multipleOf, bufferSize)!;
    const seed = find(reference, multipleOf, bufferSize)!;
    const met = ours.fill >= 0.95 && ours.resizeWaste.p95 <= seed.resizeWaste.p95;
    console.log(`  mult ${String(multipleOf).padStart(2)} buffer ${String(bufferSize).padStart(4)}: balanced p95 r ${f(ours.resizeWaste.p95)} at fill ${f(ours.fill)}  vs  ${f(seed.resizeWaste.p95)} at fill ${f(seed.fill)}  ${met ? 'met' : 'NOT met'}`);
  }
}

// The SPEC cost goals (see `costGoals`), every strategy at every buffer.
console.log(`\nCost goals (faster than plain TS; >= 10x faster than the Python seed stack), buffers ${BUFFER_SIZES.join(', ')}, multipleOf ${MULTIPLES.join(' and ')}:`);
const costCells: CostCell[] = MULTIPLES.flatMap((multipleOf) =>
  BUFFER_SIZES.map((bufferSize) => ({ label: `buffer ${bufferSize} m${multipleOf}`, costUs: (name: string) => find(name, multipleOf, bufferSize)?.costUs })),
);
const { lines: costLines } = costGoals(Object.keys(LIBRARY), costCells);
for (const l of costLines) console.log(l);

// Token budgets (SPEC data, patch 14, budget 16,384 tokens, buffer 5000): batches sized by
// tokens, scored by token fill; and packing images at their own sizes, FFD against next-fit.
const PATCH = 14;
const MAX_TOKENS = 16384;
const budgetRows = Object.entries({
  sorted: new SortedBatcher({ maxTokens: MAX_TOKENS, patchSize: PATCH }),
  clustered: new ClusteredBatcher({ maxTokens: MAX_TOKENS, patchSize: PATCH }),
  balanced: new BalancedBatcher({ maxTokens: MAX_TOKENS, patchSize: PATCH }),
}).map(([name, batcher]) => {
  const { costUs, result } = timed(RUNS, COUNT, () => batcher.batch(samples));
  const m = evaluate(result, { maxTokens: MAX_TOKENS, patchSize: PATCH });
  return { name, costUs, batches: m.batches, tokenFill: m.tokenFill!, p95Waste: m.resizeWaste.p95 };
});
const packRows = (['first-fit-decreasing', 'next-fit'] as const).map((algorithm) => {
  const packer = new TokenPacker({ maxTokens: MAX_TOKENS, patchSize: PATCH, algorithm });
  const { costUs, result } = timed(RUNS, COUNT, () => packer.pack(samples));
  return { algorithm, costUs, packs: result.length, padding: result.padding };
});
console.log(`\nToken budgets: ${MAX_TOKENS} tokens per batch, patch ${PATCH}, buffer ${COUNT}`);
for (const r of budgetRows) {
  console.log(`  ${r.name.padEnd(10)} cost ${f(r.costUs)} us  batches ${r.batches}  token fill ${f(r.tokenFill)}  p95 r ${f(r.p95Waste)}`);
}
for (const r of packRows) {
  console.log(`  packing, ${r.algorithm.padEnd(20)} cost ${f(r.costUs)} us  packs ${r.packs}  padding ${f(r.padding, 4)}`);
}

// The quality a cap on distinct shapes costs (buffer 5000, multipleOf 28).
const shapeRows = [undefined, 32, 16, 8, 4, 2, 1].flatMap((maxShapes) =>
  Object.entries({
    clustered: new ClusteredBatcher({ batchSize: BATCH_SIZE, multipleOf: 28, maxShapes }),
    balanced: new BalancedBatcher({ batchSize: BATCH_SIZE, multipleOf: 28, maxShapes }),
  }).map(([name, batcher]) => {
    const m = evaluate(batcher.batch(samples), { batchSize: BATCH_SIZE });
    return { name, maxShapes: maxShapes ?? null, p50Waste: m.resizeWaste.p50, p95Waste: m.resizeWaste.p95, fill: m.fill };
  }),
);
console.log(`\nmaxShapes: what a cap on distinct resize sizes costs (buffer ${COUNT}, multipleOf 28)`);
for (const r of shapeRows) {
  console.log(`  ${r.name.padEnd(10)} maxShapes ${String(r.maxShapes ?? 'none').padStart(4)}  p50 r ${f(r.p50Waste)}  p95 r ${f(r.p95Waste)}  fill ${f(r.fill)}`);
}

const dir = new URL('./results/', import.meta.url);
mkdirSync(dir, { recursive: true });
writeFileSync(
  new URL('seed-benchmark.json', dir),
  JSON.stringify({ protocol: { count: COUNT, seed: SEED, batchSize: BATCH_SIZE, bufferSizes: BUFFER_SIZES, multiples: MULTIPLES, runs: RUNS }, node: process.version, python: pythonVersion ?? null, peers: peersRan, rows, tokenBudgets: { maxTokens: MAX_TOKENS, patchSize: PATCH, batchers: budgetRows, packing: packRows }, maxShapes: shapeRows }, null, 1) + '\n',
);
// Quality charts leave out peers whose batches equal a library strategy's (same algorithm).
const sameBatches = (r: Row) => r.name === 'ts-baseline/simple' || r.name === 'ts-baseline/sorted' || r.name === 'python-seed/simple' || r.name === 'python-seed/sorted';
const charts: [string, string, string, (r: Row) => number, boolean, (r: Row) => boolean][] = [
  ['cost', 'Planning cost per sample', 'microseconds per sample (log)', (r) => r.costUs, true, () => true],
  ['p95-waste', 'p95 resize waste r', 'p95 r, log scale (lower is better)', (r) => r.resizeWaste.p95, true, (r) => !sameBatches(r)],
  ['fill', 'Fill (share of batch slots used)', 'fill', (r) => r.fill, false, (r) => !sameBatches(r)],
];
for (const multipleOf of MULTIPLES) {
  for (const [file, title, yTitle, value, logY, shown] of charts) {
    const points: ChartPoint[] = rows
      .filter((r) => r.multipleOf === multipleOf && shown(r))
      .map((r) => ({ series: r.name, kind: r.kind, bufferSize: r.bufferSize, value: value(r) }));
    writeFileSync(new URL(`${file}-m${multipleOf}.svg`, dir), await lineChart(`${title} (multipleOf ${multipleOf})`, yTitle, points, logY));
  }
}
console.log('\nwritten: bench/results/seed-benchmark.json, bench/results/{cost,p95-waste,fill}-m{1,28}.svg');
writeReport('seed-benchmark');
