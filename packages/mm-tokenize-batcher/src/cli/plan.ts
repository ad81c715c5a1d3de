// `mm-tokenize-batcher plan`: headers of a folder's images -> a plan, a summary, JSON Lines.
import { once } from 'node:events';
import { open, rename, rm, stat } from 'node:fs/promises';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import type { Writable } from 'node:stream';
import { batchStream, describeReject, evaluate, imageSizesFromFiles, imageSizesFromUrls, type Metrics, type StrategyName, type StreamBatch, type StreamOptions } from 'mm-tokenize-batcher';
import { fsName } from '../shared/names.js';
import { findFiles } from './files.js';
import { progress } from './progress.js';

export interface PlanFlags {
  targets: string[];
  /** A file of image URLs, one a line (`-`: stdin), read instead of `targets`. */
  urls?: string;
  /** Paths in the JSON Lines as absolute paths (default: relative to the plan file's folder). */
  absolutePaths: boolean;
  strategy: StrategyName;
  batcherOptions: Record<string, unknown>;
  bufferSize: number;
  carry: boolean;
  worldSize: number;
  rank: number;
  leftover: 'split' | 'pad' | 'drop';
  /** A file for the plan's JSON Lines, or `-` for stdout. */
  out?: string;
  allFiles: boolean;
  followSymlinks: boolean;
  concurrency: number;
  progress: boolean;
  /** Decode every file whole, so truncated and undecodable files are rejects before training finds them. */
  verify: boolean;
  /** With --urls: a request not answered by then is a reject (TIMEOUT). Default: the library's. */
  timeoutMs?: number;
  /** Shuffle the order of steps (a permutation per epoch), seeded with `shuffleSeed`. */
  shuffle: boolean;
  shuffleSeed?: number;
  /** Epochs written to `out` (each line then says its `epoch`). */
  epochs: number;
  /** A .jsonl / .csv manifest naming the images, with captions. */
  captions?: string;
}

export interface PlanSummary {
  images: number;
  batches: number;
  batchSize: number | null;
  fill: number | null;
  distortion: Metrics['distortion'] | null;
  scaleMismatch: Metrics['scaleMismatch'] | null;
  resizeWaste: Metrics['resizeWaste'] | null;
  distinctSizes: number;
  filesFound: number;
  skipped: { count: number; examples: string[] };
  rejects: { path: string; reason: string }[];
  dropped: string[];
  headersSeconds: number;
  /** With --verify: seconds spent decoding files whole (included in headersSeconds). */
  verifySeconds?: number;
  headersPerSecond: number;
  planSeconds: number;
  strategy: string;
  options: Record<string, unknown>;
  worldSize: number;
  rank: number;
  out?: string;
}

type FileSample = {
  image: { width: number; height: number };
  /** A file path as found, or a URL (with --urls). */
  path: string;
  /** Its caption (--captions). */
  text?: string | undefined;
};

