// Benchmark (not a test): the stream's throughput on a million dimension-only samples, generated
// on the fly by an async generator (never held), batch size 32. Per strategy, buffer size and
// carry: samples per second, fill, and heap growth after forced GCs (bounded memory).
// Writes bench/results/stream-throughput.json and its report (stream-throughput.md: reports/).
//
//   node --expose-gc stream-throughput.mjs [--count 1000000]
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { batchStream } from 'mm-tokenize-batcher';

const { values } = parseArgs({ options: { count: { type: 'string' } } });
const count = Number(values.count ?? 1_000_000);
const here = dirname(fileURLToPath(import.meta.url));
const gc = globalThis.gc ?? (() => {});

function source(seed) {
  let state = seed;
  const rand = () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
  return (async function* () {
    for (let i = 0; i < count; i++) yield { image: { width: 224 + Math.floor(rand() * 801), height: 224 + Math.floor(rand() * 801) } };
  })();
}

const configs = [
  ['simple', 4096, false],
  ['sorted', 4096, false],
  ['sorted', 4096, true],
  ['clustered', 4096, false],
  ['clustered', 4096, true],
  ['balanced', 4096, false],
  ['balanced', 4096, true],
  ['clustered', 1024, true],
];
const rows = [];
for (const [strategy, bufferSize, carry] of configs) {
  gc();
  const before = process.memoryUsage().heapUsed;
  let peak = before;
  const stream = batchStream(source(12345), { strategy, batchSize: 32, bufferSize, carry });
  let samples = 0;
  let batches = 0;
  const start = performance.now();
  for await (const batch of stream) {
    samples += batch.indices.length;
    batches++;
    if (batches % 5000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
  }
  const seconds = (performance.now() - start) / 1000;
  gc();
  const row = {
    strategy,
    bufferSize,
    carry,
    samples,
    seconds: Number(seconds.toFixed(3)),
    samplesPerSecond: Math.round(samples / seconds),
    usPerSample: Number(((seconds * 1e6) / samples).toFixed(3)),
    fill: Number((samples / (batches * 32)).toFixed(4)),
    peakBuffered: stream.stats.peakBuffered,
    heapPeakMB: Number(((peak - before) / 1e6).toFixed(1)),
    heapAfterMB: Number(((process.memoryUsage().heapUsed - before) / 1e6).toFixed(1)),
  };
  rows.push(row);
  console.log(
    `${strategy.padEnd(9)} buffer ${String(bufferSize).padStart(4)} carry ${carry ? 'on ' : 'off'}: ${String(row.samplesPerSecond).padStart(8)} samples/s (${row.usPerSample} us each), fill ${row.fill}, heap peak +${row.heapPeakMB} MB (no GC between), after GC +${row.heapAfterMB} MB`,
  );
}
mkdirSync(join(here, 'results'), { recursive: true });
writeFileSync(join(here, 'results/stream-throughput.json'), `${JSON.stringify({ count, batchSize: 32, node: process.version, rows }, null, 2)}\n`);
await writeReport('stream-throughput');

/** Writes bench/results/NAME.md from the JSON just written (the renderers are TypeScript: reports/). */
async function writeReport(name) {
  const { tsImport } = await import('tsx/esm/api');
  const reports = await tsImport('./reports/index.ts', import.meta.url);
  reports.writeReport(name);
}
