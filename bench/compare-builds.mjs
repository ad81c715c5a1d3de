// Planning cost of two builds of the package in one process, interleaved so that both see the
// same machine load: `node bench/compare-builds.mjs <dist/node.js of A> <dist/node.js of B>`.
// Batch 32, each buffer planned on its own, multipleOf 1 and 28; µs per sample, median of rounds.
// By default the SPEC seed data (5,000 sizes, seed 0), buffers 128 and 5000, every strategy both
// builds have. Environment: DATA=<a size list in bench/data, e.g. mathvista_testmini> (its first
// 5,000 sizes), BUFFERS=512,1024, STRATEGIES=clustered,balanced, MULTIPLES=1, ROUNDS=15.
import { readFileSync } from 'node:fs';

const [a, b] = process.argv.slice(2);
if (!a || !b) throw new Error('usage: node bench/compare-builds.mjs <A dist/node.js> <B dist/node.js>');
const list = (name, fallback) => (process.env[name] ?? fallback).split(',');
const builds = [
  { name: 'A', lib: await import(a) },
  { name: 'B', lib: await import(b) },
];
const ROUNDS = Number(process.env.ROUNDS ?? 15);
const data = process.env.DATA;
const samples = data
  ? JSON.parse(readFileSync(new URL(`./data/${data}.json`, import.meta.url), 'utf8'))
      .sizes.slice(0, 5000)
      .map(([height, width]) => ({ image: { height, width } }))
  : builds[0].lib.seedBenchmarkSamples(5000, 0);
const names = list('STRATEGIES', 'simple,sorted,clustered,balanced');
const classes = { simple: 'SimpleBatcher', sorted: 'SortedBatcher', clustered: 'ClusteredBatcher', balanced: 'BalancedBatcher' };
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
// Warm both builds' JS (to its optimised tier) and wasm up before the first measured case: every
// strategy compared plans buffers of 128 for 300 ms (without it the first case can read 2-3x).
for (const { lib } of builds) {
  for (const name of names) {
    const batcher = new lib[classes[name]]({ batchSize: 32 });
    const start = performance.now();
    for (let i = 0; performance.now() - start < 300; i = (i + 128) % samples.length) batcher.batch(samples.slice(i, i + 128));
  }
}
console.log(`A = ${a}\nB = ${b}\nµs per sample, median of ${ROUNDS} interleaved rounds`);
console.log('strategy   m   buffer      A        B      B/A');
for (const multipleOf of list('MULTIPLES', '1,28').map(Number)) {
  for (const name of names) {
    for (const bufferSize of list('BUFFERS', '128,5000').map(Number)) {
      const buffers = [];
      for (let s = 0; s < samples.length; s += bufferSize) buffers.push(samples.slice(s, s + bufferSize));
      const planners = builds.map(({ lib }) => new lib[classes[name]]({ batchSize: 32, multipleOf }));
      const times = [[], []];
      for (let round = 0; round <= ROUNDS; round++) {
        for (const k of round % 2 ? [1, 0] : [0, 1]) {
          const start = performance.now();
          for (const buffer of buffers) planners[k].batch(buffer);
          if (round > 0) times[k].push(((performance.now() - start) * 1000) / samples.length);
        }
      }
      const [ta, tb] = times.map(median);
      console.log(`${name.padEnd(10)} ${String(multipleOf).padEnd(3)} ${String(bufferSize).padStart(6)} ${ta.toFixed(3).padStart(8)} ${tb.toFixed(3).padStart(8)} ${(tb / ta).toFixed(2).padStart(7)}`);
    }
  }
}
