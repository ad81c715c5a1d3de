// Before/after timing of one decode change (a hand-run tool; its figures go into docs/imaging.md):
// `toTensor` (224 x 224 float32, CLIP normalisation) on each FILE with two builds of the package's
// Node imaging entry, A and B (e.g. a copy of main's `dist/` and this branch's), interleaved run by
// run so that load from other processes on a shared machine falls on both alike. Prints, per file
// and build, the median wall and CPU (user + system) milliseconds, B's speed-up over A, and the
// load average before and after; also checks that both builds decode each file alike (the
// tensor at the image's own size, so that every decoded pixel counts).
//   node bench/decode-ab.mjs DIST_A DIST_B FILE... [--runs N]   (DIST: a folder holding imaging-node.js;
//   --runs 0: the decode check only)
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { loadavg } from 'node:os';
import { basename, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';

const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const runs = runsAt >= 0 ? Number(args.splice(runsAt, 2)[1]) : 7;
const [distA, distB, ...files] = args;
if (!distA || !distB || files.length === 0) throw new Error('usage: node bench/decode-ab.mjs DIST_A DIST_B FILE... [--runs N]');

const load = async (dist) => (await import(pathToFileURL(resolve(dist, 'imaging-node.js')).href)).toTensor;
const builds = [
  ['A', await load(distA)],
  ['B', await load(distB)],
];
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const tensorHash = (t) => createHash('sha256').update(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)).digest('hex').slice(0, 16);

const round = (x) => Math.round(x * 10) / 10;
console.log(`load average before: ${loadavg().map((x) => x.toFixed(2)).join(' ')}; ${runs} runs per build, interleaved`);
console.log('| file | A wall ms | B wall ms | A CPU ms | B CPU ms | B speed-up (CPU) | same decode |');
console.log('|---|---:|---:|---:|---:|---:|---|');
for (const file of files) {
  const batch = { images: [readFileSync(file)], resizeSize: [224, 224] };
  // Damaged files (the suites have some) are compared by their errors, at 224 x 224.
  const size = await Promise.resolve().then(() => sharp(batch.images[0]).metadata()).then(({ width, height }) => [height, width], () => [224, 224]);
  const outcome = (toTensor) => {
    try {
      return tensorHash(toTensor({ ...batch, resizeSize: size }, { normalize: 'clip' }));
    } catch (e) {
      return `error ${e.code ?? ''} ${e.message}`;
    }
  };
  const hashes = builds.map(([, toTensor]) => outcome(toTensor));
  if (hashes[0].startsWith('error') || runs === 0) {
    console.log(`| ${basename(file)} | - | - | - | - | - | ${hashes[0] === hashes[1] ? 'yes' : `NO (${hashes.join(' / ')})`}${hashes[0].startsWith('error') ? ' (both refuse it)' : ''} |`);
    continue;
  }
  for (const [, toTensor] of builds) toTensor(batch, { normalize: 'clip' }); // warm-up
  const wall = { A: [], B: [] };
  const cpu = { A: [], B: [] };
  for (let r = 0; r < runs; r++) {
    for (const [name, toTensor] of r % 2 ? [...builds].reverse() : builds) {
      const c = process.cpuUsage();
      const t = performance.now();
      toTensor(batch, { normalize: 'clip' });
      wall[name].push(performance.now() - t);
      const used = process.cpuUsage(c);
      cpu[name].push((used.user + used.system) / 1000);
    }
  }
  const [wa, wb, ca, cb] = [median(wall.A), median(wall.B), median(cpu.A), median(cpu.B)];
  console.log(`| ${basename(file)} | ${round(wa)} | ${round(wb)} | ${round(ca)} | ${round(cb)} | ${(ca / cb).toFixed(2)}x | ${hashes[0] === hashes[1] ? 'yes' : `NO (${hashes.join(' / ')})`} |`);
}
console.log(`load average after: ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
