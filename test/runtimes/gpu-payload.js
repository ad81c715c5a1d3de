// The TF.js GPU path in a browser (issue 28), run by the runtime matrix in Chromium's page and in a
// Web Worker with WebGL and WebGPU on (test/runtimes/gpu.mjs holds the tolerances and the checks).
// It only measures: per backend and case, the largest difference from the cpu backend's tensor,
// tensors left behind (`tf.memory()` after the tensor is disposed), shapes, indices, content boxes
// and rejects. Files come from the page's origin (/fixtures/<name>).
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';

const fetchBytes = async (name) => {
  const response = await fetch(new URL(`/fixtures/${name}`, globalThis.location.href));
  if (!response.ok) throw new Error(`fixture ${name}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
};

function maxDiff(a, b) {
  if (a.length !== b.length) return Infinity;
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i] - b[i]));
  return max;
}

async function use(backend) {
  if (!(await tf.setBackend(backend))) throw new Error(`TF.js backend ${backend} could not start here`);
  await tf.ready();
}

/** One call on the active backend: what it returned, read back, and the tensors it left behind. */
async function call(fn) {
  const before = tf.memory().numTensors;
  const out = await fn();
  const data = await out.tensor.data();
  out.tensor.dispose();
  const { tensor: _tensor, ...rest } = out;
  return { ...rest, data, leaked: tf.memory().numTensors - before };
}

/** An error's code and index, and the tensors left behind, for a call that must throw. */
async function failure(fn) {
  const before = tf.memory().numTensors;
  try {
    const out = await fn();
    out.tensor.dispose();
    return { threw: false, leaked: tf.memory().numTensors - before };
  } catch (error) {
    return { threw: true, code: error.code, index: error.index, leaked: tf.memory().numTensors - before };
  }
}

const summary = (r) => ({ shape: r.shape, indices: r.indices, contentBoxes: r.contentBoxes, rejects: r.rejects.map((j) => [j.index, j.code]) });

export async function run(_lib, { imaging, backends, photos, large = 0, suites = [] }) {
  const { toTfTensor, tfBatchTensors } = imaging;
  const images = await Promise.all(photos.map(fetchBytes));
  const indices = images.map((_, i) => 10 + i);
  // Every mode, resize method and dtype on the small photos; the camera-size EXIF-rotated photos
  // (1800 x 1200, last in `photos`) join two of them (their matrix resize is costly on the cpu
  // backend and SwiftShader).
  const small = images.length - large;
  const cases = [];
  for (const mode of ['stretch', 'letterbox', 'crop']) {
    for (const resizeMethod of ['op', 'matrix']) {
      const all = (mode === 'crop' && resizeMethod === 'matrix') || (mode === 'letterbox' && resizeMethod === 'op');
      const n = all ? images.length : small;
      cases.push({ name: `${mode}/${resizeMethod}/float32 clip 224x224${all ? ' +camera' : ''}`, n, size: [224, 224], options: { mode, resizeMethod, normalize: 'clip', padValue: 114 } });
      cases.push({ name: `${mode}/${resizeMethod}/uint8 64x96${all ? ' +camera' : ''}`, n, size: [64, 96], options: { mode, resizeMethod, dtype: 'uint8', padValue: [0, 128, 255] } });
    }
  }
  const half = Math.ceil(images.length / 2);
  const batches = [
    { images: images.slice(0, half), indices: indices.slice(0, half), resizeSize: [112, 140] },
    { images: images.slice(half), indices: indices.slice(half), resizeSize: [140, 112] },
  ];
  const streamOptions = { mode: 'letterbox', normalize: 'siglip' };
  const cut = images[0].subarray(0, images[0].length >> 1);
  const withBad = { images: [images[1], cut, images[2], new Uint8Array([1, 2, 3])], indices: [0, 1, 2, 3], resizeSize: [48, 48] };

  // The reference: the cpu backend on the same inputs.
  await use('cpu');
  const reference = [];
  for (const c of cases) reference.push(await call(() => toTfTensor({ images: images.slice(0, c.n), indices: indices.slice(0, c.n), resizeSize: c.size }, { ...c.options, tf })));
  const referenceStream = [];
  for await (const t of tfBatchTensors(batches, { ...streamOptions, tf })) {
    referenceStream.push({ ...summary(t), data: await t.tensor.data() });
    t.tensor.dispose();
  }

  const rows = [];
  for (const backend of backends) {
    await use(backend);
    const row = { backend, active: tf.getBackend(), cases: [], stream: [], failing: {} };
    for (const [k, c] of cases.entries()) {
      const got = await call(() => toTfTensor({ images: images.slice(0, c.n), indices: indices.slice(0, c.n), resizeSize: c.size }, { ...c.options, tf }));
      const ref = reference[k];
      row.cases.push({
        name: c.name,
        dtype: got.dtype,
        maxDiff: maxDiff(got.data, ref.data),
        leaked: got.leaked,
        same: JSON.stringify(summary(got)) === JSON.stringify(summary(ref)),
      });
    }
    let k = 0;
    const before = tf.memory().numTensors;
    for await (const t of tfBatchTensors(batches, { ...streamOptions, tf })) {
      const ref = referenceStream[k++];
      row.stream.push({ maxDiff: maxDiff(await t.tensor.data(), ref.data), same: JSON.stringify(summary(t)) === JSON.stringify(summary(ref)) });
      t.tensor.dispose();
    }
    row.streamLeaked = tf.memory().numTensors - before;
    row.streamBatches = k;
    // A file cut in half and bytes of no format: thrown with the sample's index, or left out.
    row.failing.thrown = await failure(() => toTfTensor(withBad, { tf }));
    const skipped = await call(() => toTfTensor(withBad, { tf, skipInvalid: true }));
    row.failing.skipped = { ...summary(skipped), leaked: skipped.leaked };
    row.browser = await browserDecoder(toTfTensor, images, indices, small, withBad);
    rows.push(row);
  }
  return { tfjs: tf.version_core, rows, suites: await suiteVerdicts(toTfTensor, suites, backends[0]) };
}

/** Mean and largest absolute difference. */
function differences(a, b) {
  if (a.length !== b.length) return { mean: Infinity, max: Infinity };
  let sum = 0;
  let max = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    sum += d;
    max = Math.max(max, d);
  }
  return { mean: sum / a.length, max };
}

/**
 * `decoder: 'browser'` against the wasm decoder on the active backend: the same photos, modes and
 * sizes in 0..255 (dtype 'uint8'), per case the mean and largest difference; the same layouts;
 * the cut file and the bytes of no format refused alike.
 */
async function browserDecoder(toTfTensor, images, indices, small, withBad) {
  const out = { cases: [], failing: {} };
  for (const [mode, size, n] of [['stretch', [224, 224], images.length], ['letterbox', [64, 96], images.length], ['crop', [224, 224], small]]) {
    const options = { mode, dtype: 'uint8', tf };
    const input = { images: images.slice(0, n), indices: indices.slice(0, n), resizeSize: size };
    const wasm = await call(() => toTfTensor(input, options));
    const browser = await call(() => toTfTensor(input, { ...options, decoder: 'browser' }));
    // Per image too: which one differs most.
    const per = browser.data.length / n;
    const perImage = input.images.map((_, i) => differences(browser.data.subarray(i * per, (i + 1) * per), wasm.data.subarray(i * per, (i + 1) * per)).max);
    out.cases.push({ name: `${mode} ${size.join('x')}`, ...differences(browser.data, wasm.data), perImage, leaked: browser.leaked, same: JSON.stringify(summary(browser)) === JSON.stringify(summary(wasm)) });
  }
  out.failing.thrown = await failure(() => toTfTensor(withBad, { tf, decoder: 'browser' }));
  const skipped = await call(() => toTfTensor(withBad, { tf, decoder: 'browser', skipInvalid: true }));
  out.failing.skipped = { ...summary(skipped), leaked: skipped.leaked };
  return out;
}

/**
 * Every public-suite file through both decoders, in one batch each (32 x 32 uint8, skipInvalid):
 * `[name, wasm verdict, browser verdict, largest difference]`, a verdict being `ok` or the reject's code.
 */
async function suiteVerdicts(toTfTensor, names, backend) {
  if (names.length === 0) return [];
  await use(backend);
  const images = await Promise.all(names.map(fetchBytes));
  const runs = {};
  for (const decoder of ['wasm', 'browser']) {
    const t = await toTfTensor({ images, resizeSize: [32, 32] }, { tf, decoder, dtype: 'uint8', skipInvalid: true, resizeMethod: 'matrix' });
    const data = await t.tensor.data();
    t.tensor.dispose();
    const per = 32 * 32 * 3;
    runs[decoder] = {
      verdict: new Map(t.rejects.map((r) => [r.index, r.code])),
      pixels: new Map(t.indices.map((index, k) => [index, data.subarray(k * per, (k + 1) * per)])),
    };
  }
  return names.map((name, i) => {
    const [wasm, browser] = ['wasm', 'browser'].map((d) => runs[d].verdict.get(i) ?? 'ok');
    return [name, wasm, browser, wasm === 'ok' && browser === 'ok' ? differences(runs.wasm.pixels.get(i), runs.browser.pixels.get(i)).max : null];
  });
}
