// Runs a "payload" (an ES module exporting `async run(lib, args)`, where `lib` is the package's
// namespace) in each runtime, with the package installed from `pnpm pack`'s tarball into a
// scratch consumer project, the way users get it. Shared by the conformance matrix
// (test/runtimes/matrix.mjs) and the cross-runtime benchmark (bench/runtimes-benchmark.mjs).
//
//   node, bun, deno     a generated entry script run by each binary in the consumer project
//   workerd             a worker script bundled as Wrangler does (esbuild, conditions workerd/worker/
//                       browser, the .wasm kept as a module), served by workerd through Miniflare
//                       on 127.0.0.1 and asked over HTTP; `workerd-edge-light` bundles with the
//                       `edge-light` condition instead (Vercel Edge's entry, `?module` wasm import)
//   chromium            a page built by Vite from a consumer app, served on 127.0.0.1, driven by
//                       playwright-core in Debian's headless Chromium; `chromium-webworker` runs
//                       the payload in a module Web Worker of the same page; `chromium-vite-dev`
//                       loads the app from Vite's dev server (dependency pre-bundling) instead;
//                       `chromium-esbuild` bundles the same app with esbuild, which does not follow
//                       `new URL(...)`: the recipe of docs/pool.md copies the two .wasm files and
//                       the self-contained worker script beside the bundle
//   node-worker         the payload inside a worker_threads Worker
//
// Every driver also imports `mm-tokenize-batcher/imaging`, awaits `initImaging()` and hands its
// namespace to the payload as `args.imaging` (the payload is called `run(lib, { ...args, imaging })`).
import { execFileSync, spawn } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bunBinary, chromiumBinary, denoBinary } from './binaries.mjs';

const here = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(here, '../..');
const packageDir = join(repoRoot, 'packages/mm-tokenize-batcher');
export const RUNTIMES = ['node', 'bun', 'deno', 'workerd', 'chromium', 'chromium-webworker', 'chromium-vite-dev', 'chromium-esbuild', 'node-worker', 'workerd-edge-light'];
const MARK = '@@RESULT ';

function sh(file, args, options = {}) {
  return execFileSync(file, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], ...options });
}

/** Packs the package (its `files` only, as published) and installs the tarball into a scratch consumer. */
export function prepareConsumer({ keep = false } = {}) {
  const root = mkdtempSync(join(tmpdir(), 'mm-batcher-consumer-'));
  sh('pnpm', ['pack', '--pack-destination', root], { cwd: packageDir });
  const tarball = readdirSync(root).find((f) => f.endsWith('.tgz'));
  if (!tarball) throw new Error(`pnpm pack left no tarball in ${root}`);
  const app = join(root, 'app');
  mkdirSync(app);
  writeFileSync(
    join(app, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module', dependencies: { 'mm-tokenize-batcher': `file:../${tarball}` } }, null, 2),
  );
  // The tarball has no dependencies, so this needs nothing from the network.
  sh('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], { cwd: app });
  return {
    root,
    app,
    tarball: join(root, tarball),
    dispose: () => keep || rmSync(root, { recursive: true, force: true }),
  };
}

/** Copies a payload module into the consumer app as ./payload.js, and the examples as ./examples. */
function installPayload(consumer, payloadPath) {
  copyFileSync(payloadPath, join(consumer.app, 'payload.js'));
  cpSync(join(here, '../examples'), join(consumer.app, 'examples'), { recursive: true });
}

/** The README's worker_threads example, run by Node in the consumer project. */
export function runWorkerThreadsExample(consumer) {
  cpSync(join(here, '../examples'), join(consumer.app, 'examples'), { recursive: true });
  return runProcessText('worker_threads example', process.execPath, [join('examples/worker-threads/main.mjs')], consumer.app);
}

function runProcessText(name, file, args, cwd) {
  return new Promise((ok, fail) => {
    const child = spawn(file, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', (error) => fail(new Error(`${name}: could not start: ${error.message}`)));
    child.on('close', (code) => (code === 0 ? ok(out) : fail(new Error(`${name}: exited with ${code}\n${out}`))));
  });
}

function parseResult(runtime, stdout, stderr) {
  const line = stdout.split('\n').find((l) => l.startsWith(MARK));
  if (!line) throw new Error(`${runtime}: printed no result\n--- stdout\n${stdout.slice(-3000)}\n--- stderr\n${stderr.slice(-3000)}`);
  const parsed = JSON.parse(line.slice(MARK.length));
  if (!parsed.ok) throw new Error(`${runtime}: the payload failed: ${parsed.error}`);
  return parsed;
}

function runProcess(runtime, file, args, cwd, env = {}) {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(file, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 240_000);
    child.on('error', (error) => reject(new Error(`${runtime}: could not start ${file}: ${error.message}`)));
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code !== 0) {
        reject(new Error(`${runtime}: exited with ${signal ?? code}\n--- stdout\n${stdout.slice(-3000)}\n--- stderr\n${stderr.slice(-3000)}`));
        return;
      }
      try {
        resolvePromise(parseResult(runtime, stdout, stderr));
      } catch (error) {
        reject(error);
      }
    });
  });
}

