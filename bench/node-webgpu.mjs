// The GPU path in Node (issue 28; docs/tfjs.md#node): TF.js's webgpu backend on Dawn, the WebGPU
// implementation of Chromium, as the npm package `webgpu` ships it (a prebuilt dawn.node for Linux,
// macOS and Windows inside the package: no download at install). A hand-run check, not part of the
// workspace's dependencies: install what it needs in a folder of your own, and run it from there
// (those packages are imported from the working directory; the package from this workspace).
//
//   cd /tmp/node-webgpu && npm install webgpu@0.6.2 @tensorflow/tfjs-core@4.22.0 @tensorflow/tfjs-backend-webgpu@4.22.0 @tensorflow/tfjs-backend-cpu@4.22.0
//   node /path/to/repo/bench/node-webgpu.mjs [--size 224] [--runs 5]
//
// Dawn needs a Vulkan loader and driver on Linux (Metal on macOS, D3D12 on Windows). Without a GPU,
// Debian's Chromium carries both for SwiftShader, a software Vulkan:
//   LD_LIBRARY_PATH=/usr/lib/chromium VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json node bench/node-webgpu.mjs
// (or `apt-get install libvulkan1 mesa-vulkan-drivers` for Mesa's lavapipe).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const flag = (name, fallback) => (argv.includes(`--${name}`) ? argv[argv.indexOf(`--${name}`) + 1] : fallback);
const size = Number(flag('size', '224'));
const runs = Number(flag('runs', '5'));

const fromCwd = createRequire(join(process.cwd(), 'index.js'));
const load = (name) => import(pathToFileURL(fromCwd.resolve(name)).href);
// tfjs-backend-webgpu registers itself only where `navigator.gpu` exists: give it Dawn's first.
const { create, globals } = await load('webgpu');
Object.assign(globalThis, globals);
if (!globalThis.navigator) globalThis.navigator = {};
globalThis.navigator.gpu = create([]);
const adapter = await globalThis.navigator.gpu.requestAdapter();
if (!adapter) throw new Error('Dawn found no GPU adapter (on Linux: a Vulkan loader and driver; see the comment above)');
const tf = await load('@tensorflow/tfjs-core');
await load('@tensorflow/tfjs-backend-cpu');
await load('@tensorflow/tfjs-backend-webgpu');
const { toTensor, toTfTensor } = await import('mm-tokenize-batcher/imaging');

const photo = (rel) => readFileSync(join(here, '..', rel));
const images = [
  photo('test/fixtures/suites/exif-orientation-examples/Landscape_6.jpg'),
  photo('test/fixtures/suites/exif-orientation-examples/Portrait_8.jpg'),
  photo('packages/mm-tokenize-batcher/test/fixtures/photos/chelsea-o6.jpg'),
  photo('packages/mm-tokenize-batcher/test/fixtures/photos/coffee.png'),
];
const batch = { images, resizeSize: [size, size] };
const median = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];
const gpu = adapter.info ? [adapter.info.vendor, adapter.info.architecture, adapter.info.description].filter(Boolean).join(' ') : 'unknown';
console.log(`Dawn adapter: ${gpu}${/swiftshader/i.test(gpu) ? ' (software GPU)' : ''}`);

const out = {};
for (const backend of ['cpu', 'webgpu']) {
  if (!(await tf.setBackend(backend))) throw new Error(`TF.js backend ${backend} did not start`);
  await tf.ready();
  const times = [];
  for (let r = 0; r <= runs; r++) {
    const before = tf.memory().numTensors;
    const start = performance.now();
    const t = await toTfTensor(batch, { tf, normalize: 'clip' });
    out[backend] = await t.tensor.data();
    t.tensor.dispose();
    if (r > 0) times.push(performance.now() - start);
    if (tf.memory().numTensors !== before) throw new Error(`${backend}: tensors left behind`);
  }
  console.log(`toTfTensor on ${backend}: ${((images.length * 1000) / median(times)).toFixed(1)} images/s (median of ${runs}, read back)`);
}
const wasm = toTensor(batch, { normalize: 'clip' }).data;
let drift = 0;
let fromWasm = 0;
for (let i = 0; i < wasm.length; i++) {
  drift = Math.max(drift, Math.abs(out.webgpu[i] - out.cpu[i]));
  fromWasm = Math.max(fromWasm, Math.abs(out.webgpu[i] - wasm[i]));
}
console.log(`webgpu vs cpu backend: max difference ${drift.toExponential(2)}; vs toTensor: ${fromWasm.toFixed(3)} (resizeBilinear does not antialias)`);
// Dawn keeps the process alive while its device exists.
process.exit(0);
