import { wasm } from './wasm.js';

/**
 * The seed benchmark's synthetic buffer (SPEC protocol): `count` dimension-only samples with
 * height and width drawn uniformly from 224..1024 with `seed`. Identical in every runtime.
 */
export function seedBenchmarkSamples(count: number, seed = 0): { image: { width: number; height: number } }[] {
  const sizes = wasm().seedBenchmarkSizes(count, seed);
  return Array.from({ length: count }, (_, i) => ({
    image: { height: sizes[2 * i] as number, width: sizes[2 * i + 1] as number },
  }));
}
