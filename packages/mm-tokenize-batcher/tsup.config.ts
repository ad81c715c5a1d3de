import { copyFileSync, writeFileSync } from 'node:fs';
import { defineConfig, type Options } from 'tsup';

// Every entry exports the same API (src/planning/api.ts); they differ only in how they obtain the
// wasm (src/planning/entries/):
//   node.ts        Node, Bun, Deno: reads the file next to it, instantiates at import
//   web.ts         browsers, Web Workers, custom hosts: `await init()` streams it (or `initSync`)
//   workerd.ts     Cloudflare workerd: `import wasmModule from './mm_batcher_bg.wasm'`
//   edge-light.ts  Vercel Edge: the same with `?module`
// `mm-tokenize-batcher/imaging` has the same four in src/imaging/entries/ (dist/imaging-*.js).
// The .wasm files stay files next to the JS (dist/mm_batcher_bg.wasm, dist/mm_imaging_bg.wasm), never inlined.
const common: Options = {
  dts: true,
  target: 'es2022',
  platform: 'neutral',
  external: [
    'node:fs',
    'node:fs/promises',
    'node:os',
    'node:worker_threads',
    '@tensorflow/tfjs-core',
    './mm_batcher_bg.wasm',
    './mm_batcher_bg.wasm?module',
    './mm_imaging_bg.wasm',
    './mm_imaging_bg.wasm?module',
    'papaparse',
  ],
  clean: false, // `pnpm build` empties dist/ once; the two configs run side by side
  sourcemap: false,
};

export default defineConfig([
  {
    ...common,
    entry: {
      node: 'src/planning/entries/node.ts',
      web: 'src/planning/entries/web.ts',
      // The imaging module (codecs, resizing) is its own subpath, so planning-only users skip it.
      'imaging-node': 'src/imaging/entries/node.ts',
      'imaging-web': 'src/imaging/entries/web.ts',
      // The data loader (files or URLs in, batch tensors out): both modules, so its own subpath.
      'loader-node': 'src/loader/entries/node.ts',
      'loader-web': 'src/loader/entries/web.ts',
    },
    format: ['esm', 'cjs'],
    // `import.meta.url` locates the .wasm; in the CommonJS build it is shimmed from __filename.
    shims: true,
    async onSuccess() {
      copyFileSync('wasm/mm_batcher_bg.wasm', 'dist/mm_batcher_bg.wasm');
      copyFileSync('wasm/mm_imaging_bg.wasm', 'dist/mm_imaging_bg.wasm');
    },
  },
  {
    ...common,
    // Edge runtimes load ES modules only. Their API (and its types) is the Node entry's: `init()`
    // / `initImaging()` is a no-op, the module is ready at import, except the Node-only
    // `imageSizesFromFiles` (node:fs), so their declarations are the web entry's with Node's `init`.
    // (One declaration build, so the two configs never write the same shared .d.ts at once.)
    entry: {
      workerd: 'src/planning/entries/workerd.ts',
      'edge-light': 'src/planning/entries/edge-light.ts',
      'imaging-workerd': 'src/imaging/entries/workerd.ts',
      'imaging-edge-light': 'src/imaging/entries/edge-light.ts',
    },
    format: ['esm'],
    dts: false,
    async onSuccess() {
      for (const name of ['workerd', 'edge-light']) {
        writeFileSync(`dist/${name}.d.ts`, "export * from './web.js';\nexport { init } from './node.js';\n");
        writeFileSync(`dist/imaging-${name}.d.ts`, "export * from './imaging-node.js';\n");
      }
    },
  },
  {
    ...common,
    // The imaging pool's worker scripts (createImagingPool), ES modules located by the entries
    // with `new URL('./imaging-worker-*.js', import.meta.url)`; each loads the imaging .wasm itself.
    // Each is ONE self-contained file (no chunk imports: `splitting: false`; the web one imports
    // nothing at all, the Node one only `node:` modules), so a bundler that does not follow
    // `new URL(...)` (esbuild, Rollup without a plugin) needs only this file and the .wasm copied
    // beside the bundle (docs/pool.md). test/worker-bundle.test.ts checks it.
    entry: {
      'imaging-worker-node': 'src/imaging/workers/node.ts',
      'imaging-worker-web': 'src/imaging/workers/web.ts',
    },
    format: ['esm'],
    splitting: false,
    dts: false,
  },
  {
    // The command-line tool (package.json `bin`), Node only. It imports the library by its own
    // name (a self-reference Node resolves through `exports`), so it carries no second copy.
    entry: { cli: 'src/cli/main.ts' },
    format: ['esm'],
    platform: 'node',
    target: 'node18',
    dts: false,
    clean: false,
    sourcemap: false,
    external: ['mm-tokenize-batcher', 'mm-tokenize-batcher/imaging', 'mm-tokenize-batcher/loader', 'tinyglobby', 'fastest-levenshtein'],
    banner: { js: '#!/usr/bin/env node' },
  },
]);