let cliCounter = 0;
/** node / bun / deno: a generated entry that imports the package by name, as an app would. */
function cliEntry(consumer, args) {
  const name = `entry-${++cliCounter}.mjs`;
  writeFileSync(
    join(consumer.app, name),
    `import * as lib from 'mm-tokenize-batcher';
import * as imaging from 'mm-tokenize-batcher/imaging';
import { run } from './payload.js';
const resolve = (name) => (typeof import.meta.resolve === 'function' ? import.meta.resolve(name) : null);
let out;
try {
  await lib.init();
  await imaging.initImaging();
  const result = await run(lib, { ...${JSON.stringify(args)}, imaging });
  out = { ok: true, entry: resolve('mm-tokenize-batcher'), imagingEntry: resolve('mm-tokenize-batcher/imaging'), result };
} catch (error) {
  out = { ok: false, error: String(error && error.stack || error) };
}
console.log(${JSON.stringify(MARK)} + JSON.stringify(out));
`,
  );
  return name;
}

function nodeWorkerEntry(consumer, args) {
  const name = `entry-${++cliCounter}.mjs`;
  // The payload runs inside a worker_threads Worker; the main thread only relays the result.
  writeFileSync(
    join(consumer.app, `${name}.worker.mjs`),
    `import { parentPort } from 'node:worker_threads';
import * as lib from 'mm-tokenize-batcher';
import * as imaging from 'mm-tokenize-batcher/imaging';
import { run } from './payload.js';
try {
  await lib.init();
  await imaging.initImaging();
  parentPort.postMessage({ ok: true, result: await run(lib, { ...${JSON.stringify(args)}, imaging }) });
} catch (error) {
  parentPort.postMessage({ ok: false, error: String(error && error.stack || error) });
}
`,
  );
  writeFileSync(
    join(consumer.app, name),
    `import { Worker } from 'node:worker_threads';
const worker = new Worker(new URL('./${name}.worker.mjs', import.meta.url));
worker.once('message', (out) => { console.log(${JSON.stringify(MARK)} + JSON.stringify(out)); worker.terminate(); });
worker.once('error', (error) => { console.log(${JSON.stringify(MARK)} + JSON.stringify({ ok: false, error: String(error.stack || error) })); });
`,
  );
  return name;
}

// ---------------------------------------------------------------- workerd (Miniflare)

/** workerd rejects compatibility dates past its build; Miniflare 4.20260730.0 accepts up to 2026-08-06. */
export const COMPATIBILITY_DATE = '2026-07-30';

/**
 * `conditions` are Wrangler's by default; `edge-light` first resolves the Vercel Edge entry (its
 * `?module` wasm import), which workerd then runs: the same no-compile-from-bytes rule holds there.
 */
