// The real-data suite (SPEC "Real data (protocol)", issue 10), part of the main job: every size
// list in bench/data (COCO val2017, MathVista testmini, the generated mixture, and any further
// `{"source", "sizes"}` file dropped there), the first 5,000 sizes in file order, cut into
// buffers of 512, 1024 and 5000 (or the whole set when smaller), each buffer planned on its own,
// batch size 32, multipleOf 1 and 28. Every image is scored by the library's `evaluate`.
//
// In the same run: every registered strategy at its defaults, Balanced's `minFill` and
// Clustered's `numClusters` swept, and the peers: the recursive median split (plain TS),
// aspect-ratio bucketing, the seed's strategies in plain TS (`ts-baseline`), the converged
// k-means (numpy, own small cached venv) and the Python seed stack (fastkmeans; left out by
// --no-python). Planning cost is timed for the strategies and the TS peers in interleaved rounds
// after a warm-up, and the SPEC cost goals are judged on the real sets' cells as on the seed
// data. Writes bench/results/real-data.json, one Pareto chart (fill against p95 r) per dataset
// and buffer, multipleOf 28, and the report (real-data.md, from the JSON: reports/real-data.ts).
//
//   tsx real-data.ts [--no-python] [--no-kmeans]
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createBatcher, evaluate, strategyNames, type Batch, type Metrics, type Sample } from 'mm-tokenize-batcher';
import { paretoChart, type ParetoPoint } from './charts.js';
import { writeReport } from './reports/index.js';
import type { RealDataCell, RealDataRow } from './reports/real-data.js';
import { bucketing } from './peers/bucketing.js';
import { medianSplit } from './peers/median-split.js';
import { BATCH_SIZE, MULTIPLES, buffers, costGoals, planPeer, scorePeer, timedInRounds, warmUp, type CostCell, type Dims, type PeerBatch, type PeerStrategy } from './protocol.js';
import { tsBaseline } from './peers/ts-baseline.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const withPython = !process.argv.includes('--no-python');
const withKMeans = !process.argv.includes('--no-kmeans');
const COUNT = 5000;
const BUFFERS = [512, 1024, 5000];
const MIN_FILLS = [1, 0.95, 0.9, 0.8, 0.7, 0.6];
/** `numClusters` swept as a multiple of ceil(buffer / batchSize). */
const CLUSTER_FACTORS = [0.5, 0.75, 1, 1.5, 2];
const CHART_MULTIPLE = 28;
const here = fileURLToPath(new URL('.', import.meta.url));
const TOL = 1e-9;

// ---- data: every size list in bench/data, known ones first ----
const LABELS: Record<string, string> = {
  coco_val2017: 'COCO val2017',
  mathvista_testmini: 'MathVista testmini',
  mixture_generated: 'generated mixture',
};
interface Dataset {
  file: string;
  slug: string;
  label: string;
  generated: boolean;
  dims: Dims[];
}
const files = readdirSync(new URL('./data/', import.meta.url))
  .filter((f) => f.endsWith('.json'))
  .map((f) => f.slice(0, -5))
  .sort((a, b) => (a in LABELS ? Object.keys(LABELS).indexOf(a) : 99) - (b in LABELS ? Object.keys(LABELS).indexOf(b) : 99) || a.localeCompare(b));
const datasets: Dataset[] = files.map((file) => {
  const json = JSON.parse(readFileSync(new URL(`./data/${file}.json`, import.meta.url), 'utf8')) as { sizes: [number, number][]; label?: string; generated?: boolean };
  return {
    file,
    slug: file.split('_')[0]!,
    label: json.label ?? LABELS[file] ?? file,
    generated: json.generated === true,
    dims: json.sizes.slice(0, COUNT).map(([height, width]) => ({ height, width })),
  };
});

