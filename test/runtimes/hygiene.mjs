// Package hygiene, on the packed tarball: publint and @arethetypeswrong/cli report no problems,
// and the tarball holds only what users need (the built JS, its declarations, the .wasm, README,
// package.json). Exits non-zero on any finding.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const packageDir = resolve(here, '../../packages/mm-tokenize-batcher');
const bin = (name) => join(here, '../node_modules/.bin', name);
let failed = 0;
let passed = 0;

function check(name, fn) {
  try {
    const detail = fn();
    passed++;
    console.log(`ok   ${name}${detail ? `: ${detail}` : ''}`);
  } catch (error) {
    failed++;
    console.log(`FAIL ${name}\n${String(error.stdout ?? '')}${String(error.stderr ?? '')}${error.message}`);
  }
}

const run = (file, args) => execFileSync(file, args, { cwd: packageDir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

check('publint --strict', () => {
  const out = run(bin('publint'), ['--strict']);
  if (!/All good!/.test(out)) throw new Error(out);
});

// The .wasm subpaths are exported for custom hosts (bytes for `initSync` / `initImagingSync`);
// they are not JS entry points, so attw has no types to find there.
check('attw --pack', () => {
  run(bin('attw'), ['--pack', '.', '--exclude-entrypoints', './mm_batcher_bg.wasm', './mm_imaging_bg.wasm']);
});

check('tarball contents', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mm-batcher-pack-'));
  try {
    run('pnpm', ['pack', '--pack-destination', dir]);
    const tarball = join(dir, readdirSync(dir).find((f) => f.endsWith('.tgz')));
    const files = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).trim().split('\n').map((f) => f.replace(/^package\//, ''));
    // imaging/package.json: `mm-tokenize-batcher/imaging` for resolvers that ignore `exports`
    // (TypeScript's node10 resolution, old bundlers and Jest); it points into dist/.
    // loader/package.json: the same for `mm-tokenize-batcher/loader`.
    // examples/python/batch_sampler.py: turns a CLI plan into a PyTorch batch_sampler (docs/cli.md).
    const allowed = /^(package\.json|(imaging|loader)\/package\.json|README\.md|LICENSE|dist\/[\w.-]+\.(js|cjs|d\.ts|d\.cts)|dist\/mm_(batcher|imaging)_bg\.wasm|examples\/python\/batch_sampler\.py)$/;
    const extra = files.filter((f) => !allowed.test(f));
    if (extra.length) throw new Error(`unexpected files in the tarball: ${extra.join(', ')}`);
    for (const needed of ['package.json', 'README.md', 'dist/mm_batcher_bg.wasm', 'dist/node.js', 'dist/node.cjs', 'dist/web.js', 'dist/workerd.js', 'dist/edge-light.js',
      'dist/mm_imaging_bg.wasm', 'dist/imaging-node.js', 'dist/imaging-node.cjs', 'dist/imaging-web.js', 'dist/imaging-web.cjs', 'dist/imaging-workerd.js', 'dist/imaging-edge-light.js',
      'dist/imaging-workerd.d.ts', 'dist/imaging-edge-light.d.ts', 'imaging/package.json', 'examples/python/batch_sampler.py',
      // The imaging pool's worker scripts (createImagingPool), located by the entries like the .wasm.
      'dist/imaging-worker-node.js', 'dist/imaging-worker-web.js',
      // The data loader (createLoader), both modules.
      'dist/loader-node.js', 'dist/loader-node.cjs', 'dist/loader-web.js', 'dist/loader-web.cjs', 'loader/package.json']) {
      if (!files.includes(needed)) throw new Error(`${needed} is missing from the tarball`);
    }
    return `${files.length} files`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// The two modules stay apart in the built files: an imaging entry loads no planning glue (and
// not the planning .wasm), a planning entry no codec glue. Followed through every import.
check('imaging and planning entries load only their own module', () => {
  const dist = join(packageDir, 'dist');
  const closure = (entry) => {
    const seen = new Set();
    const visit = (file) => {
      if (seen.has(file)) return;
      seen.add(file);
      const text = readFileSync(join(dist, file), 'utf8');
      for (const [, spec] of text.matchAll(/(?:from|import|require\()\s*["'](\.\/[^"']+\.(?:js|cjs))["']/g)) visit(spec.slice(2));
    };
    visit(entry);
    return [...seen].map((f) => readFileSync(join(dist, f), 'utf8')).join('\n');
  };
  const planning = ['planBuffer', 'mm_batcher_bg'];
  const imaging = ['batchTensor', 'mm_imaging_bg'];
  const problems = [];
  for (const runtime of ['node.js', 'node.cjs', 'web.js', 'web.cjs', 'workerd.js', 'edge-light.js']) {
    const code = closure(`imaging-${runtime}`);
    for (const marker of planning) if (code.includes(marker)) problems.push(`imaging-${runtime} loads ${marker}`);
    const own = closure(runtime);
    for (const marker of imaging) if (own.includes(marker)) problems.push(`${runtime} loads ${marker}`);
  }
  if (problems.length) throw new Error(problems.join('; '));
  return '12 entries checked';
});

console.log(`hygiene: ${passed} passed, ${failed} failed`);
process.exitCode = failed ? 1 : 0;
