// The command-line tool: `mm-tokenize-batcher plan <folder or glob>...` and `mm-tokenize-batcher bench`.
import { parseArgs } from 'node:util';
import { closest, distance } from 'fastest-levenshtein';
import { BatcherError, presetNames, presetOptions, presets, strategyNames, type StrategyName } from 'mm-tokenize-batcher';
import { runBench, type BenchRow } from './bench.js';
import { formatSummary, Interrupted, plan, UsageError, type PlanFlags } from './plan.js';
import { argumentsAsGiven } from './arguments.js';

const HELP = `mm-tokenize-batcher: shape-aware batching of images for vision-language models

Usage:
  mm-tokenize-batcher plan <folder | file | glob>... [options]
  mm-tokenize-batcher plan --urls FILE [options]
  mm-tokenize-batcher bench [--runs N] [--json]
  mm-tokenize-batcher --help | --version

plan
  Finds image files (folders are walked recursively in sorted order; quote globs such as
  'data/**/*.jpg'), reads only their headers (PNG, JPEG, WebP, GIF, BMP: extensions .png .jpg
  .jpeg .webp .gif .bmp), plans batches and prints a summary: images, batches, fill, and p50 /
  p95 / max of distortion d, scale mismatch m and resize waste r. Files that cannot be read or
  are not images of those formats are listed under "rejects" (never with any of their bytes);
  the run goes on. Files with other extensions are counted as skipped (or read with --all-files).
  Each file is planned once and each folder walked once (known by device and inode), whatever
  the symbolic links. Links are not followed out of the folders named: a link leading outside
  them is listed under rejects and nothing of its target is read, unless --follow-symlinks is
  given. A link back to a folder that contains it is listed as a loop. File names holding control
  characters (a newline, say) are shown as JSON strings in the text output.

  -s, --strategy NAME     ${strategyNames.join(' | ')} (default: clustered)
  -p, --preset NAME       model preset: ${presetNames.join(' | ')};
                          sets patchSize, multipleOf, minPixels, maxPixels (and sizing)
  -b, --batch-size N      samples per batch (default: 32)
      --multiple-of N     each side of resizeSize is a multiple of N (overrides the preset)
      --min-pixels N      smallest height * width of a resizeSize (overrides the preset)
      --max-pixels N      largest height * width of a resizeSize (overrides the preset)
      --sizing MODE       median | minimax | smart-resize
      --seed N            seed of the k-means start (clustered) and of --shuffle (default 0)
      --shuffle           shuffle the order of the steps, a permutation per epoch (docs/shuffle.md)
      --epochs N          with --out: write N epochs' plans, each line with its "epoch"
                          (default: 1; with --shuffle each epoch has its own order)
      --captions FILE     plan the images a .jsonl or .csv manifest names (columns path | file |
                          file_name | image | url, and text | caption; relative paths against the
                          manifest's folder), captions written with --out as "texts"; a line that
                          names no image, or an image that cannot be read, is listed under rejects
      --buffer-size N     images planned together (default: 8192); memory stays bounded by it
      --carry             carry a buffer's partial batches into the next buffer (better fill)
      --world-size N      data-parallel ranks (default: 1); the plan printed is --rank's
      --rank N            this rank, 0 .. world-size - 1 (default: 0)
      --leftover MODE     split | pad | drop: batches left over when their count is not a
                          multiple of world-size (default: split; see docs/ranks.md)
      --urls FILE         plan images at URLs instead: FILE holds one URL a line (blank lines
                          and lines starting with # are skipped; - reads stdin); each size is
                          read from the image's first bytes with HTTP Range requests; a URL that
                          fails (HTTP status, timeout, not an image) is listed under rejects
      --timeout-ms N      with --urls: a request not done in N ms is a reject (default: 30000)
  -o, --out FILE          write the plan as JSON Lines: one batch a line,
                          {"batch","step","rank","resizeSize":[h,w],"files":[...],
                          "sizes":[[h,w],...]} (sizes: each file's own size, parallel to files),
                          then one last line {"rejects":[{"path","reason"}],"dropped":[...]};
                          --out - writes them to stdout (the summary then goes to stderr)
      --absolute-paths    absolute paths in the JSON Lines (default: relative to the folder of
                          --out, or to the working directory for --out -; URLs as given)
      --json              print the summary as JSON instead of a table
      --all-files         read every file found, whatever its extension
      --verify            also decode every file whole (the imaging module): truncated and
                          undecodable files become rejects and are not planned (slower: a
                          full decode per file instead of a header read)
      --follow-symlinks   follow symbolic links that lead outside the folders named
                          (default: not followed; cycles are detected either way)
      --concurrency N     files read at once (default: 32)
      --no-progress       no progress bar (it only shows when stderr is a terminal anyway)

bench
  Runs the SPEC seed benchmark with the library's strategies: 5,000 synthetic images, batch
  size 32, buffers of 128 to 5000, multipleOf 1 and 28; prints cost (us per sample), fill and
  p95 of d, m, r.
      --runs N            timed runs per row after one warm-up (default: 5)
      --json              print the rows as JSON

  -h, --help              this help
  -v, --version           the package version

Exit status: 0 when a plan was made (even with rejects), 1 on a usage error or when no image
could be read.`;

