// Payload of the cross-runtime benchmark (run by test/runtimes/harness.mjs in each runtime, from
// the packed tarball). SPEC protocol at buffer 5000: `seedBenchmarkSamples(5000, 0)`, batch size
// 32, one strategy per call. Each measurement times `reps` consecutive `batch()` calls (reps chosen
// so a measurement lasts >= minMs, which keeps coarse browser clocks accurate) and reports ms per
// call. `runs: 0` only builds the buffer: workerd's clock stands still while code runs, so there
// the harness times whole requests from outside and subtracts that baseline.
export async function run(lib, { strategy, measurements = 15, minMs = 30, runs, mode, imaging } = {}) {
  if (mode === 'resize') return resize(lib, imaging, measurements);
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

/**
 * Resize throughput: 16 RGBA images with sides from the SPEC distribution (seedBenchmarkSamples(16,
 * 1); a deterministic pattern), planned by SortedBatcher (batch size 8, multipleOf 28), then
 * `toTensor` of every batch (bilinear, float32 NCHW, CLIP normalisation). RGBA in, so this is
 * resize + normalise + copy out, without decoding. Reports images per second per measurement.
 */
function resize(lib, imaging, measurements) {
  if (!imaging) throw new Error('the harness passed no imaging module');
  const buffer = lib.seedBenchmarkSamples(16, 1).map(({ image: { width, height } }, k) => {
    const data = new Uint8ClampedArray(width * height * 4);
    for (let p = 0, i = 0; p < width * height; p++, i += 4) {
      const x = p % width;
      const y = (p / width) | 0;
      data[i] = (x * 7 + k) & 255;
      data[i + 1] = (y * 5) & 255;
      data[i + 2] = ((x ^ y) + k * 13) & 255;
      data[i + 3] = 255;
    }
    return { image: { data, width, height } };
  });
  const batches = new lib.SortedBatcher({ batchSize: 8, multipleOf: 28 }).batch(buffer);
  const all = () => {
    let bytes = 0;
    for (const batch of batches) bytes += imaging.toTensor(batch, { normalize: 'clip' }).data.length;
    return bytes;
  };
  let start = performance.now();
  for (let i = 0; i < 2 || performance.now() - start < 300; i++) all();
  const imagesPerSecond = [];
  for (let m = 0; m < measurements; m++) {
    start = performance.now();
    all();
    const seconds = (performance.now() - start) / 1000;
    imagesPerSecond.push(seconds > 0 ? buffer.length / seconds : 0);
  }
  imagesPerSecond.sort((a, b) => b - a);
  return { imagesPerSecond, clockMoved: imagesPerSecond[0] > 0 };
}
