import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs helper, shared with the benchmark
import { encode, writeImage } from './fixtures/images.mjs';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'mmtb-cli-'));
const outDir = mkdtempSync(join(tmpdir(), 'mmtb-cli-out-'));

// [relative path, format, width, height]
const IMAGES: [string, string, number, number][] = [
  ['a.png', 'png', 640, 480],
  ['b.jpg', 'jpeg', 300, 900],
  ['c.JPEG', 'jpeg', 1024, 768],
  ['d.webp', 'webp', 800, 600],
  ['e.gif', 'gif', 50, 70],
  ['f.bmp', 'bmp', 333, 222],
  ['nested/g.png', 'png', 1920, 1080],
  ['nested/h.webp', 'webp', 480, 640],
  ['nested/deeper/i.bmp', 'bmp', 96, 64],
  ['nested/deeper/j.gif', 'gif', 500, 500],
  ['nested/deeper/k.jpeg', 'jpeg', 720, 1280],
  ['nested/camera.jpg', 'jpeg-big-app1', 4000, 3000],
];
const BROKEN = ['broken.png', 'nested/empty.gif', 'nested/deeper/text.jpg', 'truncated.webp', 'tiff-named.png'];

async function plan(...args: string[]): Promise<{ stdout: string; stderr: string }> {
  return run(process.execPath, [cli, ...args], { encoding: 'utf8' });
}

/** A plan's batches (files resolved against `base`, by default the plan file's folder) and its last record. */
function readPlan(text: string, base: string) {
  const records = text.trim().split('\n').map((l) => JSON.parse(l));
  const tail = records.pop();
  expect(Object.keys(tail).sort()).toEqual(['dropped', 'rejects']);
  for (const r of records) r.files = r.files.map((f: string) => resolve(base, f));
  return { batches: records, tail };
}
const readPlanFile = (out: string) => readPlan(readFileSync(out, 'utf8'), dirname(out));

beforeAll(async () => {
  for (const [path, format, w, h] of IMAGES) await writeImage(join(root, path), format, w, h);
  writeFileSync(join(root, 'broken.png'), 'this is not a png');
  writeFileSync(join(root, 'nested/empty.gif'), '');
  writeFileSync(join(root, 'nested/deeper/text.jpg'), 'neither is this a jpeg');
  writeFileSync(join(root, 'truncated.webp'), (await encode('webp', 64, 64)).subarray(0, 10));
  writeFileSync(join(root, 'tiff-named.png'), await encode('tiff', 10, 10));
  writeFileSync(join(root, 'captions.txt'), 'a cat');
  mkdirSync(join(root, 'empty-folder'));
});
afterAll(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(outDir, { recursive: true, force: true });
});