async function buildWorker(consumer, { edgeLight = false } = {}) {
  const dir = join(consumer.app, edgeLight ? 'worker-edge-light' : 'worker');
  const out = join(dir, 'dist');
  mkdirSync(out, { recursive: true });
  writeFileSync(
    join(dir, 'worker.js'),
    `import * as lib from 'mm-tokenize-batcher';
import * as imaging from 'mm-tokenize-batcher/imaging';
import { run } from '../payload.js';
export default {
  async fetch(request) {
    try {
      const args = JSON.parse(new URL(request.url).searchParams.get('args') ?? '{}');
      await lib.init();
      await imaging.initImaging();
      return Response.json({ ok: true, result: await run(lib, { ...args, imaging }) });
    } catch (error) {
      return Response.json({ ok: false, error: String(error && error.stack || error) });
    }
  },
};
`,
  );
  const esbuild = await import('esbuild');
  // What Wrangler does: resolve with conditions workerd, worker, browser; keep each imported .wasm
  // a separate module, uploaded as compiled wasm (`CompiledWasm`) next to the script.
  const wasmFiles = [];
  const result = await esbuild.build({
    entryPoints: [join(dir, 'worker.js')],
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    conditions: edgeLight ? ['edge-light', 'worker', 'browser'] : ['workerd', 'worker', 'browser'],
    mainFields: ['browser', 'module', 'main'],
    outfile: join(out, 'worker.js'),
    metafile: true,
    logLevel: 'error',
    plugins: [
      {
        name: 'wasm-modules',
        setup(build) {
          build.onResolve({ filter: /\.wasm(\?module)?$/ }, (args) => {
            const path = resolve(args.resolveDir, args.path.replace(/\?module$/, ''));
            const name = basename(path);
            copyFileSync(path, join(out, name));
            wasmFiles.push(name);
            return { path: `./${name}`, external: true };
          });
        },
      },
    ],
  });
  const inputs = Object.keys(result.metafile.inputs);
  const entries = inputs.filter((i) => /mm-tokenize-batcher\/dist\/[^/]+\.js$/.test(i) && !/chunk-/.test(i));
  const entry = entries.find((i) => !/\/dist\/imaging-/.test(i));
  const imagingEntry = entries.find((i) => /\/dist\/imaging-/.test(i));
  const expected = edgeLight ? '/dist/edge-light.js' : '/dist/workerd.js';
  if (!entry?.endsWith(expected)) throw new Error(`workerd: the bundle used ${entry}, not …${expected}`);
  const expectedImaging = edgeLight ? '/dist/imaging-edge-light.js' : '/dist/imaging-workerd.js';
  if (!imagingEntry?.endsWith(expectedImaging)) throw new Error(`workerd: the bundle used ${imagingEntry} for /imaging, not …${expectedImaging}`);
  // Two imported modules: the planning one and the imaging one, each its own CompiledWasm.
  const wanted = ['mm_batcher_bg.wasm', 'mm_imaging_bg.wasm'];
  const got = [...new Set(wasmFiles)].sort();
  if (JSON.stringify(got) !== JSON.stringify(wanted)) throw new Error(`workerd: expected the imported .wasm modules ${wanted.join(', ')}, got ${got.join(', ') || 'none'}`);
  return { out, entry, imagingEntry, wasm: got };
}

/** Starts workerd with the bundled worker; `fetch(args)` asks it over loopback HTTP. */
export async function startWorkerd(consumer, payloadPath, options = {}) {
  installPayload(consumer, payloadPath);
  const { out, entry, imagingEntry, wasm } = await buildWorker(consumer, options);
  const { Miniflare } = await import('miniflare');
  const mf = new Miniflare({
    modules: [{ type: 'ESModule', path: join(out, 'worker.js') }, ...wasm.map((name) => ({ type: 'CompiledWasm', path: join(out, name) }))],
    modulesRoot: out,
    compatibilityDate: COMPATIBILITY_DATE,
    host: '127.0.0.1',
    port: 0,
  });
  const url = await mf.ready;
  if (!['127.0.0.1', 'localhost'].includes(url.hostname)) throw new Error(`workerd: listening on ${url}, not loopback`);
  return {
    entry,
    imagingEntry,
    async fetch(args) {
      const response = await fetch(`${url.origin}/?args=${encodeURIComponent(JSON.stringify(args))}`);
      const parsed = await response.json();
      if (!parsed.ok) throw new Error(`workerd: the payload failed: ${parsed.error}`);
      return parsed;
    },
    dispose: () => mf.dispose(),
  };
}

// ---------------------------------------------------------------- Chromium (Vite + playwright-core)

