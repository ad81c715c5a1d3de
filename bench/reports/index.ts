// Every benchmark report: bench/results/<name>.md rendered from bench/results/<name>.json. The
// benchmarks call `writeReport(name)` after writing their JSON; `pnpm --filter
// mm-tokenize-batcher-bench reports` renders them all again from the stored JSON (render.ts).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { render as cliHeaders } from './cli-headers.js';
import { render as decode } from './decode-benchmark.js';
import { render as loader } from './loader-benchmark.js';
import { render as pool } from './pool-benchmark.js';
import { render as realData } from './real-data.js';
import { render as resize } from './resize-benchmark.js';
import { render as runtimes } from './runtimes-benchmark.js';
import { render as scaling } from './scaling.js';
import { render as seed } from './seed-benchmark.js';
import { render as stream } from './stream-throughput.js';
import { render as urlSizes } from './url-sizes.js';

// Each renderer takes its benchmark's JSON as the benchmark wrote it.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const reports: Record<string, (data: any) => string> = {
  'seed-benchmark': seed,
  'real-data': realData,
  scaling,
  'resize-benchmark': resize,
  'pool-benchmark': pool,
  'decode-benchmark': decode,
  'loader-benchmark': loader,
  'runtimes-benchmark': runtimes,
  'cli-headers': cliHeaders,
  'stream-throughput': stream,
  'url-sizes': urlSizes,
};

const results = new URL('../results/', import.meta.url);

/** Renders bench/results/<name>.md from bench/results/<name>.json; false when there is no JSON. */
export function writeReport(name: string): boolean {
  const render = reports[name];
  if (!render) throw new Error(`no report named ${name}; reports: ${Object.keys(reports).join(', ')}`);
  const json = new URL(`${name}.json`, results);
  if (!existsSync(json)) return false;
  const text = render(JSON.parse(readFileSync(json, 'utf8'))).trimEnd() + '\n';
  writeFileSync(new URL(`${name}.md`, results), text);
  console.log(`wrote bench/results/${name}.md`);
  return true;
}
