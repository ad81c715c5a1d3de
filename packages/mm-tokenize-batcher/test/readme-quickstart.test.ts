// The README's quickstart, as a user copies it: its first code block is type-checked with
// `tsc --strict` against the built declarations and run with Node on a folder of captioned photos
// (the committed fixtures, one of them cut in half), importing the package by its name.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, test } from 'vitest';
import { FIXTURES, photo } from './helpers.js';

const packageDir = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
const section = readme.slice(readme.indexOf('## Quickstart'));
const code = /```ts\n([\s\S]*?)```/.exec(section)![1]!;
const dir = mkdtempSync(join(tmpdir(), 'quickstart-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('the quickstart is at most 15 lines of code', () => {
  const lines = code.split('\n').filter((l) => l.trim() !== '' && !l.trim().startsWith('//'));
  expect(lines.length).toBeLessThanOrEqual(15);
});

test('the quickstart compiles with tsc --strict and runs: three epochs of batches, the cut file replaced and reported', () => {
  // The consumer project: the package installed by name (a link to this package), the quickstart, its images.
  mkdirSync(join(dir, 'node_modules'));
  symlinkSync(packageDir, join(dir, 'node_modules', 'mm-tokenize-batcher'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  writeFileSync(join(dir, 'quickstart.ts'), code);
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noUncheckedIndexedAccess: true, lib: ['ES2022', 'DOM'], types: [], skipLibCheck: false, outDir: 'out' },
      files: ['quickstart.ts'],
    }),
  );
  mkdirSync(join(dir, 'images'));
  const lines: string[] = [];
  for (const f of FIXTURES) {
    writeFileSync(join(dir, 'images', f.file), photo(f.file));
    lines.push(JSON.stringify({ file: f.file, text: `a photo: ${f.file}` }));
  }
  const cut = photo('astronaut.jpg');
  writeFileSync(join(dir, 'images', 'cut.jpg'), cut.subarray(0, cut.length >> 1));
  lines.push(JSON.stringify({ file: 'cut.jpg', text: 'cut in half' }));
  writeFileSync(join(dir, 'images', 'captions.jsonl'), `${lines.join('\n')}\n`);

  const tsc = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));
  let diagnostics = '';
  try {
    execFileSync(process.execPath, [tsc, '-p', join(dir, 'tsconfig.json')], { encoding: 'utf8', stdio: 'pipe' });
  } catch (error) {
    diagnostics = String((error as { stdout?: string }).stdout ?? error);
  }
  expect(diagnostics).toBe('');
  const stdout = execFileSync(process.execPath, [join(dir, 'out', 'quickstart.js')], { cwd: dir, encoding: 'utf8' });
  // Nine images a step, three epochs: each line "[ n, 3, h, w ] n".
  const steps = stdout.split('\n').filter((l) => /^\[ \d+, 3, \d+, \d+ \] \d+$/.test(l));
  expect(steps).toHaveLength(3);
  for (const s of steps) expect(s).toMatch(/^\[ 9, 3, \d+, \d+ \] 9$/);
  expect(stdout).toMatch(/images: 27/);
  expect(stdout).toContain("source: 'images/cut.jpg'"); // named as the manifest's folder and line give it
  expect(stdout).toMatch(/action: 'replaced'/);
});