describe('mm-tokenize-batcher plan (a real process on a folder of generated images)', () => {
  it('reads every image header in nested folders, plans, writes JSON Lines, lists rejects and goes on', async () => {
    const out = join(outDir, 'plan.jsonl');
    const { stdout, stderr } = await plan('plan', root, '--batch-size', '4', '--preset', 'qwen2-vl', '--json', '--out', out);
    expect(stderr).toBe(''); // no progress bar when stderr is piped
    const summary = JSON.parse(stdout);
    expect(summary.images).toBe(IMAGES.length);
    expect(summary.filesFound).toBe(IMAGES.length + BROKEN.length);
    expect(summary.skipped.count).toBe(1);
    expect(summary.rejects.map((r: { path: string }) => r.path.slice(root.length + 1)).sort()).toEqual([...BROKEN].sort());
    // A known format is named (never its bytes, on any path).
    expect(summary.rejects.find((r: { path: string }) => r.path.endsWith('tiff-named.png')).reason).toBe('UNSUPPORTED_IMAGE: TIFF: not a format this package reads (sizes: PNG, JPEG, WebP, GIF, BMP, AVIF or HEIC)');
    expect(summary.batches).toBeGreaterThanOrEqual(Math.ceil(IMAGES.length / 4));
    expect(summary.fill).toBeCloseTo(IMAGES.length / (summary.batches * 4), 10);
    for (const key of ['distortion', 'scaleMismatch', 'resizeWaste']) {
      expect(summary[key].p50).toBeGreaterThanOrEqual(1);
      expect(summary[key].max).toBeGreaterThanOrEqual(summary[key].p95);
    }

    const { batches: lines, tail } = readPlanFile(out);
    expect(lines).toHaveLength(summary.batches);
    expect(tail.rejects.map((r: { path: string }) => resolve(outDir, r.path).slice(root.length + 1)).sort()).toEqual([...BROKEN].sort());
    const files = lines.flatMap((l) => l.files.map((f: string) => f.slice(root.length + 1)));
    expect(files.sort()).toEqual(IMAGES.map(([p]) => p).sort());
    for (const line of lines) {
      const [h, w] = line.resizeSize;
      expect(h % 28 === 0 && w % 28 === 0 && h * w <= 1003520 && h * w >= 3136).toBe(true);
      expect(line.files.length).toBeLessThanOrEqual(4);
    }
    // A batch of one image gets Qwen2-VL's own size for it: e.gif is 70 high, 50 wide;
    // 70/28 = 2.5 ties to even -> 2 -> 56, 50/28 = 1.79 -> 2 -> 56; 56*56 = 3136 is not below min.
    const single = await plan('plan', join(root, 'e.gif'), '--preset', 'qwen2-vl', '--json', '--out', out);
    expect(JSON.parse(single.stdout).images).toBe(1);
    expect(JSON.parse(readFileSync(out, 'utf8').split('\n')[0]!).resizeSize).toEqual([56, 56]);
  });

  it('--verify decodes every file: a JPEG cut inside its scan (header intact) becomes a reject', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mmtb-verify-'));
    try {
      const camera = readFileSync(join(root, 'nested/camera.jpg'));
      writeFileSync(join(dir, 'whole.jpg'), camera);
      writeFileSync(join(dir, 'cut.jpg'), camera.subarray(0, Math.floor(camera.length * 0.6)));
      const plain = JSON.parse((await plan('plan', dir, '--json')).stdout);
      expect(plain.images).toBe(2); // the header alone cannot see the cut
      const verified = JSON.parse((await plan('plan', dir, '--json', '--verify')).stdout);
      expect(verified.images).toBe(1);
      expect(verified.rejects).toHaveLength(1);
      expect(verified.rejects[0].path).toMatch(/cut\.jpg$/);
      expect(verified.rejects[0].reason).toMatch(/^INVALID_IMAGE: .*truncated/);
      expect(verified.verifySeconds).toBeGreaterThan(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('Ctrl-C (SIGINT) ends a long run promptly with status 130 and writes nothing partial', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mmtb-sigint-'));
    const outFile = join(outDir, 'interrupted.jsonl');
    try {
      const png = readFileSync(join(root, 'a.png'));
      for (let f = 0; f < 40; f++) {
        mkdirSync(join(dir, `f${f}`));
        for (let i = 0; i < 500; i++) writeFileSync(join(dir, `f${f}`, `${i}.png`), png);
      }
      const child = spawn(process.execPath, [cli, 'plan', dir, '--buffer-size', '512', '--out', outFile], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d) => (stderr += d));
      await new Promise((r) => setTimeout(r, 400));
      const sent = performance.now();
      child.kill('SIGINT');
      const code = await new Promise<number | null>((r) => child.on('exit', r));
      expect(code).toBe(130);
      expect(performance.now() - sent).toBeLessThan(2_000);
      expect(stderr).toMatch(/interrupted/);
      expect(existsSync(outFile)).toBe(false);
      expect(readdirSync(outDir).filter((f) => f.includes('.partial-'))).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('prints a summary table and a rejects section', async () => {
    const { stdout } = await plan('plan', root, '-b', '4', '--strategy', 'sorted');
    expect(stdout).toMatch(/images\s+12\n/);
    expect(stdout).toMatch(/batches\s+3\n/);
    expect(stdout).toMatch(/fill\s+1\.000\n/);
    expect(stdout).toMatch(/resize waste r\s+[\d.]+\s+[\d.]+\s+[\d.]+/);
    expect(stdout).toMatch(/distortion d/);
    expect(stdout).toMatch(/scale mismatch m/);
    expect(stdout).toMatch(/rejects \(5\):\n/);
    expect(stdout).toContain(`${join(root, 'broken.png')}: UNSUPPORTED_IMAGE: not an image: the bytes match no known format's signature`);
    expect(stdout).toContain(`${join(root, 'nested/empty.gif')}: UNSUPPORTED_IMAGE: empty: there are no bytes to read`);
    expect(stdout).toMatch(/skipped 1 files with other extensions/);
  });

  it('expands globs, and with --all-files lists non-image files as rejects', async () => {
    const globbed = JSON.parse((await plan('plan', `${root}/nested/**/*.{png,webp}`, '--json')).stdout);
    expect(globbed.images).toBe(2);
    const all = JSON.parse((await plan('plan', root, '--all-files', '--json')).stdout);
    expect(all.rejects.map((r: { path: string }) => r.path)).toContain(join(root, 'captions.txt'));
  });

  it('deals ranks: same steps and sizes on each rank, every image once', async () => {
    const ranks = await Promise.all(
      [0, 1].map(async (rank) => {
        const out = join(outDir, `rank${rank}.jsonl`);
        await plan('plan', root, '-b', '2', '--world-size', '2', '--rank', String(rank), '--json', '--out', out);
        return readPlanFile(out).batches;
      }),
    );
    expect(ranks[0]!.length).toBe(ranks[1]!.length);
    ranks[0]!.forEach((b, s) => expect(b.resizeSize).toEqual(ranks[1]![s].resizeSize));
    const files = ranks.flat().flatMap((b) => b.files);
    expect(files.sort()).toEqual(IMAGES.map(([p]) => join(root, p)).sort());
  });

  it('shows a progress bar on a terminal (a pseudo-terminal from util-linux `script`), and none with --no-progress', async () => {
    const command = (extra: string) => `${JSON.stringify(process.execPath)} ${JSON.stringify(cli)} plan ${JSON.stringify(root)} --json ${extra} >/dev/null`;
    const shown = await run('script', ['-qec', command(''), '/dev/null'], { encoding: 'utf8' });
    expect(shown.stdout).toMatch(/reading headers \[#+\] 17\/17 100%/);
    const hidden = await run('script', ['-qec', command('--no-progress'), '/dev/null'], { encoding: 'utf8' });
    expect(hidden.stdout).not.toMatch(/reading headers/);
  });

  it('documents every flag in --help, and refuses bad usage with exit status 1', async () => {
    const { stdout } = await plan('--help');
    for (const flag of [
      '--strategy', '--preset', '--batch-size', '--multiple-of', '--min-pixels', '--max-pixels', '--sizing', '--seed',
      '--buffer-size', '--carry', '--world-size', '--rank', '--leftover', '--out', '--json', '--all-files', '--follow-symlinks', '--concurrency',
      '--no-progress', '--runs', '--help', '--version', '--urls', '--timeout-ms', '--absolute-paths',
    ]) {
      expect(stdout).toContain(flag);
    }
    for (const preset of ['clip-vit-l-14', 'siglip-so400m-14-384', 'qwen2-vl']) expect(stdout).toContain(preset);
    for (const bad of [['plan'], ['plan', root, '--batch-size', 'x'], ['plan', root, '--preset', 'nope'], ['frobnicate'], ['plan', root, '--bogus']]) {
      const error = await plan(...bad).catch((e) => e);
      expect(error.code, bad.join(' ')).toBe(1);
      expect(error.stderr).toMatch(/mm-tokenize-batcher: /);
    }
    const empty = await plan('plan', join(root, 'empty-folder')).catch((e) => e);
    expect(empty.code).toBe(1);
    expect(empty.stderr).toMatch(/no image could be read/);
  });

  it('bench runs the seed benchmark', async () => {
    const { stdout } = await plan('bench', '--runs', '1', '--json');
    const rows = JSON.parse(stdout);
    expect(rows).toHaveLength(4 * 6 * 2);
    expect(rows.every((r: { fill: number; costUs: number }) => r.fill > 0 && r.fill <= 1 && r.costUs > 0)).toBe(true);
  }, 120_000);
});

describe('hostile folders', () => {
  const base = mkdtempSync(join(tmpdir(), 'mmtb-cli-hostile-'));
  afterAll(() => rmSync(base, { recursive: true, force: true }));
  const json = async (...args: string[]) => JSON.parse((await plan('plan', ...args, '--json')).stdout);
  const relative = (folder: string, paths: string[]) => paths.map((p) => p.slice(folder.length + 1)).sort();

  it('a folder with two links to itself finishes and lists each file once; the links are reported as loops', async () => {
    const d = join(base, 'two-self-links');
    mkdirSync(join(d, 'sub'), { recursive: true });
    await writeImage(join(d, 'x.png'), 'png', 40, 30);
    await writeImage(join(d, 'sub/y.png'), 'png', 30, 40);
    symlinkSync('.', join(d, 'a'));
    symlinkSync('.', join(d, 'b'));
    symlinkSync('..', join(d, 'sub/up'));
    const out = join(base, 'two.jsonl');
    const summary = await json(d, '--out', out);
    expect(summary.images).toBe(2);
    expect(summary.filesFound).toBe(2);
    const files = readPlanFile(out).batches.flatMap((l) => l.files as string[]);
    expect(relative(d, files)).toEqual(['sub/y.png', 'x.png']);
    expect(relative(d, summary.rejects.map((r: { path: string }) => r.path))).toEqual(['a', 'b', 'sub/up']);
    for (const r of summary.rejects) expect(r.reason).toMatch(/^symbolic link loop/);
  });

  it('a link loop that never resolves is a loop, not a broken link; a dangling link is broken', async () => {
    const d = join(base, 'eloop');
    mkdirSync(d);
    await writeImage(join(d, 'x.png'), 'png', 40, 30);
    symlinkSync('p.png', join(d, 'q.png'));
    symlinkSync('q.png', join(d, 'p.png'));
    symlinkSync('nowhere.png', join(d, 'dangling.png'));
    const summary = await json(d);
    const reasons = Object.fromEntries(summary.rejects.map((r: { path: string; reason: string }) => [r.path.slice(d.length + 1), r.reason]));
    expect(reasons['p.png']).toMatch(/^symbolic link loop/);
    expect(reasons['q.png']).toMatch(/^symbolic link loop/);
    expect(reasons['dangling.png']).toMatch(/^broken symbolic link/);
  });

  it('a link inside the folder to a file or folder inside it lists the target once, under its real path', async () => {
    const d = join(base, 'inner-links');
    mkdirSync(join(d, 'real'), { recursive: true });
    await writeImage(join(d, 'real/x.png'), 'png', 40, 30);
    symlinkSync('real', join(d, 'alias'));
    symlinkSync('real/x.png', join(d, 'again.png'));
    const summary = await json(d, join(d, 'real/x.png'), join(d, 'real'));
    expect(summary.filesFound).toBe(1);
    expect(summary.rejects).toEqual([]);
  });

  it('a link to a file outside the folder (secret.png) is not read without --follow-symlinks, and no bytes are ever shown', async () => {
    const outside = join(base, 'outside');
    mkdirSync(outside);
    writeFileSync(join(outside, 'shadow'), 'root:$6$SECRETHASH:19000:0:99999:7:::\n');
    await writeImage(join(outside, 'photo.png'), 'png', 64, 48);
    const d = join(base, 'with-secret');
    mkdirSync(d);
    await writeImage(join(d, 'x.png'), 'png', 40, 30);
    symlinkSync(join(outside, 'shadow'), join(d, 'secret.png'));
    symlinkSync(outside, join(d, 'elsewhere'));
    const plain = await plan('plan', d);
    expect(plain.stdout).toMatch(/images\s+1\n/);
    expect(plain.stdout).toContain(`${join(d, 'secret.png')}: symbolic link to a file outside the walked folders: not followed (--follow-symlinks follows it)`);
    expect(plain.stdout).toContain(`${join(d, 'elsewhere')}: symbolic link to a folder outside the walked folders: not followed`);
    const followed = await json(d, '--follow-symlinks');
    expect(followed.images).toBe(2); // x.png and elsewhere/photo.png
    const secret = followed.rejects.find((r: { path: string }) => r.path === join(d, 'secret.png'));
    expect(secret.reason).toBe("UNSUPPORTED_IMAGE: not an image: the bytes match no known format's signature (sizes are read from PNG, JPEG, WebP, GIF, BMP, AVIF or HEIC)");
    // No byte of the file, in hex or otherwise.
    const hex = Buffer.from('root:$6$').toString('hex').match(/../g)!.join(' ');
    for (const text of [JSON.stringify(followed), (await plan('plan', d, '--follow-symlinks', '--all-files')).stdout]) {
      expect(text).not.toContain(hex.slice(0, 11));
      expect(text).not.toContain('726f6f74');
      expect(text).not.toContain('SECRET');
    }
  });

  it('escapes file names holding a newline or an escape sequence in the text output', async () => {
    const d = join(base, 'names');
    mkdirSync(d);
    await writeImage(join(d, 'ok.png'), 'png', 40, 30);
    writeFileSync(join(d, 'evil\n  etc-passwd: fine.png'), 'not an image');
    writeFileSync(join(d, 'term\u001b[2J.png'), 'not an image');
    const { stdout } = await plan('plan', d);
    const lines = stdout.split('\n');
    expect(lines.some((l) => l.startsWith('  etc-passwd'))).toBe(false);
    expect(stdout).not.toContain('\u001b');
    expect(stdout).toContain(`${JSON.stringify(join(d, 'evil\n  etc-passwd: fine.png'))}: UNSUPPORTED_IMAGE`);
    expect(stdout).toContain(JSON.stringify(join(d, 'term\u001b[2J.png')));
    // JSON output keeps the real names.
    const summary = await json(d);
    expect(summary.rejects.map((r: { path: string }) => r.path)).toContain(join(d, 'evil\n  etc-passwd: fine.png'));
  });

  it('--out errors are one line naming --out; --out - writes the plan to stdout and the summary to stderr', async () => {
    const d = join(base, 'out');
    mkdirSync(d);
    await writeImage(join(d, 'x.png'), 'png', 40, 30);
    await writeImage(join(d, 'y.png'), 'png', 30, 40);
    for (const [target, message] of [
      [join(base, 'no-such-folder', 'plan.jsonl'), /^mm-tokenize-batcher: --out .*no-such-folder\/plan\.jsonl: its folder does not exist \(ENOENT\)\n$/],
      [d, /^mm-tokenize-batcher: --out .*: is a folder, not a file \(EISDIR\)\n$/],
      [join(d, 'x.png', 'plan.jsonl'), /^mm-tokenize-batcher: --out .*: a part of its path is not a folder \(ENOTDIR\)\n$/],
    ] as const) {
      const error = await plan('plan', d, '--out', target).catch((e) => e);
      expect(error.code, target).toBe(1);
      expect(error.stderr, target).toMatch(message);
    }
    const piped = await plan('plan', d, '-b', '1', '--out', '-');
    const lines = readPlan(piped.stdout, process.cwd()).batches; // relative to the working directory
    expect(lines.flatMap((l) => l.files).sort()).toEqual([join(d, 'x.png'), join(d, 'y.png')]);
    expect(piped.stderr).toMatch(/images\s+2\n/);
    expect(piped.stderr).toMatch(/plan written to stdout/);
    const pipedJson = await plan('plan', d, '-o', '-', '--json', '--multiple-of', '14');
    expect(JSON.parse(pipedJson.stderr).images).toBe(2);
    expect(readPlan(pipedJson.stdout, process.cwd()).batches.every((l) => 'resizeSize' in l)).toBe(true);
  });
});
