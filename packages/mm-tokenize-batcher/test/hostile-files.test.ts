// Hostile input (issue 25): a folder of 40 hostile file names (5 of them not UTF-8, two pairs of
// which merge when decoded with U+FFFD) planned by the CLI and opened again by the shipped Python
// sampler; special files (FIFOs, devices, /proc) refused by type, by the library and the CLI.
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imageSizesFromFiles, type FileReject } from 'mm-tokenize-batcher';
import { photo } from './helpers.js';

const run = promisify(execFile);
const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const sampler = fileURLToPath(new URL('../examples/python/batch_sampler.py', import.meta.url));
const b = (s: string) => Buffer.from(s, 'utf8');

// Five names that are not UTF-8: cat-\xFF / cat-\xFE and dog-\xE9 / dog-\xE8 are two pairs that
// read the same once decoded with U+FFFD; x\xC3( is a cut sequence.
const RAW_NAMES = [Buffer.from('cat-\xff.png', 'latin1'), Buffer.from('cat-\xfe.png', 'latin1'), Buffer.from('dog-\xe9.png', 'latin1'), Buffer.from('dog-\xe8.png', 'latin1'), Buffer.from('x\xc3(.png', 'latin1')];
// Thirty-five valid UTF-8 names that break naive handling: control characters, quotes, shell and
// glob characters, look-alikes (NFC and NFD), bidi and zero-width characters, a 250-byte name.
const TEXT_NAMES = [
  'new\nline.png', 'tab\there.png', 'quote".png', "apostrophe'.png", 'back\\slash.png', '-leading-dash.png', ' leading space.png',
  'trailing space .png', 'caf\u00e9-nfc.png', 'cafe\u0301-nfd.png', 'emoji-\u{1f600}.png', '\u6f22\u5b57.png', 'rtl-\u202eop.png', 'zero\u200bwidth.png',
  '%41-percent.png', '#hash.png', 'question?.png', 'star*.png', '[brackets].png', '{a,b}.png', '$HOME.png', '`tick`.png', 'semi;colon.png',
  'amp&.png', 'pipe|.png', `${'long-'.repeat(49)}x.png`, 'line\u2028sep.png', '\ufeffbom.png', '\uff46ullwidth.png', 'escape-\x1b[31m.png',
  '.hidden.png', 'UPPER.PNG', 'a b c.png', 'surrogate-\u{10000}.png', 'json-\\u0041.png',
].map(b);
const ALL_NAMES = [...RAW_NAMES, ...TEXT_NAMES];

let root: string;
let data: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'mm-hostile-files-'));
  data = join(root, 'data');
  mkdirSync(data);
  const png = photo('coffee.png');
  // Written by bytes: the folder's names are exactly ALL_NAMES.
  for (const name of ALL_NAMES) writeFileSync(Buffer.concat([b(`${data}/`), name]), png);
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('no file lost by name', () => {
  it(`plans all ${ALL_NAMES.length} hostile names, and the Python sampler opens each of them (every name once)`, async () => {
    expect(ALL_NAMES).toHaveLength(40);
    const out = join(root, 'plan.jsonl');
    await run(process.execPath, [cli, 'plan', data, '-b', '4', '--preset', 'clip-vit-l-14', '--out', out], { encoding: 'utf8' });
    const last = JSON.parse(readFileSync(out, 'utf8').trim().split('\n').pop()!) as { rejects: unknown[]; dropped: unknown[] };
    expect(last.rejects).toEqual([]);
    // Python: the plan's files as the bytes Python opens (os.fsencode), each opened and checked.
    const script = `
import json, os, sys
sys.path.insert(0, ${JSON.stringify(join(sampler, '..'))})
from batch_sampler import PlanBatchSampler
s = PlanBatchSampler(sys.argv[1])
names = []
for f in s.files:
    with open(f, "rb") as image:
        assert image.read(8) == b"\\x89PNG\\r\\n\\x1a\\n", f
    names.append(os.fsencode(os.path.basename(f)).hex())
print(json.dumps({"names": names, "indices": sorted(i for batch in s for i in batch)}))
`;
    const { stdout } = await run('python3', ['-c', script, out], { encoding: 'utf8' });
    const result = JSON.parse(stdout) as { names: string[]; indices: number[] };
    expect(result.names).toHaveLength(40);
    expect(new Set(result.names).size).toBe(40);
    expect([...result.names].sort()).toEqual(ALL_NAMES.map((n) => n.toString('hex')).sort());
    expect(result.indices).toEqual(Array.from({ length: 40 }, (_, i) => i));
  });

  it('the CLI plans the five names that are not UTF-8 when they are named on the command line', async () => {
    // Node cannot pass raw bytes to a child; bash's printf can: each argument is the file's bytes.
    const args = RAW_NAMES.map((n) => `"$(printf '${[...n].map((byte) => `\\x${byte.toString(16).padStart(2, '0')}`).join('')}')"`);
    const out = join(root, 'named.jsonl');
    await run('bash', ['-c', `cd "$1" && "$2" "$3" plan ${args.join(' ')} -b 5 --preset clip-vit-l-14 --out "$4"`, 'bash', data, process.execPath, cli, out], { encoding: 'utf8' });
    const lines = readFileSync(out, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { files?: string[]; rejects?: unknown[] });
    expect(lines.at(-1)!.rejects).toEqual([]);
    const files = lines.flatMap((line) => line.files ?? []).map((file) => file.slice(file.lastIndexOf('/') + 1));
    expect(files.sort()).toEqual(['cat-\udcfe.png', 'cat-\udcff.png', 'dog-\udce8.png', 'dog-\udce9.png', 'x\udcc3(.png']);
  });

  it('imageSizesFromFiles takes names as bytes, and names them escaped as Python does', async () => {
    const sizes = await imageSizesFromFiles(RAW_NAMES.map((n) => Buffer.concat([b(`${data}/`), n])));
    expect(sizes.rejects).toEqual([]);
    expect(sizes.map((s) => s.path.slice(data.length + 1))).toEqual(['cat-\udcff.png', 'cat-\udcfe.png', 'dog-\udce9.png', 'dog-\udce8.png', 'x\udcc3(.png']);
    // ... and the escaped strings open the same files again.
    const again = await imageSizesFromFiles(sizes.map((s) => s.path));
    expect(again.rejects).toEqual([]);
  });
});

