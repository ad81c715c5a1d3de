// The GPU benchmark's payload (bench/gpu-benchmark.mjs), run in Chromium's page or a Web Worker:
// images/s of three routes to a normalised float32 NCHW batch tensor, on one TF.js backend.
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgl';
import '@tensorflow/tfjs-backend-webgpu';

const fetchBytes = async (name) => new Uint8Array(await (await fetch(new URL(`/fixtures/${name}`, globalThis.location.href))).arrayBuffer());
/** Waits for a tensor's computation by reading back one number made from all of it, then frees both. */
async function done(tensor) {
  const sum = tf.sum(tensor);
  await sum.data();
  tf.dispose([sum, tensor]);
}
const median = (v) => [...v].sort((a, b) => a - b)[v.length >> 1];

/** What the browser says its GPU is (SwiftShader means a software GPU). */
async function gpuName(backend) {
  if (backend === 'webgpu') {
    const adapter = await navigator.gpu?.requestAdapter();
    const info = adapter?.info ?? {};
    return [info.vendor, info.architecture, info.device, info.description].filter(Boolean).join(' ') || 'unknown WebGPU adapter';
  }
  const canvas = typeof OffscreenCanvas === 'function' ? new OffscreenCanvas(1, 1) : document.createElement('canvas');
  const gl = canvas.getContext('webgl2');
  const ext = gl?.getExtension('WEBGL_debug_renderer_info');
  return ext ? gl.getParameter(ext.UNMASKED_RENDERER_WEBGL) : 'unknown WebGL renderer';
}

export async function run(_lib, { imaging, backend, photos, batch, size, runs }) {
  if (!(await tf.setBackend(backend))) throw new Error(`TF.js backend ${backend} could not start`);
  await tf.ready();
  // The webgl backend warns once (a console warning, which the harness treats as a failure) when
  // its textures pass a figure derived from the screen size; 12 MP batches pass it by design.
  if (backend === 'webgl') tf.backend().numMBBeforeWarning = Number.POSITIVE_INFINITY;
  const { toTensor, toTfTensor } = imaging;
  const out = { backend, gpu: await gpuName(backend), rows: [] };
  for (const name of photos) {
    const bytes = await fetchBytes(name);
    // `batch` copies of the photo (each decoded anew: nothing is cached between calls).
    const input = { images: Array.from({ length: batch }, () => bytes.slice()), resizeSize: [size, size] };
    const options = { normalize: 'clip' };
    // Each route ends when its tensor is complete: toTensor returns data; a TF.js tensor is waited
    // for by reading one number computed from all of it (no full download).
    const routes = {
      'wasm decode + wasm resize': async () => toTensor(input, options),
      'wasm decode + GPU resize': async () => {
        const t = await toTfTensor(input, { ...options, tf });
        await done(t.tensor);
      },
      'browser decode + GPU resize': async () => {
        const t = await toTfTensor(input, { ...options, tf, decoder: 'browser' });
        await done(t.tensor);
      },
    };
    const times = Object.fromEntries(Object.keys(routes).map((k) => [k, []]));
    for (const route of Object.values(routes)) await route(); // warm-up: shaders compiled, wasm grown
    for (let r = 0; r < runs; r++) {
      // Interleaved, so load on a shared machine falls on every route alike.
      for (const [k, route] of Object.entries(routes)) {
        const start = performance.now();
        await route();
        times[k].push(performance.now() - start);
      }
    }
    const row = { photo: name, imagesPerSecond: {} };
    for (const [k, v] of Object.entries(times)) row.imagesPerSecond[k] = (batch * 1000) / median(v);
    out.rows.push(row);
  }
  out.leftTensors = tf.memory().numTensors;
  return out;
}