function fail(message: string, hint = true): never {
  process.stderr.write(`mm-tokenize-batcher: ${message}\n${hint ? 'Run `mm-tokenize-batcher --help` for usage.\n' : ''}`);
  process.exit(1);
}

function whole(name: string, value: string | undefined, min = 1): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) fail(`--${name} must be a whole number >= ${min}, got ${JSON.stringify(value)}`);
  return n;
}

function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) fail(`--${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`);
  return value as T;
}

/** Every flag, as node:util's parseArgs reads them. */
const FLAGS = {
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
  strategy: { type: 'string', short: 's' },
  preset: { type: 'string', short: 'p' },
  'batch-size': { type: 'string', short: 'b' },
  'multiple-of': { type: 'string' },
  'min-pixels': { type: 'string' },
  'max-pixels': { type: 'string' },
  sizing: { type: 'string' },
  seed: { type: 'string' },
  shuffle: { type: 'boolean' },
  epochs: { type: 'string' },
  captions: { type: 'string' },
  'buffer-size': { type: 'string' },
  carry: { type: 'boolean' },
  'world-size': { type: 'string' },
  rank: { type: 'string' },
  leftover: { type: 'string' },
  out: { type: 'string', short: 'o' },
  urls: { type: 'string' },
  'timeout-ms': { type: 'string' },
  'absolute-paths': { type: 'boolean' },
  json: { type: 'boolean' },
  'all-files': { type: 'boolean' },
  verify: { type: 'boolean' },
  'follow-symlinks': { type: 'boolean' },
  concurrency: { type: 'string' },
  'no-progress': { type: 'boolean' },
  runs: { type: 'string' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof FLAGS; allowPositionals: true }>>['values'];

async function main(argv: string[]): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: FLAGS });
  } catch (error) {
    fail(argumentProblem(error as Error & { code?: string }));
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  if (values.version) {
    const { createRequire } = await import('node:module');
    process.stdout.write(`${createRequire(import.meta.url)('../package.json').version}\n`);
    return;
  }
  const [command, ...targets] = positionals;
  if (command === 'bench') return benchCommand(values);
  if (command !== 'plan') fail(command === undefined ? 'a command is needed: plan or bench' : `unknown command ${JSON.stringify(command)}`);
  const sources = [targets.length > 0 ? 'folders, files and globs' : undefined, values.urls !== undefined ? '--urls FILE' : undefined, values.captions !== undefined ? '--captions FILE' : undefined].filter(Boolean);
  if (sources.length > 1) fail(`plan takes one of folders, files and globs, --urls FILE or --captions FILE, got ${sources.join(' and ')}`);
  if (values.epochs !== undefined && values.out === undefined) fail('--epochs applies with --out only (the summary is the first epoch\'s)');
  if (values.urls !== undefined) {
    if (values.verify) fail('--verify decodes local files; it does not apply to --urls');
  } else if (targets.length === 0 && values.captions === undefined) fail('plan needs a folder, file or glob (or --urls FILE, or --captions FILE)');
  if (values['timeout-ms'] !== undefined && values.urls === undefined && values.captions === undefined) fail('--timeout-ms applies to --urls (and --captions naming URLs) only');
  const flags = planFlags(values, targets);
  // Not an error (sizes for analysis need neither), but a plan for a model almost always does.
  const warnNoMultiple = values.preset === undefined && values['multiple-of'] === undefined;
  return planCommand(flags, values.json ?? false, warnNoMultiple);
}

/** `bench`: the SPEC seed benchmark with the library's strategies. */
function benchCommand(values: Values): void {
  const runs = whole('runs', values.runs) ?? 5;
  const print = (r: BenchRow) =>
    process.stdout.write(
      `${r.strategy.padEnd(10)} m=${String(r.multipleOf).padEnd(3)} buffer ${String(r.bufferSize).padStart(5)}  cost ${r.costUs.toFixed(3).padStart(7)} us  fill ${r.fill.toFixed(3)}  p95 d ${r.p95Distortion.toFixed(3)}  m ${r.p95ScaleMismatch.toFixed(3)}  r ${r.p95ResizeWaste.toFixed(3)}\n`,
    );
  const rows = runBench(runs, values.json ? () => {} : print);
  if (values.json) process.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
}

