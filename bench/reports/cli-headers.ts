// The CLI header-reading benchmark's report (bench/results/cli-headers.md) from cli-headers.json.
import { count, fixed, provenance, table } from './markdown.js';

export interface CliHeaders {
  count: number;
  runs: number;
  node: string;
  cache: string;
  strategy: string;
  results: { concurrency: number; headersPerSecond: number; processSeconds: number }[];
}

/** The CLI's default `--concurrency` (src/cli/main.ts). */
const DEFAULT_CONCURRENCY = 32;

export function render(data: CliHeaders): string {
  const out: string[] = [];
  out.push('# Headers read per second by the CLI', '', provenance('cli-headers.json', 'bench/cli-headers.mjs', '`pnpm bench:cli-headers`'), '');
  out.push(
    `\`mm-tokenize-batcher plan FOLDER --json\` on ${count(data.count)} generated PNG, JPEG, WebP, GIF and BMP files (sides 224..1024; the BMPs, 2%, up to 400)`,
    `in ${Math.ceil(data.count / 500)} folders of 500, ${data.cache} page cache, strategy ${data.strategy}. Headers are read by the library's wasm reader; the figure is the CLI's`,
    `own (its summary's \`headersPerSecond\`), reading interleaved with planning through the stream; median of ${data.runs} runs. Node ${data.node}.`,
    'Not a timed test.',
    '',
    table(
      ['`--concurrency`', 'headers / s', 'whole process (s)'],
      data.results.map((r) => [r.concurrency === DEFAULT_CONCURRENCY ? `${r.concurrency} (default)` : String(r.concurrency), count(r.headersPerSecond), fixed(r.processSeconds, 2)]),
      'rrr',
    ),
    '',
    'The whole-process time is the last run\'s and includes starting Node, planning and writing the summary.',
    'The CLI itself: [docs/cli.md](../../docs/cli.md).',
  );
  return out.join('\n');
}
