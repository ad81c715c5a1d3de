// The CLI's flags for training runs: --shuffle --seed --epochs --captions FILE, and "did you mean"
// for a mistyped flag. Runs the built CLI (dist/cli.js) on real image files.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs helper, shared with the benchmark
import { writeImage } from './fixtures/images.mjs';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const root = mkdtempSync(join(tmpdir(), 'mmtb-cli-flags-'));
const SIZES: [number, number][] = [
  [640, 480], [300, 900], [1024, 768], [800, 600], [50, 70], [333, 222], [1920, 1080], [480, 640], [96, 64], [500, 500], [720, 1280], [400, 300],
];
const plan = (...args: string[]) => run(process.execPath, [cli, ...args], { encoding: 'utf8' });
const failure = (...args: string[]) => plan(...args).then(() => expect.fail('should fail'), (e: { code: number; stderr: string }) => e);

beforeAll(async () => {
  for (const [i, [w, h]] of SIZES.entries()) await writeImage(join(root, `img${i}.png`), 'png', w, h);
  writeFileSync(join(root, 'captions.jsonl'), `${SIZES.map((_, i) => JSON.stringify({ file: `img${i}.png`, text: `caption ${i}` })).join('\n')}\n${JSON.stringify({ file: 'missing.png', text: 'gone' })}\n`);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const lines = (file: string) => readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));

describe('CLI flags for training runs', () => {
  it('"did you mean" for a mistyped flag', async () => {
    const e = await failure('plan', root, '--batchsize', '4');
    expect(e.code).toBe(1);
    expect(e.stderr).toContain('unknown option --batchsize (did you mean --batch-size?)');
    expect((await failure('plan', root, '--shufle')).stderr).toContain('(did you mean --shuffle?)');
    expect((await failure('plan', root, '--epoch', '2')).stderr).toContain('(did you mean --epochs?)');
    // Nothing near: no guess.
    expect((await failure('plan', root, '--frobnicate')).stderr).toMatch(/unknown option --frobnicate\n/);
  });

  it('--captions plans the images a manifest names, writes their captions, lists a missing image under rejects', async () => {
    const out = join(root, 'plan.jsonl');
    await plan('plan', '--captions', join(root, 'captions.jsonl'), '-b', '4', '--multiple-of', '14', '--out', out);
    const records = lines(out);
    const tail = records.pop();
    expect(tail.rejects).toHaveLength(1);
    expect(tail.rejects[0].path).toBe('missing.png');
    expect(tail.rejects[0].reason).toMatch(/^READ_FAILED: /);
    const pairs = records.flatMap((r) => r.files.map((f: string, i: number) => [f, r.texts[i]]));
    expect(pairs.sort()).toEqual(SIZES.map((_, i) => [`img${i}.png`, `caption ${i}`]).sort());
  });

  it('--shuffle --seed --epochs: each epoch the same batches in its own seeded order, the same on every run', async () => {
    const out = (name: string) => join(root, name);
    const args = ['plan', root, '-b', '2', '--multiple-of', '14', '--shuffle', '--seed', '5', '--epochs', '3', '--strategy', 'sorted'];
    await plan(...args, '--out', out('a.jsonl'));
    await plan(...args, '--out', out('b.jsonl'));
    expect(readFileSync(out('a.jsonl'), 'utf8')).toBe(readFileSync(out('b.jsonl'), 'utf8'));
    const records = lines(out('a.jsonl'));
    records.pop();
    const epochs = [0, 1, 2].map((e) => records.filter((r) => r.epoch === e).map((r) => r.files.join(',')));
    expect(epochs[0]!.length).toBe(6);
    expect([...epochs[1]!].sort()).toEqual([...epochs[0]!].sort());
    expect(epochs[1]).not.toEqual(epochs[0]);
    await plan('plan', root, '-b', '2', '--multiple-of', '14', '--shuffle', '--seed', '6', '--epochs', '3', '--strategy', 'sorted', '--out', out('c.jsonl'));
    expect(readFileSync(out('c.jsonl'), 'utf8')).not.toBe(readFileSync(out('a.jsonl'), 'utf8'));
    expect((await failure('plan', root, '--epochs', '2')).stderr).toContain('--epochs applies with --out only');
    expect((await failure('plan', root, '--strategy', 'sorted', '--seed', '2')).stderr).toContain('--seed applies to --strategy clustered');
  });
});