/** The batcher's options from the flags: a preset first, then the flags that override it. */
function batcherOptionsFrom(values: Values, strategy: StrategyName): Record<string, unknown> {
  const options: Record<string, unknown> = {};
  if (values.preset !== undefined) {
    if (!Object.hasOwn(presets, values.preset)) fail(`--preset must be one of ${presetNames.join(', ')}, got ${JSON.stringify(values.preset)}`);
    Object.assign(options, presetOptions(values.preset));
  }
  options.batchSize = whole('batch-size', values['batch-size']) ?? 32;
  const set = (key: string, value: unknown) => {
    if (value !== undefined) options[key] = value;
  };
  set('multipleOf', whole('multiple-of', values['multiple-of']));
  set('minPixels', whole('min-pixels', values['min-pixels']));
  set('maxPixels', whole('max-pixels', values['max-pixels']));
  if (values.sizing !== undefined) set('sizing', oneOf('sizing', values.sizing, ['median', 'minimax', 'smart-resize'] as const, 'median'));
  if (values.seed !== undefined) {
    if (strategy !== 'clustered' && !values.shuffle) fail('--seed applies to --strategy clustered (the k-means start) and to --shuffle');
    if (strategy === 'clustered') set('seed', whole('seed', values.seed, 0));
  }
  // A multipleOf that is not a multiple of the preset's patch size would be refused: drop the
  // patch size then (it only sets the default multipleOf here).
  if (options.patchSize !== undefined && typeof options.multipleOf === 'number' && options.multipleOf % (options.patchSize as number) !== 0) {
    delete options.patchSize;
  }
  return options;
}

function planFlags(values: Values, targets: string[]): PlanFlags {
  const strategy = oneOf<StrategyName>('strategy', values.strategy, strategyNames, 'clustered');
  return {
    targets,
    strategy,
    batcherOptions: batcherOptionsFrom(values, strategy),
    bufferSize: whole('buffer-size', values['buffer-size']) ?? 8192,
    carry: values.carry ?? false,
    worldSize: whole('world-size', values['world-size']) ?? 1,
    rank: whole('rank', values.rank, 0) ?? 0,
    leftover: oneOf('leftover', values.leftover, ['split', 'pad', 'drop'] as const, 'split'),
    out: values.out,
    ...(values.urls === undefined ? {} : { urls: values.urls }),
    ...(values['timeout-ms'] === undefined ? {} : { timeoutMs: whole('timeout-ms', values['timeout-ms']) }),
    absolutePaths: values['absolute-paths'] ?? false,
    allFiles: values['all-files'] ?? false,
    verify: values.verify ?? false,
    followSymlinks: values['follow-symlinks'] ?? false,
    concurrency: whole('concurrency', values.concurrency) ?? 32,
    progress: !values['no-progress'],
    shuffle: values.shuffle ?? false,
    ...(values.shuffle && values.seed !== undefined ? { shuffleSeed: whole('seed', values.seed, 0) } : {}),
    epochs: whole('epochs', values.epochs) ?? 1,
    ...(values.captions === undefined ? {} : { captions: values.captions }),
  };
}

/** node:util's parseArgs message, with the flag meant when an unknown one is near a known one. */
function argumentProblem(error: Error & { code?: string }): string {
  const unknown = error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /'(-{1,2}[^']+)'/.exec(error.message)?.[1] : undefined;
  if (unknown === undefined) return error.message;
  const bare = (flag: string) => flag.replace(/^-+/, '').replaceAll('-', '').toLowerCase();
  const names = Object.keys(FLAGS);
  const near = closest(bare(unknown), names.map(bare));
  const meant = names.find((n) => bare(n) === near);
  const close = meant !== undefined && distance(bare(unknown), near) <= Math.max(2, Math.floor(near.length / 3));
  return `unknown option ${unknown}${close ? ` (did you mean --${meant}?)` : ''}`;
}

/** `plan`: plans, then prints the summary (to stderr when the plan itself goes to stdout). */
async function planCommand(flags: PlanFlags, json: boolean, warnNoMultiple: boolean): Promise<void> {
  let summary;
  try {
    summary = await plan(flags);
  } catch (error) {
    if (error instanceof Interrupted) {
      process.stderr.write(`mm-tokenize-batcher: ${error.message}\n`);
      process.exit(130);
    }
    if (error instanceof UsageError) fail(error.message, false);
    if (error instanceof BatcherError) fail(error.message);
    throw error;
  }
  if (warnNoMultiple) {
    process.stderr.write(
      'mm-tokenize-batcher: warning: neither --preset nor --multiple-of given, so each side of a resizeSize can be any whole number (1051x304, say), which no ViT takes; give --preset NAME, or --multiple-of 14 (patch 14) or 28 (Qwen2-VL)\n',
    );
  }
  const report = flags.out === '-' ? process.stderr : process.stdout;
  report.write(json ? `${JSON.stringify(summary, null, 2)}\n` : `${formatSummary(summary)}\n`);
  if (summary.images === 0) {
    process.stderr.write('mm-tokenize-batcher: no image could be read\n');
    process.exitCode = 1;
  }
}

main(argumentsAsGiven(process.argv.slice(2))).catch((error) => {
  process.stderr.write(`mm-tokenize-batcher: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
