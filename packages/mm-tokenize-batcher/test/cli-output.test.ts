// The CLI's plan as other programs read it: paths relative to the plan file (or absolute), each
// file's own size, a rejects record last, a warning without --preset / --multiple-of, the Python
// batch_sampler snippet (run with python3 on a plan the CLI wrote; docs/cli.md shows it), and --urls
// (a local HTTP server).
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs helper, shared with the benchmark
import { writeImage } from './fixtures/images.mjs';
// @ts-expect-error plain JS module shared with the runtime matrix and the bench
import { startRangeServer } from '../../../test/runtimes/range-server.mjs';
import { FIXTURES, photo } from './helpers.js';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const sampler = fileURLToPath(new URL('../examples/python/batch_sampler.py', import.meta.url));
const cliDoc = fileURLToPath(new URL('../../../docs/cli.md', import.meta.url));
const base = mkdtempSync(join(tmpdir(), 'mmtb-cli-output-'));
const data = join(base, 'data');
const plans = join(base, 'plans');

// [relative path, format, width, height]
const IMAGES: [string, string, number, number][] = [
  ['a.png', 'png', 640, 480],
  ['b.jpg', 'jpeg', 300, 900],
  ['c.webp', 'webp', 1051, 304],
  ['sub/d.png', 'png', 480, 640],
  ['sub/e.gif', 'gif', 500, 500],
];

const cliRun = (args: string[], options: { cwd?: string } = {}) => run(process.execPath, [cli, ...args], { encoding: 'utf8', ...options });
const records = (text: string) => text.trim().split('\n').map((l) => JSON.parse(l));

beforeAll(async () => {
  mkdirSync(plans, { recursive: true });
  for (const [path, format, w, h] of IMAGES) await writeImage(join(data, path), format, w, h);
  writeFileSync(join(data, 'broken.png'), 'not a png');
});
afterAll(() => rmSync(base, { recursive: true, force: true }));

describe('the JSON Lines plan', () => {
  it('names files relative to the plan file, gives each file its [h, w], and ends with the rejects record', async () => {
    const out = join(plans, 'plan.jsonl');
    await cliRun(['plan', data, '-b', '2', '--preset', 'qwen2-vl', '--out', out]);
    const lines = records(readFileSync(out, 'utf8'));
    const tail = lines.pop();
    expect(tail).toEqual({ rejects: [{ path: '../data/broken.png', reason: expect.stringMatching(/^UNSUPPORTED_IMAGE/) }], dropped: [] });
    const seen = new Map<string, [number, number]>();
    for (const line of lines) {
      expect(line.sizes).toHaveLength(line.files.length);
      line.files.forEach((f: string, i: number) => seen.set(f, line.sizes[i]));
    }
    expect(Object.fromEntries(seen)).toEqual(Object.fromEntries(IMAGES.map(([p, , w, h]) => [`../data/${p}`, [h, w]])));
  });

  it('--absolute-paths gives absolute paths; --out - names them relative to the working directory', async () => {
    const out = join(plans, 'absolute.jsonl');
    await cliRun(['plan', data, '--multiple-of', '14', '--absolute-paths', '--out', out]);
    const lines = records(readFileSync(out, 'utf8'));
    expect(lines.pop().rejects[0].path).toBe(join(data, 'broken.png'));
    expect(lines.flatMap((l) => l.files).sort()).toEqual(IMAGES.map(([p]) => join(data, p)).sort());
    const piped = await cliRun(['plan', 'data', '--multiple-of', '14', '-o', '-'], { cwd: base });
    const pipedLines = records(piped.stdout);
    expect(pipedLines.pop().rejects[0].path).toBe('data/broken.png');
    expect(pipedLines.flatMap((l) => l.files).sort()).toEqual(IMAGES.map(([p]) => `data/${p}`).sort());
  });

  it('warns on stderr when neither --preset nor --multiple-of is given (and only then)', async () => {
    const bare = await cliRun(['plan', data]);
    expect(bare.stderr).toMatch(/warning: neither --preset nor --multiple-of given/);
    expect(bare.stdout).toMatch(/images\s+5\n/);
    for (const flags of [['--preset', 'clip-vit-l-14'], ['--multiple-of', '28']]) {
      expect((await cliRun(['plan', data, ...flags])).stderr).toBe('');
    }
  });
});