/** The buffer sizes of the protocol for `n` samples: 512, 1024, 5000, the whole set once. */
const bufferSizes = (n: number) => {
  const out: number[] = [];
  for (const b of BUFFERS) {
    out.push(Math.min(b, n));
    if (b >= n) break;
  }
  return out;
};

// ---- rows ----
type Kind = RealDataRow['kind'];
/** The report's row (knob and value for sweeps; costUs, the median of BENCH_RUNS, for the library's defaults and peers), plus d and m. */
interface Row extends RealDataRow {
  d: Metrics['distortion'];
  m: Metrics['scaleMismatch'];
}
type Cell = Omit<RealDataCell<Row>, 'goals'> & { goals?: RealDataCell['goals'] };
const toRow = (name: string, kind: Kind, metrics: Metrics, extra: Partial<Row> = {}): Row => ({
  name,
  kind,
  ...extra,
  fill: metrics.fill,
  batches: metrics.batches,
  r: metrics.resizeWaste,
  d: metrics.distortion,
  m: metrics.scaleMismatch,
});

type Planner = { batch(buffer: readonly Sample[]): Batch[] };
function planAll(planner: Planner, parts: { items: Sample[] }[]): Batch[] {
  return parts.flatMap((p) => planner.batch(p.items));
}

// ---- Python peers (each in its own process, set up on first use; skipped with a reason) ----
const peerStatus: string[] = [
  'median split (plain TypeScript, bench/peers/median-split.ts)',
  'bucketing/640px (plain TypeScript, bench/peers/bucketing.ts)',
  'ts-baseline (the seed in plain TypeScript, bench/peers/ts-baseline.ts)',
];
const skipped: string[] = [];
type PyRow = { name: string; bufferSize: number; multipleOf: number; costUs: number; batches: PeerBatch[] };
const pythonRows = new Map<string, PyRow>(); // key: peer|dataset|buffer|multiple
const key = (peer: string, file: string, bufferSize: number, multipleOf: number) => `${peer}|${file}|${bufferSize}|${multipleOf}`;

