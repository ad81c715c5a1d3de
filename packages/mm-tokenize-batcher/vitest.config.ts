import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// Tests import the package by its name and get the built files (dist/), as users do.
export default defineConfig({
  resolve: {
    alias: [
      { find: /^mm-tokenize-batcher\/loader$/, replacement: fileURLToPath(new URL('./dist/loader-node.js', import.meta.url)) },
      { find: /^mm-tokenize-batcher\/imaging$/, replacement: fileURLToPath(new URL('./dist/imaging-node.js', import.meta.url)) },
      { find: /^mm-tokenize-batcher$/, replacement: fileURLToPath(new URL('./dist/node.js', import.meta.url)) },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
  },
});