const MIME = { '.html': 'text/html', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css', '.json': 'application/json' };

function serveStatic(dir) {
  const server = createServer((req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    const file = join(dir, path === '/' ? 'index.html' : path);
    if (!file.startsWith(dir)) return res.writeHead(403).end();
    try {
      const body = readFileSync(file);
      res.writeHead(200, { 'content-type': MIME[extname(file)] ?? 'application/octet-stream' }).end(body);
    } catch {
      res.writeHead(404).end('not found');
    }
  });
  return new Promise((ok) => server.listen(0, '127.0.0.1', () => ok(server)));
}

async function buildWebApp(consumer) {
  const dir = join(consumer.app, 'web');
  cpSync(join(here, 'web-app'), dir, { recursive: true });
  const { build } = await import('vite');
  await build({ root: dir, logLevel: 'error', configFile: false, build: { outDir: join(dir, 'dist'), emptyOutDir: true } });
  const assets = readdirSync(join(dir, 'dist/assets'));
  for (const name of ['mm_batcher_bg', 'mm_imaging_bg']) {
    if (!assets.some((f) => f.startsWith(name) && f.endsWith('.wasm'))) throw new Error(`chromium: Vite emitted no ${name}*.wasm asset (assets: ${assets.join(', ')})`);
  }
  return join(dir, 'dist');
}

/**
 * The same consumer app bundled by esbuild (main-thread mode), as docs/pool.md's recipe says: one
 * bundle, then the package's `mm_batcher_bg.wasm`, `mm_imaging_bg.wasm` and `imaging-worker-web.js`
 * copied next to it, where the package's `new URL(..., import.meta.url)` finds them.
 */
async function buildEsbuildApp(consumer) {
  const dir = join(consumer.app, 'web');
  cpSync(join(here, 'web-app'), dir, { recursive: true });
  const out = join(dir, 'esbuild-dist');
  const { build } = await import('esbuild');
  await build({ entryPoints: [join(dir, 'main.js')], bundle: true, format: 'esm', platform: 'browser', outdir: out, logLevel: 'error' });
  const dist = join(consumer.app, 'node_modules/mm-tokenize-batcher/dist');
  for (const name of ['mm_batcher_bg.wasm', 'mm_imaging_bg.wasm', 'imaging-worker-web.js']) copyFileSync(join(dist, name), join(out, name));
  writeFileSync(join(out, 'index.html'), readFileSync(join(dir, 'index.html'), 'utf8'));
  return out;
}

/** Vite's dev server on the consumer app (dependency pre-bundling and all), on loopback. */
async function serveViteDev(consumer) {
  const dir = join(consumer.app, 'web');
  cpSync(join(here, 'web-app'), dir, { recursive: true });
  const { createServer: createViteServer } = await import('vite');
  const vite = await createViteServer({ root: dir, configFile: false, logLevel: 'error', server: { host: '127.0.0.1', port: 0, hmr: false } });
  await vite.listen();
  const url = new URL(vite.resolvedUrls.local[0]);
  return { address: () => ({ port: Number(url.port) }), close: (done) => vite.close().then(done) };
}

/**
 * WebGL2 and WebGPU in headless Chromium without a GPU: ANGLE on SwiftShader (a software Vulkan
 * device) for WebGL, and Dawn's SwiftShader adapter for WebGPU. On a machine with a GPU, leave out
 * the SwiftShader flags to get the real one.
 */
export const GPU_FLAGS = ['--enable-unsafe-webgpu', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'];

/** The TF.js packages the GPU payloads import, linked from this workspace into the consumer app (no download). */
const TFJS_PACKAGES = ['tfjs-core', 'tfjs-backend-cpu', 'tfjs-backend-webgl', 'tfjs-backend-webgpu'];
function linkTfjs(consumer) {
  const scope = join(consumer.app, 'node_modules/@tensorflow');
  mkdirSync(scope, { recursive: true });
  for (const name of TFJS_PACKAGES) {
    const target = realpathSync(join(here, '../node_modules/@tensorflow', name));
    if (!existsSync(join(scope, name))) symlinkSync(target, join(scope, name), 'dir');
  }
}

/**
 * Builds the Vite app (or, with `dev`, starts Vite's dev server), serves it on loopback and opens
 * Chromium; `run(args, inWorker)` evaluates the payload.
 */
export async function startChromium(consumer, payloadPath, { dev = false, esbuild = false, gpu = false, files = [] } = {}) {
  installPayload(consumer, payloadPath);
  if (gpu) linkTfjs(consumer);
  if (dev && files.length) throw new Error('chromium: files are served with the built app only, not the dev server');
  const dist = dev ? null : esbuild ? await buildEsbuildApp(consumer) : await buildWebApp(consumer);
  // Files the payload fetches from the page's origin, at /fixtures/<name>.
  for (const [name, path] of files) {
    mkdirSync(dirname(join(dist, 'fixtures', name)), { recursive: true });
    copyFileSync(path, join(dist, 'fixtures', name));
  }
  const server = dev ? await serveViteDev(consumer) : await serveStatic(dist);
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: chromiumBinary,
    args: ['--headless', '--no-sandbox', ...(gpu === true ? GPU_FLAGS : gpu || ['--disable-gpu']), '--disable-background-networking', '--disable-dev-shm-usage', '--no-first-run'],
  });
  const page = await browser.newPage();
  const problems = [];
  page.on('console', (m) => ['warning', 'error'].includes(m.type()) && problems.push(`${m.type()}: ${m.text()}`));
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  // A request the page gave up on (net::ERR_ABORTED), though header reads against the Range
  // server get exactly the bytes they ask for: the body must be let end, not cancelled (issue 26).
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.failure()?.errorText} for ${r.url()}`));
  const wasmResponses = [];
  page.on('response', (r) => {
    if (r.status() >= 400) problems.push(`HTTP ${r.status()} for ${r.url()}`);
    if (r.url().endsWith('.wasm')) wasmResponses.push(r);
  });
  const origin = `http://127.0.0.1:${server.address().port}`;
  return {
    version: browser.version(),
    /** The README's Web Worker example: [[case, passed, detail]]. */
    async example() {
      problems.length = 0;
      await page.goto(`${origin}/?mode=example`);
      const out = await page.evaluate(() => window.__result);
      if (!out.ok) throw new Error(`web worker example failed: ${out.error}\n${problems.join('\n')}`);
      if (problems.length) throw new Error(`web worker example: the page reported:\n${problems.join('\n')}`);
      return out.result;
    },
    async run(args, inWorker = false) {
      problems.length = 0;
      const query = new URLSearchParams({ args: JSON.stringify(args), mode: inWorker ? 'worker' : 'main' });
      await page.goto(`${origin}/?${query}`);
      const out = await page.evaluate(() => window.__result);
      const name = inWorker ? 'chromium-webworker' : dev ? 'chromium-vite-dev' : esbuild ? 'chromium-esbuild' : 'chromium';
      if (!out.ok) throw new Error(`${name}: the payload failed: ${out.error}\n${problems.join('\n')}`);
      // wasm-bindgen warns and falls back to compiling from bytes when streaming is impossible.
      if (problems.length) throw new Error(`${name}: the page reported:\n${problems.join('\n')}`);
      // Both modules, planning and imaging, fetched (and so streamed: served as application/wasm).
      for (const stem of ['mm_batcher_bg', 'mm_imaging_bg']) {
        const wasm = wasmResponses.findLast((r) => new URL(r.url()).pathname.split('/').pop().startsWith(stem));
        if (!wasm) throw new Error(`${name}: the page fetched no ${stem}*.wasm`);
        if (wasm.headers()['content-type'] !== 'application/wasm') throw new Error(`${name}: ${stem} .wasm served as ${wasm.headers()['content-type']}`);
      }
      wasmResponses.length = 0;
      return out;
    },
    async dispose() {
      await browser.close();
      await new Promise((ok) => server.close(ok));
    },
  };
}

