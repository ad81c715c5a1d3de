// `mm-tokenize-batcher bench`: the SPEC seed benchmark with the library's strategies (the
// repository's bench/ adds peers and charts). 5,000 synthetic images, sides uniform in
// 224..1024, seed 0; batch size 32; buffers of 128 ... 5000 each planned on their own;
// multipleOf 1 and 28. Cost is the median over runs of planning wall time per sample.
import { createBatcher, evaluate, seedBenchmarkSamples, strategyNames, type Batch, type Sample } from 'mm-tokenize-batcher';

const COUNT = 5000;
const BATCH_SIZE = 32;
const BUFFER_SIZES = [128, 256, 512, 1024, 2048, 5000];
const MULTIPLES = [1, 28];

type Planner = { batch(buffer: readonly Sample[]): Batch[] };
// Every registered strategy, with its defaults.
const STRATEGIES: Record<string, (multipleOf: number) => Planner> = Object.fromEntries(
  strategyNames.map((name) => [name, (multipleOf: number) => createBatcher(name, { batchSize: BATCH_SIZE, multipleOf })]),
);

export interface BenchRow {
  strategy: string;
  multipleOf: number;
  bufferSize: number;
  costUs: number;
  fill: number;
  p95Distortion: number;
  p95ScaleMismatch: number;
  p95ResizeWaste: number;
  maxResizeWaste: number;
  aspectSpread: number;
}

export function runBench(runs: number, onRow: (row: BenchRow) => void): BenchRow[] {
  const samples = seedBenchmarkSamples(COUNT, 0);
  const rows: BenchRow[] = [];
  for (const multipleOf of MULTIPLES) {
    for (const [strategy, make] of Object.entries(STRATEGIES)) {
      const batcher = make(multipleOf);
      for (const bufferSize of BUFFER_SIZES) {
        const times: number[] = [];
        let batches: Batch[] = [];
        for (let run = 0; run <= runs; run++) {
          const start = performance.now();
          const out: Batch[] = [];
          for (let at = 0; at < COUNT; at += bufferSize) out.push(...batcher.batch(samples.slice(at, at + bufferSize)));
          if (run > 0) times.push(performance.now() - start); // run 0 warms up
          batches = out;
        }
        times.sort((a, b) => a - b);
        const m = evaluate(batches, { batchSize: BATCH_SIZE });
        const row: BenchRow = {
          strategy,
          multipleOf,
          bufferSize,
          costUs: (times[times.length >> 1]! * 1000) / COUNT,
          fill: m.fill,
          p95Distortion: m.distortion.p95,
          p95ScaleMismatch: m.scaleMismatch.p95,
          p95ResizeWaste: m.resizeWaste.p95,
          maxResizeWaste: m.resizeWaste.max,
          aspectSpread: m.aspectSpread,
        };
        rows.push(row);
        onRow(row);
      }
    }
  }
  return rows;
}
