// Fails the build when a .wasm holds no SIMD (v128) instruction: the package promises a
// simd128 build, and a toolchain that silently drops the target feature would break that.
import { readFileSync } from 'node:fs';
import binaryen from 'binaryen';

const file = process.argv[2];
const module = binaryen.readBinary(readFileSync(file));
module.setFeatures(binaryen.Features.All);
// Binaryen's text names every SIMD opcode by its lane shape (v128.load, f64x2.mul, i8x16.swizzle ...).
const simd = module.emitText().match(/\b(?:v128|[if](?:8x16|16x8|32x4|64x2))\.[a-z_0-9]+/g) ?? [];
module.dispose();
if (simd.length === 0) {
  console.error(`${file}: no SIMD instructions; was it built with -C target-feature=+simd128?`);
  process.exit(1);
}
const kinds = new Set(simd.map((op) => op.split('.')[0]));
console.log(`${file}: ${simd.length} SIMD instructions (${[...kinds].sort().join(', ')})`);