describe('the Python batch_sampler snippet (python3, plain json)', () => {
  it('turns a plan the CLI wrote into index lists for a batch_sampler', async () => {
    const out = join(plans, 'python.jsonl');
    await cliRun(['plan', data, '-b', '2', '--preset', 'clip-vit-l-14', '--out', out]);
    const { stdout } = await run('python3', [sampler, out], { encoding: 'utf8' });
    const result = JSON.parse(stdout) as { files: string[]; batches: number[][]; resize_sizes: [number, number][]; rejects: { path: string }[] };
    const lines = records(readFileSync(out, 'utf8')).slice(0, -1);
    expect(result.batches).toHaveLength(lines.length);
    expect([...result.files].sort()).toEqual(IMAGES.map(([p]) => join(data, p)).sort());
    // Each index list names the plan's files, in the plan's order; every image once.
    lines.forEach((line, k) => {
      expect(result.batches[k]!.map((i) => result.files[i])).toEqual(line.files.map((f: string) => resolve(plans, f)));
      expect(result.resize_sizes[k]).toEqual(line.resizeSize);
    });
    expect(result.batches.flat().sort((a, b) => a - b)).toEqual(IMAGES.map((_, i) => i));
    expect(result.rejects.map((r) => r.path)).toEqual(['../data/broken.png']);
  });

  it('maps onto a dataset file list given by the caller, shuffles whole batches per epoch, and refuses a plan without its last record', async () => {
    const out = join(plans, 'python.jsonl');
    const script = `
import json, sys
sys.path.insert(0, ${JSON.stringify(join(sampler, '..'))})
from batch_sampler import PlanBatchSampler
files = sorted(json.loads(sys.argv[2]))
s = PlanBatchSampler(sys.argv[1], files=files, shuffle=True, seed=7)
epochs = []
for epoch in range(3):
    s.set_epoch(epoch)
    epochs.append(list(s))
print(json.dumps({"len": len(s), "epochs": epochs, "lists": s.index_lists}))
`;
    const files = IMAGES.map(([p]) => join(data, p));
    const { stdout } = await run('python3', ['-c', script, out, JSON.stringify(files)], { encoding: 'utf8' });
    const r = JSON.parse(stdout) as { len: number; epochs: number[][][]; lists: number[][] };
    const sorted = [...files].sort();
    const lines = records(readFileSync(out, 'utf8')).slice(0, -1);
    expect(r.lists.map((l) => l.map((i) => sorted[i]))).toEqual(lines.map((l) => l.files.map((f: string) => resolve(plans, f))));
    for (const epoch of r.epochs) expect([...epoch].sort()).toEqual([...r.lists].sort()); // the same batches, reordered
    expect(new Set(r.epochs.map((e) => JSON.stringify(e))).size).toBeGreaterThan(1);

    const cut = join(plans, 'cut.jsonl');
    writeFileSync(cut, readFileSync(out, 'utf8').trim().split('\n').slice(0, -1).join('\n'));
    const error = await run('python3', [sampler, cut], { encoding: 'utf8' }).catch((e) => e);
    expect(error.stderr).toMatch(/no rejects record at the end: the plan is incomplete/);
  });

  it('docs/cli.md shows the snippet as it is in examples/python/batch_sampler.py', () => {
    const code = readFileSync(sampler, 'utf8');
    const body = code.slice(code.indexOf('import json'), code.indexOf('\n\nif __name__'));
    expect(readFileSync(cliDoc, 'utf8')).toContain(body);
  });
});

describe('plan --urls FILE (sizes through HTTP Range requests, a local node:http server)', () => {
  const files = new Map<string, Uint8Array>(FIXTURES.map((f) => [f.file, new Uint8Array(photo(f.file))]));
  type Server = { origin: string; stats: { requests: number }; close(): Promise<void> };
  let server: Server;
  beforeAll(async () => {
    server = await startRangeServer(files);
  });
  afterAll(() => server.close());

  it('plans the images at the URLs; failing URLs are rejects; paths stay URLs', async () => {
    const good = FIXTURES.map((f) => `${server.origin}/range/${f.file}`);
    const ignoring = `${server.origin}/full/${FIXTURES[0]!.file}`;
    const missing = `${server.origin}/missing/nothing.png`;
    const stalled = `${server.origin}/stall/${FIXTURES[1]!.file}`;
    const list = join(plans, 'urls.txt');
    writeFileSync(list, ['# a comment', ...good, '', ignoring, missing, stalled].join('\n') + '\n');
    const out = join(plans, 'urls.jsonl');
    const { stdout } = await cliRun(['plan', '--urls', list, '--preset', 'qwen2-vl', '-b', '4', '--timeout-ms', '1500', '--json', '--out', out]);
    const summary = JSON.parse(stdout);
    expect(summary.images).toBe(good.length + 1);
    expect(summary.filesFound).toBe(good.length + 3);
    const lines = records(readFileSync(out, 'utf8'));
    const tail = lines.pop();
    expect(tail.rejects).toEqual([
      { path: missing, reason: 'READ_FAILED: HTTP status 404' },
      { path: stalled, reason: expect.stringMatching(/^TIMEOUT: /) },
    ]);
    const sizes = new Map<string, [number, number]>();
    for (const line of lines) line.files.forEach((f: string, i: number) => sizes.set(f, line.sizes[i]));
    expect(sizes.size).toBe(good.length + 1);
    FIXTURES.forEach((f, i) => expect(sizes.get(good[i]!)).toEqual([f.height, f.width]));
    expect(sizes.get(ignoring)).toEqual([FIXTURES[0]!.height, FIXTURES[0]!.width]);
  });

  it('reads the list from stdin with --urls -, and refuses --urls with folders or --verify', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [cli, 'plan', '--urls', '-', '--multiple-of', '14', '--json'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stdin.end(FIXTURES.map((f) => `${server.origin}/range/${f.file}`).join('\n'));
    expect(await new Promise((r) => child.on('exit', r))).toBe(0);
    expect(JSON.parse(stdout).images).toBe(FIXTURES.length);
    for (const bad of [['--urls', 'x.txt', data], ['--urls', 'x.txt', '--verify'], [data, '--timeout-ms', '10']]) {
      const error = await cliRun(['plan', ...bad]).catch((e) => e);
      expect(error.code, bad.join(' ')).toBe(1);
      expect(error.stderr).toMatch(/^mm-tokenize-batcher: /);
    }
    const missing = await cliRun(['plan', '--urls', join(base, 'no-such-list.txt')]).catch((e) => e);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/--urls .*no-such-list\.txt: ENOENT/);
  });
});