function setUp(script: string): string | undefined {
  try {
    return execFileSync('bash', [script], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  } catch {
    return undefined;
  }
}

if (withKMeans) {
  const python = setUp(`${here}peers/converged_kmeans/setup.sh`);
  if (!python) {
    skipped.push('converged k-means (its numpy venv could not be set up: python3 venv or PyPI unreachable)');
  } else {
    const request = {
      jobs: datasets.map((d) => ({ name: d.file, sizes: d.dims.map((x) => [x.height, x.width]), bufferSizes: bufferSizes(d.dims.length) })),
      batchSize: BATCH_SIZE,
      multiples: MULTIPLES,
      seed: 0,
    };
    const reply = JSON.parse(
      execFileSync(python, [`${here}peers/converged_kmeans/converged_kmeans.py`], { input: JSON.stringify(request), encoding: 'utf8', maxBuffer: 1 << 30 }),
    ) as { python: string; numpy: string; starts: number; rows: PyRow[] };
    for (const r of reply.rows) pythonRows.set(key('converged k-means', r.name, r.bufferSize, r.multipleOf), r);
    peerStatus.push(
      `converged k-means (Python ${reply.python}, numpy ${reply.numpy}; k = ceil(n/32), ${reply.starts} k-means++ starts, Lloyd to convergence, median sizing; bench/peers/converged_kmeans/)`,
    );
  }
} else {
  skipped.push('converged k-means (--no-kmeans)');
}

if (withPython) {
  const python = setUp(`${here}peers/seed_python/setup.sh`);
  if (!python) {
    skipped.push('python-seed (its venv could not be set up)');
  } else {
    let version = '';
    for (const d of datasets) {
      const request = { sizes: d.dims.map((x) => [x.height, x.width]), batchSize: BATCH_SIZE, bufferSizes: bufferSizes(d.dims.length), multiples: MULTIPLES, runs: RUNS };
      const reply = JSON.parse(
        execFileSync(python, [`${here}peers/seed_python/seed_batcher.py`], { input: JSON.stringify(request), encoding: 'utf8', maxBuffer: 1 << 30 }),
      ) as { python: string; rows: { strategy: string; multipleOf: number; bufferSize: number; costUs: number; batches: PeerBatch[] }[] };
      version = reply.python;
      for (const r of reply.rows) {
        pythonRows.set(key(`python-seed/${r.strategy}`, d.file, r.bufferSize, r.multipleOf), { name: d.file, ...r });
      }
    }
    peerStatus.push(`python-seed (Python ${version}, numpy, Pillow, fastkmeans; k = floor(n/32), clusters cut in input order)`);
  }
} else {
  skipped.push('python-seed (--no-python)');
}

// ---- the suite ----
/** The peers planned in this process, timed with the library's strategies. */
const TS_PEERS: [string, PeerStrategy][] = [
  ['median split', medianSplit],
  ['bucketing/640px', bucketing(640 * 640)],
  ['ts-baseline/simple', tsBaseline.simple!],
  ['ts-baseline/sorted', tsBaseline.sorted!],
  ['ts-baseline/clustered', tsBaseline.clustered!],
];
const library = (multipleOf: number, options: Record<string, number> = {}) => (name: string) =>
  createBatcher(name as never, { batchSize: BATCH_SIZE, multipleOf, ...options } as never);
{
  // Warm-up (see `warmUp`): every timed planner on the first data's smallest buffers, scored.
  const data = datasets[0]!;
  const samples: Sample[] = data.dims.map((image) => ({ image }));
  const size = bufferSizes(data.dims.length)[0]!;
  for (const multipleOf of MULTIPLES) {
    for (const name of strategyNames) {
      const planner = library(multipleOf)(name);
      warmUp(() => evaluate(planAll(planner, buffers(samples, size)), { batchSize: BATCH_SIZE }));
    }
    const dimParts = buffers(data.dims, size);
    for (const [, strategy] of TS_PEERS) warmUp(() => scorePeer(data.dims, planPeer(strategy, dimParts, multipleOf)));
  }
}
const cells: Cell[] = [];
for (const data of datasets) {
  const samples: Sample[] = data.dims.map((image) => ({ image }));
  for (const multipleOf of MULTIPLES) {
    for (const bufferSize of bufferSizes(data.dims.length)) {
      const parts = buffers(samples, bufferSize);
      const dimParts = buffers(data.dims, bufferSize);
      const rows: Row[] = [];
      // The strategies at their defaults and the TS peers, timed in interleaved rounds.
      const planners = strategyNames.map((name) => library(multipleOf)(name));
      const timings = timedInRounds<Batch[] | PeerBatch[]>(RUNS, data.dims.length, [
        ...planners.map((planner) => () => planAll(planner, parts)),
        ...TS_PEERS.map(([, strategy]) => () => planPeer(strategy, dimParts, multipleOf)),
      ]);
      strategyNames.forEach((name, i) => {
        const { costUs, result } = timings[i]!;
        rows.push(toRow(name, 'library', evaluate(result as Batch[], { batchSize: BATCH_SIZE }), { costUs }));
      });
      TS_PEERS.forEach(([name], i) => {
        const { costUs, result } = timings[strategyNames.length + i]!;
        rows.push(toRow(name, 'peer', scorePeer(data.dims, result as PeerBatch[]), { costUs }));
      });
      for (const minFill of MIN_FILLS) {
        const batches = planAll(library(multipleOf, { minFill })('balanced'), parts);
        rows.push(toRow(`balanced minFill ${minFill}`, 'sweep', evaluate(batches, { batchSize: BATCH_SIZE }), { knob: 'minFill', value: minFill }));
      }
      for (const factor of CLUSTER_FACTORS) {
        // numClusters for each buffer: the factor times ceil(buffer length / batchSize).
        const batches = parts.flatMap((p) => {
          const numClusters = Math.max(1, Math.round(factor * Math.ceil(p.items.length / BATCH_SIZE)));
          return library(multipleOf, { numClusters })('clustered').batch(p.items);
        });
        rows.push(toRow(`clustered numClusters ${factor}x`, 'sweep', evaluate(batches, { batchSize: BATCH_SIZE }), { knob: 'numClusters', value: factor }));
      }
      for (const peer of ['converged k-means', 'python-seed/simple', 'python-seed/sorted', 'python-seed/clustered']) {
        const r = pythonRows.get(key(peer, data.file, bufferSize, multipleOf));
        if (r) rows.push(toRow(peer, 'peer', scorePeer(data.dims, r.batches), { costUs: r.costUs }));
      }
      const kmeans = rows.find((r) => r.name === 'converged k-means');
      if (kmeans) {
        // Balanced at the fill the converged k-means reaches (goal b).
        const minFill = Math.floor(kmeans.fill * 1e4) / 1e4;
        const batches = planAll(library(multipleOf, { minFill })('balanced'), parts);
        rows.push(toRow(`balanced minFill ${minFill} (k-means fill)`, 'sweep', evaluate(batches, { batchSize: BATCH_SIZE }), { knob: 'minFill', value: minFill }));
      }
      const cell: Cell = { dataset: data.label, file: data.file, generated: data.generated, bufferSize, multipleOf, rows };
      cell.goals = goals(cell);
      cells.push(cell);
    }
  }
}

/**
 * The issue's goals in one cell: (a) Balanced (defaults) at fill >= 0.95 no worse in p95 r than
 * the median split and Sorted; (b) at the converged k-means' fill, a library plan (Balanced at that
 * minFill, or Clustered) no worse; (c) Clustered within 2% of it at no lower fill; (d) p95 r
 * monotone in minFill; (e) Balanced's max r no worse than the median split's. null: not measured.
 */
function goals(cell: Cell): Record<string, boolean | null> {
  const row = (name: string) => cell.rows.find((r) => r.name === name);
  const best = row('balanced')!;
  const split = row('median split')!;
  const sorted = row('sorted')!;
  const clustered = row('clustered')!;
  const kmeans = row('converged k-means');
  const atKMeansFill = cell.rows.find((r) => r.name.endsWith('(k-means fill)'));
  const sweep = MIN_FILLS.map((f) => row(`balanced minFill ${f}`)!);
  return {
    a: best.fill >= 0.95 && best.r.p95 <= split.r.p95 + TOL && best.r.p95 <= sorted.r.p95 + TOL,
    b: kmeans
      ? atKMeansFill!.r.p95 <= kmeans.r.p95 + TOL || (clustered.fill >= kmeans.fill - TOL && clustered.r.p95 <= kmeans.r.p95 + TOL)
      : null,
    c: kmeans ? clustered.fill >= kmeans.fill - TOL && clustered.r.p95 <= 1.02 * kmeans.r.p95 + TOL : null,
    d: sweep.every((r, i) => i === 0 || r.r.p95 <= sweep[i - 1]!.r.p95 + TOL),
    e: best.r.max <= split.r.max + TOL,
  };
}

// ---- report ----
const f = (x: number, digits = 3) => x.toFixed(digits);
const short = (x: number) => x.toFixed(x >= 100 ? 0 : x >= 10 ? 1 : 3);
console.log(`\nReal-data suite (SPEC "Real data"): first ${COUNT} sizes in file order, buffers ${BUFFERS.join(', ')} (or the whole set), batch ${BATCH_SIZE}, multipleOf ${MULTIPLES.join(' and ')}, each buffer planned on its own`);
console.log(`datasets: ${datasets.map((d) => `${d.label} (${d.dims.length}${d.generated ? ', GENERATED, not real data' : ''})`).join('; ')}`);
console.log(`library strategies (registry): ${strategyNames.join(', ')}; cost = median of ${RUNS} runs, us per sample, from JS`);
console.log(`peers that ran: ${peerStatus.join('; ')}`);
if (skipped.length) console.log(`peers skipped: ${skipped.join('; ')}`);

const header = ['data', 'buffer', 'mult', 'plan', 'fill', 'r p50', 'r p95', 'r max', 'cost us'];
const lines: string[][] = [];
for (const c of cells) {
  for (const r of c.rows) {
    lines.push([c.dataset, String(c.bufferSize), String(c.multipleOf), r.name, f(r.fill), f(r.r.p50), short(r.r.p95), short(r.r.max), r.costUs === undefined ? '' : f(r.costUs, 2)]);
  }
}
const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
const line = (cells: string[]) => cells.map((c, i) => (i < 4 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
console.log('\n' + line(header));
let previous = '';
for (const l of lines) {
  const group = l.slice(0, 3).join('|');
  if (previous && group !== previous) console.log('');
  previous = group;
  console.log(line(l));
}

const triple = (r?: Row) => (r ? `${f(r.r.p95)} / ${f(r.fill, 2)} / ${short(r.r.max)}` : 'n/a');
const mark = (g: boolean | null | undefined) => (g === null || g === undefined ? 'n/a' : g ? 'yes' : '**no**');
console.log('\n## Real data: p95 r / fill / max r (best full-fill plan = Balanced at its defaults)\n');
console.log('| data | buffer | multipleOf | best full-fill (Balanced) | median split | Sorted | Clustered | converged k-means | a | b | c | d | e |');
console.log('|---|---:|---:|---|---|---|---|---|---|---|---|---|---|');
for (const c of cells) {
  const row = (name: string) => c.rows.find((r) => r.name === name);
  const g = c.goals!;
  console.log(
    `| ${c.dataset} | ${c.bufferSize} | ${c.multipleOf} | ${triple(row('balanced'))} | ${triple(row('median split'))} | ${triple(row('sorted'))} | ${triple(row('clustered'))} | ${triple(row('converged k-means'))} | ${['a', 'b', 'c', 'd', 'e'].map((k) => mark(g[k])).join(' | ')} |`,
  );
}
console.log(
  '\ngoals: (a) Balanced at fill >= 0.95: p95 r <= median split and Sorted; (b) at the converged k-means fill a library plan (Balanced at that minFill, or Clustered) has p95 r <= k-means;' +
    '\n       (c) Clustered (defaults) within 2% of the k-means p95 r at no lower fill; (d) p95 r monotone in minFill; (e) Balanced max r <= median split max r',
);
for (const k of ['a', 'b', 'c', 'd', 'e']) {
  const measured = cells.filter((c) => c.goals![k] !== null);
  const failed = measured.filter((c) => !c.goals![k]);
  const where = failed.map((c) => `${c.dataset} ${c.bufferSize} m${c.multipleOf}`).join(', ');
  console.log(`  (${k}) ${measured.length ? `holds in ${measured.length - failed.length} of ${measured.length} cells` : 'not measured (no converged k-means peer)'}${failed.length ? `; fails in: ${where}` : ''}`);
}

// The SPEC cost goals on the real sets (generated ones left out), as the seed benchmark judges
// them on its synthetic data: the same rule, the costs timed above and by the Python peer.
const realCells = cells.filter((c) => !c.generated);
const costCells: CostCell[] = realCells.map((c) => ({
  label: `${c.dataset} ${c.bufferSize} m${c.multipleOf}`,
  costUs: (name: string) => c.rows.find((r) => r.name === name)?.costUs,
}));
console.log(
  `\n## Cost on real data: us per sample (library and plain TS: median of ${RUNS} interleaved runs; Python: median of ${RUNS} runs in its own process)\n`,
);
const costColumns = [...strategyNames, 'ts-baseline/simple', 'ts-baseline/sorted', 'ts-baseline/clustered', 'python-seed/simple', 'python-seed/sorted', 'python-seed/clustered'];
console.log(`| data | buffer | mult | ${costColumns.join(' | ')} |`);
console.log(`|---|---:|---:|${costColumns.map(() => '---:').join('|')}|`);
for (const c of realCells) {
  const cost = (name: string) => c.rows.find((r) => r.name === name)?.costUs;
  console.log(`| ${c.dataset} | ${c.bufferSize} | ${c.multipleOf} | ${costColumns.map((n) => (cost(n) === undefined ? 'n/a' : f(cost(n)!))).join(' | ')} |`);
}
console.log(`\nCost goals on the real sets (faster than plain TS; >= 10x faster than the Python seed stack), ${realCells.length} cells:`);
const cost = costGoals(strategyNames, costCells);
for (const l of cost.lines) console.log(l);

// ---- results and charts ----
const dir = new URL('./results/', import.meta.url);
mkdirSync(dir, { recursive: true });
writeFileSync(
  new URL('real-data.json', dir),
  JSON.stringify(
    {
      protocol: { count: COUNT, bufferSizes: BUFFERS, batchSize: BATCH_SIZE, multiples: MULTIPLES, runs: RUNS, minFills: MIN_FILLS, clusterFactors: CLUSTER_FACTORS },
      node: process.version,
      datasets: datasets.map((d) => ({ file: `bench/data/${d.file}.json`, label: d.label, generated: d.generated, count: d.dims.length })),
      strategies: strategyNames,
      peers: peerStatus,
      skipped,
      cells,
      costGoals: cost.lines.map((l) => l.trim()),
    },
    null,
    1,
  ) + '\n',
);
const charts: string[] = [];
for (const c of cells.filter((c) => c.multipleOf === CHART_MULTIPLE)) {
  const points: ParetoPoint[] = [];
  for (const r of c.rows) {
    if (r.kind === 'sweep' && r.knob === 'minFill' && MIN_FILLS.includes(r.value!)) {
      points.push({ series: 'Balanced, minFill swept', kind: 'curve', fill: r.fill, p95: r.r.p95, order: -r.value!, label: String(r.value) });
    } else if (r.kind === 'sweep' && r.knob === 'numClusters') {
      points.push({ series: 'Clustered, numClusters = f x ceil(n/32) swept', kind: 'curve', fill: r.fill, p95: r.r.p95, order: r.value!, label: `f=${r.value}` });
    } else if (r.kind === 'library') {
      points.push({ series: `${r.name} (defaults)`, kind: 'point', fill: r.fill, p95: r.r.p95 });
    } else if (r.kind === 'peer' && !r.name.startsWith('ts-baseline/')) {
      // (The TS baseline is timed here for the cost goals; its algorithm, the seed's, is charted
      // as the Python seed peer.)
      points.push({ series: `peer: ${r.name}`, kind: 'point', fill: r.fill, p95: r.r.p95 });
    }
  }
  const file = `pareto-${datasets.find((d) => d.file === c.file)!.slug}-${c.bufferSize}.svg`;
  const title = `${c.dataset}${c.generated ? ' (generated)' : ''}, buffer ${c.bufferSize}, multipleOf ${c.multipleOf}: fill vs p95 resize waste`;
  // The y range covers the knobs' curves and the reference peers; plans far above (Simple, Sorted
  // and bucketing on varied data) are drawn at the top edge with their value.
  const yMax = 1.25 * Math.max(...points.filter((p) => p.kind === 'curve' || /median split|k-means|balanced/.test(p.series)).map((p) => p.p95));
  writeFileSync(new URL(file, dir), await paretoChart(title, points, yMax));
  charts.push(file);
}
console.log(`\nwritten: bench/results/real-data.json, ${charts.map((c) => `bench/results/${c}`).join(', ')}`);
writeReport('real-data');