describe('special files are refused by type, before any read', () => {
  let special: string;
  let socketServer: Server;
  beforeAll(async () => {
    special = join(root, 'special');
    mkdirSync(special);
    execFileSync('mkfifo', [join(special, 'pipe.png'), join(root, 'pipe-arg.png')]);
    writeFileSync(join(special, 'real.png'), photo('coffee.png'));
    socketServer = createServer();
    await new Promise<void>((resolve) => socketServer.listen(join(special, 'socket.png'), resolve));
  });
  afterAll(() => new Promise((resolve) => socketServer.close(resolve)));

  it('imageSizesFromFiles: a FIFO, devices, /proc and /sys files, a folder: each a NOT_A_FILE reject', async () => {
    const paths = [join(special, 'pipe.png'), '/dev/zero', '/dev/null', '/proc/self/status', '/sys/devices/system/cpu/online', special, join(special, 'real.png')];
    const sizes = await imageSizesFromFiles(paths);
    expect(sizes.rejects.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5]);
    for (const r of sizes.rejects) expect(r).toMatchObject({ code: 'READ_FAILED', reason: 'NOT_A_FILE', bytesRead: 0 });
    expect((sizes[0] as FileReject).message).toContain('FIFO');
    expect((sizes[1] as FileReject).message).toContain('character device');
    expect((sizes[3] as FileReject).message).toContain('/proc');
    expect(sizes[6]).toMatchObject({ width: 150, height: 100 });
  });

  it('a process reading a FIFO exits by itself', () => {
    const entry = fileURLToPath(new URL('../dist/node.js', import.meta.url));
    const script = `const { imageSizesFromFiles } = await import(${JSON.stringify(entry)}); const [r] = await imageSizesFromFiles([${JSON.stringify(join(special, 'pipe.png'))}]); console.log(r.reason);`;
    expect(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 }).trim()).toBe('NOT_A_FILE');
  });

  it('the CLI lists each special file with its reason, in a folder and named on the command line', async () => {
    const { stdout } = await run(process.execPath, [cli, 'plan', special, join(root, 'pipe-arg.png'), '/proc/self/status', '--all-files', '-b', '1', '--multiple-of', '14', '--json'], { encoding: 'utf8' });
    const summary = JSON.parse(stdout) as { images: number; rejects: { path: string; reason: string }[] };
    expect(summary.images).toBe(1);
    const reasons = Object.fromEntries(summary.rejects.map((r) => [r.path, r.reason]));
    expect(reasons[join(special, 'pipe.png')]).toMatch(/FIFO/);
    expect(reasons[join(special, 'socket.png')]).toMatch(/socket/);
    expect(reasons[join(root, 'pipe-arg.png')]).toMatch(/FIFO/);
    expect(reasons['/proc/self/status']).toMatch(/pseudo file system/);
    // Every path accounted for once: the one image, and one reject each for the others.
    expect(summary.rejects).toHaveLength(4);
  });
});