// ---------------------------------------------------------------- one call for everything

/**
 * Prepares a runtime to run `payloadPath` repeatedly: returns `{ run(args) }` and `dispose()`.
 * `consumer` comes from prepareConsumer(). `chromiumOptions` (Chromium only): `gpu` (WebGL and
 * WebGPU on SwiftShader, TF.js importable; or an array of Chromium flags for another GPU), `files` ([name, path] pairs served at /fixtures/<name>).
 */
export async function openRuntime(runtime, consumer, payloadPath, chromiumOptions = {}) {
  installPayload(consumer, payloadPath);
  const cwd = consumer.app;
  switch (runtime) {
    case 'node':
      return { run: (args) => runProcess(runtime, process.execPath, [cliEntry(consumer, args)], cwd), dispose() {} };
    case 'node-worker':
      return { run: (args) => runProcess(runtime, process.execPath, [nodeWorkerEntry(consumer, args)], cwd), dispose() {} };
    case 'bun':
      return { run: (args) => runProcess(runtime, bunBinary(), ['run', cliEntry(consumer, args)], cwd), dispose() {} };
    case 'deno': {
      const env = { DENO_NO_UPDATE_CHECK: '1', DENO_NO_PROMPT: '1', DENO_DIR: join(consumer.root, 'deno-dir') };
      return {
        // --allow-net to loopback only: the URL-size payload reads from a local server.
        run: (args) => runProcess(runtime, denoBinary(), ['run', '--no-lock', '--allow-read', '--allow-env', '--allow-net=127.0.0.1', cliEntry(consumer, args)], cwd, env),
        dispose() {},
      };
    }
    case 'workerd':
    case 'workerd-edge-light': {
      const w = await startWorkerd(consumer, payloadPath, { edgeLight: runtime === 'workerd-edge-light' });
      return { run: (args) => w.fetch(args).then((r) => ({ ...r, entry: w.entry, imagingEntry: w.imagingEntry })), dispose: () => w.dispose() };
    }
    case 'chromium':
    case 'chromium-webworker':
    case 'chromium-vite-dev':
    case 'chromium-esbuild': {
      const c = await startChromium(consumer, payloadPath, { ...chromiumOptions, dev: runtime === 'chromium-vite-dev', esbuild: runtime === 'chromium-esbuild' });
      return { run: (args) => c.run(args, runtime === 'chromium-webworker'), example: () => c.example(), dispose: () => c.dispose() };
    }
    default:
      throw new Error(`unknown runtime ${runtime}`);
  }
}
