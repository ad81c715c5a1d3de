import { copyFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

export default defineConfig({
  entry: {
    node: 'src/node.ts',
    web: 'src/web.ts',
    'imaging-node': 'src/imaging-node.ts',
    'imaging-web': 'src/imaging-web.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  // `import.meta.url` locates the .wasm; in the CommonJS build it is shimmed from __filename.
  shims: true,
  target: 'es2022',
  platform: 'neutral',
  external: ['node:fs', '@tensorflow/tfjs-core'],
  clean: true,
  sourcemap: false,
  async onSuccess() {
    copyFileSync('wasm/mm_batcher_bg.wasm', 'dist/mm_batcher_bg.wasm');
    copyFileSync('wasm/mm_imaging_bg.wasm', 'dist/mm_imaging_bg.wasm');
  },
});
