// Planning cost of two builds of the package in one process, interleaved so that both see the
// same machine load: `node bench/compare-builds.mjs <dist/node.js of A> <dist/node.js of B>`.
// SPEC seed data (5,000 sizes, seed 0), batch 32, buffers 128 and 5000 (each buffer planned on its
// own), multipleOf 1 and 28, every strategy both builds have; µs per sample, median of rounds.
const [a, b] = process.argv.slice(2);
if (!a || !b) throw new Error('usage: node bench/compare-builds.mjs <A dist/node.js> <B dist/node.js>');
const builds = [
  { name: 'A', lib: await import(a) },
  { name: 'B', lib: await import(b) },
];
const ROUNDS = Number(process.env.ROUNDS ?? 15);
const samples = builds[0].lib.seedBenchmarkSamples(5000, 0);
const names = ['simple', 'sorted', 'clustered', 'balanced'];
const classes = { simple: 'SimpleBatcher', sorted: 'SortedBatcher', clustered: 'ClusteredBatcher', balanced: 'BalancedBatcher' };
const median = (xs) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
// Warm both builds' JS (to its optimised tier) and wasm up before the first measured case.
for (const { lib } of builds) {
  for (const name of ['SimpleBatcher', 'SortedBatcher']) {
    const batcher = new lib[name]({ batchSize: 32 });
    for (let i = 0; i < 3000; i++) batcher.batch(samples.slice((i % 39) * 128, (i % 39) * 128 + 128));
  }
}
console.log(`A = ${a}\nB = ${b}\nµs per sample, median of ${ROUNDS} interleaved rounds`);
console.log('strategy   m   buffer      A        B      B/A');
for (const multipleOf of [1, 28]) {
  for (const name of names) {
    for (const bufferSize of [128, 5000]) {
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
