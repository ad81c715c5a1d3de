// Payload of the cross-runtime benchmark (run by test/runtimes/harness.mjs in each runtime, from
// the packed tarball). SPEC protocol at buffer 5000: `seedBenchmarkSamples(5000, 0)`, batch size
// 32, one strategy per call. Each measurement times `reps` consecutive `batch()` calls (reps chosen
// so a measurement lasts >= minMs, which keeps coarse browser clocks accurate) and reports ms per
// call. `runs: 0` only builds the buffer: workerd's clock stands still while code runs, so there
// the harness times whole requests from outside and subtracts that baseline.
export async function run(lib, { strategy, measurements = 15, minMs = 30, runs } = {}) {
  const samples = lib.seedBenchmarkSamples(5000, 0);
  const Batcher = { simple: lib.SimpleBatcher, sorted: lib.SortedBatcher, clustered: lib.ClusteredBatcher }[strategy];
  if (!Batcher) throw new Error(`unknown strategy ${strategy}`);
  const batcher = new Batcher({ batchSize: 32 });
  if (runs !== undefined) {
    let batches = 0;
    for (let i = 0; i < runs; i++) batches += batcher.batch(samples).length;
    return { batches };
  }
  // Warm-up, at least 3 calls and 300 ms: JIT and wasm tier-up (slower to settle in workers).
  let start = performance.now();
  for (let i = 0; i < 3 || performance.now() - start < 300; i++) batcher.batch(samples);
  start = performance.now();
  batcher.batch(samples);
  const once = performance.now() - start;
  const reps = Math.max(1, Math.ceil(minMs / Math.max(once, 0.05)));
  const perCall = [];
  for (let m = 0; m < measurements; m++) {
    start = performance.now();
    for (let r = 0; r < reps; r++) batcher.batch(samples);
    perCall.push((performance.now() - start) / reps);
  }
  perCall.sort((a, b) => a - b);
  return { reps, perCallMs: perCall, clockMoved: perCall[perCall.length - 1] > 0 };
}
