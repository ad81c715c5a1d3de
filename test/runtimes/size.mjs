// Prints the raw and gzipped (level 9) size of every shipped .wasm and JS file, and what each
// entry (planning and `/imaging`) loads in total (entry + shared chunks + wasm). Reads the built package (dist/, which is
// what the tarball ships besides package.json and the README).
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const dist = resolve(dirname(fileURLToPath(import.meta.url)), '../../packages/mm-tokenize-batcher/dist');
const files = readdirSync(dist).filter((f) => /\.(wasm|js|cjs)$/.test(f)).sort();
const size = (f) => {
  const bytes = readFileSync(join(dist, f));
  return { raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
};
const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
const rows = files.map((f) => ({ file: `dist/${f}`, ...size(f) }));
console.log(`| file | bytes | gzipped |\n|---|---:|---:|`);
for (const r of rows) console.log(`| ${r.file} | ${r.raw} (${kb(r.raw)}) | ${r.gzip} (${kb(r.gzip)}) |`);

// What each entry pulls in: itself, the files it imports (chunks), and the .wasm.
console.log(`\n| entry | loads | gzipped total |\n|---|---|---:|`);
const ENTRIES = ['node.js', 'node.cjs', 'web.js', 'workerd.js', 'edge-light.js'];
for (const entry of [...ENTRIES, ...ENTRIES.map((e) => `imaging-${e}`)]) {
  if (!files.includes(entry)) continue;
  const text = readFileSync(join(dist, entry), 'utf8');
  const chunks = [...text.matchAll(/from\s+["']\.\/(chunk-[\w-]+\.js)["']/g)].map((m) => m[1]);
  const loads = [entry, ...chunks, entry.startsWith('imaging-') ? 'mm_imaging_bg.wasm' : 'mm_batcher_bg.wasm'];
  const total = loads.reduce((sum, f) => sum + size(f).gzip, 0);
  console.log(`| ${entry} | ${loads.join(' + ')} | ${total} (${kb(total)}) |`);
}