/** URLs read from one a line: blank lines and lines starting with `#` are left out. */
export async function readUrlList(file: string): Promise<string[]> {
  let text: string;
  try {
    if (file === '-') {
      const chunks: Buffer[] = [];
      for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
      text = Buffer.concat(chunks).toString('utf8');
    } else text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--urls ${shownPath(file)}: ${(error as Error).message}`);
  }
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/** Files or URLs sized per call of the library's reader: bounds memory and lets planning start early. */
const CHUNK = 512;

/**
 * How a file is named in the JSON Lines: relative to the plan file's folder (the working
 * directory for `--out -`), with `/` separators, so the plan and its images move together; or
 * absolute with `--absolute-paths`. URLs as they are.
 */
export function planPath(out: string | undefined, absolute: boolean, urls: boolean): (path: string) => string {
  if (urls) return (path) => path;
  if (absolute) return (path) => resolve(path);
  const base = out === undefined || out === '-' ? process.cwd() : dirname(resolve(out));
  return (path) => relative(base, resolve(path)).split(sep).join('/');
}

/** A problem with the command line or its files, shown as one line (no stack). */
export class UsageError extends Error {}

/**
 * Where the plan goes: stdout for `-`, else a temporary file beside `--out`, opened before any
 * header is read (so a bad `--out` fails at once with one line naming it) and renamed onto `--out`
 * only when the whole plan is written: an interrupted run (Ctrl-C) or a failed one leaves nothing
 * partial behind, and an existing `--out` untouched.
 */
async function openOut(out: string): Promise<{ stream: Writable; finish: (complete: boolean) => Promise<void> }> {
  if (out === '-') return { stream: process.stdout, finish: async () => {} };
  const partial = join(dirname(out), `.${basename(out)}.partial-${process.pid}`);
  let handle;
  try {
    const info = await stat(out).catch(() => undefined);
    if (info?.isDirectory()) throw Object.assign(new Error('is a folder'), { code: 'EISDIR' });
    handle = await open(partial, 'w');
  } catch (error) {
    const code = (error as { code?: string }).code;
    const why =
      code === 'ENOENT' ? 'its folder does not exist' : code === 'EISDIR' ? 'is a folder, not a file' : code === 'EACCES' ? 'permission denied' : code === 'ENOTDIR' ? 'a part of its path is not a folder' : (error as Error).message;
    throw new UsageError(`--out ${shownPath(out)}: ${why}${code ? ` (${code})` : ''}`);
  }
  const stream = handle.createWriteStream();
  const closed = once(stream, 'close');
  return {
    stream,
    finish: async (complete) => {
      stream.end();
      await closed;
      if (complete) await rename(partial, out);
      else await rm(partial, { force: true });
    },
  };
}

/** The run was stopped by Ctrl-C (SIGINT): exit status 130, nothing written. */
export class Interrupted extends Error {
  constructor() {
    super('interrupted (Ctrl-C): nothing was written');
  }
}

export async function plan(flags: PlanFlags): Promise<PlanSummary> {
  // Ctrl-C stops the run between two pulls of the stream (a buffer's planning is one short call),
  // and nothing partial is written.
  const interrupted = new AbortController();
  const onInterrupt = () => interrupted.abort(new Interrupted());
  process.once('SIGINT', onInterrupt);
  try {
    return await planFiles(flags, interrupted.signal);
  } finally {
    process.off('SIGINT', onInterrupt);
  }
}

async function planFiles(flags: PlanFlags, signal: AbortSignal): Promise<PlanSummary> {
  const out = flags.out === undefined ? undefined : await openOut(flags.out);
  try {
    return await planInto(flags, signal, out);
  } catch (error) {
    // Whatever stopped the run (bad options, Ctrl-C, a write error) leaves no partial plan.
    await out?.finish(false).catch(() => {});
    throw error;
  }
}

async function planInto(flags: PlanFlags, signal: AbortSignal, out: Awaited<ReturnType<typeof openOut>> | undefined): Promise<PlanSummary> {
  let writeError: Error | undefined;
  out?.stream.on('error', (error: Error) => (writeError ??= error));
  const manifest = flags.captions === undefined ? undefined : await readCaptions(flags.captions);
  const urls = flags.urls === undefined ? manifest?.urls : await readUrlList(flags.urls);
  const found = manifest ?? (urls ? { files: urls, skipped: [], problems: [] } : await findFiles(flags.targets, { allFiles: flags.allFiles, followSymlinks: flags.followSymlinks }));
  const rejects = [...found.problems];
  const total = found.files.length;
  const named = planPath(flags.out, flags.absolutePaths, urls !== undefined);
  const bar = progress('reading headers', total, flags.progress);

  let readSeconds = 0;
  let done = 0;
  const readStart = performance.now();
  // --verify: each readable file is decoded whole (imaging pool on every core, started only then);
  // a file that does not decode is a reject and is not planned.
  const verify = flags.verify ? await fileVerifier() : undefined;
  let verifySeconds = 0;
  // Headers are read as the planner pulls (the stream's backpressure bounds what is in flight),
  // by the library's own readers: the one header ladder for folders and --urls alike.
  const readChunk = urls
    ? (chunk: string[]) => imageSizesFromUrls(chunk, { concurrency: flags.concurrency, signal, ...(flags.timeoutMs ? { timeoutMs: flags.timeoutMs } : {}) })
    : (chunk: string[]) => imageSizesFromFiles(chunk, { concurrency: flags.concurrency, signal });
  const planned: FileSample[] = [];
  async function* samples(): AsyncGenerator<FileSample> {
    for (let at = 0; at < found.files.length; at += CHUNK) {
      const chunk = found.files.slice(at, at + CHUNK);
      const sizes = await readChunk(chunk);
      let problems: Map<string, string> | undefined;
      if (verify) {
        const started = performance.now();
        problems = await verify.files(chunk.filter((_, j) => !('code' in sizes[j]!)));
        verifySeconds += (performance.now() - started) / 1000;
      }
      for (const [j, entry] of sizes.entries()) {
        bar.tick(++done);
        const path = chunk[j]!;
        if ('code' in entry) {
          rejects.push({ path, reason: `${entry.code}: ${entry.message}` });
          continue;
        }
        const problem = problems?.get(path);
        if (problem) {
          rejects.push({ path, reason: problem });
          continue;
        }
        const sample: FileSample = { image: { width: entry.width, height: entry.height }, path, ...(manifest ? { text: manifest.texts.get(path) } : {}) };
        // Kept for the epochs after the first (--epochs), planned from the same samples.
        if (flags.epochs > 1) planned.push(sample);
        yield sample;
      }
    }
    readSeconds = (performance.now() - readStart) / 1000;
  }

  const options = {
    strategy: flags.strategy,
    ...flags.batcherOptions,
    bufferSize: flags.bufferSize,
    carry: flags.carry,
    worldSize: flags.worldSize,
    rank: flags.rank,
    leftover: flags.leftover,
    ...(flags.shuffle ? { shuffle: true, ...(flags.shuffleSeed === undefined ? {} : { shuffleSeed: flags.shuffleSeed }) } : {}),
  } as StreamOptions<FileSample> & { strategy: PlanFlags['strategy'] };
  const stream = batchStream<FileSample>(samples(), { ...options, signal });
  const writeLine = async (batch: StreamBatch<FileSample>, epoch: number) => {
    if (!out) return;
    const line: Record<string, unknown> = {
      ...(flags.epochs > 1 ? { epoch } : {}),
      batch: index,
      step: batch.step,
      rank: batch.rank,
      resizeSize: batch.resizeSize,
      files: batch.samples.map((s) => named(s.path)),
      sizes: batch.samples.map((s) => [s.image.height, s.image.width]),
      ...(manifest ? { texts: batch.samples.map((s) => s.text ?? null) } : {}),
    };
    if (batch.padding > 0) line.padding = batch.padding;
    if (!out.stream.write(`${JSON.stringify(line)}\n`)) await Promise.race([once(out.stream, 'drain'), once(out.stream, 'error')]);
  };

  const scored: { images: { width: number; height: number }[]; resizeSize: [number, number] }[] = [];
  const sizes = new Set<string>();
  let images = 0;
  let index = 0;
  let complete = false;
  try {
    for await (const batch of stream) {
      const real = batch.samples.length - batch.padding;
      images += real;
      scored.push({ images: batch.samples.slice(0, real).map((s) => s.image), resizeSize: batch.resizeSize });
      sizes.add(batch.resizeSize.join('x'));
      if (writeError) break;
      await writeLine(batch, 0);
      index++;
    }
    // The later epochs: the same samples, each epoch's own order (--shuffle); written only.
    for (let epoch = 1; epoch < flags.epochs && !writeError; epoch++) {
      index = 0;
      for await (const batch of batchStream<FileSample>(planned, { ...options, signal, ...(flags.shuffle ? { epoch } : {}) })) {
        if (writeError) break;
        await writeLine(batch, epoch);
        index++;
      }
    }
    complete = !writeError;
  } finally {
    bar.end();
    await verify?.close();
  }
  const allRejects = rejects.concat(stream.rejects.map((r) => ({ path: r.sample.path, reason: `${r.code}: ${describeReject(r)}` })));
  const dropped = stream.dropped.map((d) => d.sample.path);
  if (complete && out) {
    // The last line: what is not in any batch. Its presence also tells a reader the plan is whole.
    const last = { rejects: allRejects.map((r) => ({ path: named(r.path), reason: r.reason })), dropped: dropped.map(named) };
    if (!out.stream.write(`${JSON.stringify(last)}\n`)) await Promise.race([once(out.stream, 'drain'), once(out.stream, 'error')]);
    complete = !writeError;
  }
  if (complete && out) await out.finish(true).catch((error: Error) => (writeError ??= error));
  if (writeError) throw new UsageError(`--out ${shownPath(flags.out ?? '')}: writing failed: ${writeError.message}`);
  const planSeconds = (performance.now() - readStart) / 1000;
  const batchSize = stream.batcher.options.batchSize ?? null;
  const metrics = scored.length > 0 ? evaluate(scored, batchSize ? { batchSize } : {}) : undefined;
  return {
    images,
    batches: scored.length,
    batchSize,
    fill: metrics?.fill ?? null,
    distortion: metrics?.distortion ?? null,
    scaleMismatch: metrics?.scaleMismatch ?? null,
    resizeWaste: metrics?.resizeWaste ?? null,
    distinctSizes: sizes.size,
    filesFound: total,
    skipped: { count: found.skipped.length, examples: found.skipped.slice(0, 5) },
    rejects: allRejects,
    dropped,
    headersSeconds: readSeconds,
    ...(flags.verify ? { verifySeconds } : {}),
    headersPerSecond: readSeconds > 0 ? total / readSeconds : 0,
    planSeconds,
    strategy: flags.strategy,
    options: flags.batcherOptions,
    worldSize: flags.worldSize,
    rank: flags.rank,
    ...(flags.out ? { out: flags.out } : {}),
  };
}

const f = (x: number) => x.toFixed(3);

/**
 * A file name as text output shows it: as is, unless it holds control characters (a newline
 * would forge a line of output, an escape sequence would drive the terminal) or starts with a
 * quote; then as a JSON string, escapes and all.
 */
export function shownPath(path: string): string {
  // A lone surrogate is a name's raw byte (not UTF-8, kept escaped: shared/names.ts): JSON shows it as \udcXX.
  // eslint-disable-next-line no-control-regex
  return /[\u0000-\u001f\u007f-\u009f\u2028\u2029]|^"|(?<![\ud800-\udbff])[\udc80-\udcff]/.test(path) ? JSON.stringify(path) : path;
}

export function formatSummary(s: PlanSummary): string {
  const lines: string[] = [];
  const rank = s.worldSize > 1 ? ` (rank ${s.rank} of ${s.worldSize})` : '';
  lines.push(`plan: ${s.strategy}${rank}, ${Object.entries(s.options).map(([k, v]) => `${k} ${v}`).join(', ')}`);
  lines.push('');
  const table: [string, string][] = [
    ['images', String(s.images)],
    ['batches', String(s.batches)],
    ['distinct sizes', String(s.distinctSizes)],
    ['fill', s.fill === null ? '-' : f(s.fill)],
  ];
  for (const line of table) lines.push(`  ${line[0].padEnd(16)}${line[1].padStart(10)}`);
  lines.push('');
  lines.push(`  ${''.padEnd(20)}${'p50'.padStart(10)}${'p95'.padStart(10)}${'max'.padStart(10)}`);
  for (const [name, m] of [
    ['distortion d', s.distortion],
    ['scale mismatch m', s.scaleMismatch],
    ['resize waste r', s.resizeWaste],
  ] as const) {
    lines.push(`  ${name.padEnd(20)}${m ? f(m.p50).padStart(10) + f(m.p95).padStart(10) + f(m.max).padStart(10) : '         -         -         -'}`);
  }
  lines.push('');
  lines.push(
    `read ${s.filesFound} headers in ${s.headersSeconds.toFixed(2)} s (${s.headersPerSecond.toFixed(0)}/s)${s.verifySeconds !== undefined ? `, of which ${s.verifySeconds.toFixed(2)} s decoding every file (--verify)` : ''}; planned in ${s.planSeconds.toFixed(2)} s overall`,
  );
  if (s.skipped.count > 0) {
    lines.push(`skipped ${s.skipped.count} files with other extensions (e.g. ${s.skipped.examples.map(shownPath).join(', ')}); --all-files reads them too`);
  }
  if (s.dropped.length > 0) lines.push(`dropped (--leftover drop): ${s.dropped.length} images`);
  if (s.out) lines.push(`plan written to ${s.out === '-' ? 'stdout' : shownPath(s.out)} (JSON Lines, one batch a line)`);
  lines.push('');
  lines.push(`rejects (${s.rejects.length})${s.rejects.length ? ':' : ''}`);
  for (const r of s.rejects) lines.push(`  ${shownPath(r.path)}: ${r.reason}`);
  return lines.join('\n');
}

/**
 * `--verify`: decodes whole files on the imaging pool (a worker per core), reading them in groups
 * of a few per worker so that memory stays bounded by a group; the reason each bad file fails.
 */
async function fileVerifier(): Promise<{ files(paths: string[]): Promise<Map<string, string>>; close(): Promise<void> }> {
  const { createImagingPool } = await import('mm-tokenize-batcher/imaging');
  const { readFile } = await import('node:fs/promises');
  const pool = createImagingPool();
  const group = 4 * pool.size;
  return {
    async files(paths) {
      const problems = new Map<string, string>();
      for (let at = 0; at < paths.length; at += group) {
        const some = paths.slice(at, at + group);
        const rejects = await pool.verifyImages(await Promise.all(some.map((path) => readFile(fsName(path)))));
        for (const r of rejects) problems.set(some[r.index]!, `${r.code}: ${describeReject(r)}`);
      }
      return problems;
    },
    close: () => pool.close(),
  };
}

/**
 * `--captions FILE`: the images a manifest names (read by the library's `readManifest`, as
 * `createLoader` reads it), their captions, and its lines that name no image as rejects. Its
 * images are all files or all URLs.
 */
async function readCaptions(file: string) {
  const { readManifest } = await import('mm-tokenize-batcher/loader');
  let manifest;
  try {
    manifest = await readManifest(file);
  } catch (error) {
    throw new UsageError(`--captions ${shownPath(file)}: ${(error as Error).message}`);
  }
  const kinds = new Set(manifest.images.map((i) => i.kind));
  if (kinds.size > 1) throw new UsageError(`--captions ${shownPath(file)}: names both files and URLs; plan them apart`);
  const files = manifest.images.map((i) => i.source);
  return {
    files,
    urls: kinds.has('url') ? files : undefined,
    skipped: [] as string[],
    problems: manifest.rejects.map((r) => ({ path: r.source, reason: `${r.code}: ${r.detail}` })),
    texts: new Map(manifest.images.map((i) => [i.source, i.text])),
  };
}
