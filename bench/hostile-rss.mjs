// Measurement (not a test): peak RSS of a process reading one image size from a hostile server
// (test/runtimes/hostile-servers.mjs): an endless body, a 1 GiB body and a gzip bomb (256 MiB
// inflated). Each case runs in a fresh child process that imports the package, records its idle
// RSS, calls imageSizesFromUrls on the one URL and reports its peak RSS (VmHWM, Linux) above
// idle, the entry it got and the seconds it took. The server runs in this process.
//
//   node bench/hostile-rss.mjs [--entry path/to/dist/node.js] [--timeout-ms 30000] [--max-bytes N] [--only /endless]
// `--entry` measures another build (for a before/after table: a copy of main's dist).
import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { startHostileServer } from '../test/runtimes/hostile-servers.mjs';

const { values } = parseArgs({ options: { entry: { type: 'string' }, 'timeout-ms': { type: 'string' }, 'max-bytes': { type: 'string' }, only: { type: 'string' }, child: { type: 'string' } } });

if (values.child) {
  // In the child: idle RSS after import, then one read, then the peak.
  const { imageSizesFromUrls } = await import(values.entry ? pathToFileURL(values.entry).href : 'mm-tokenize-batcher');
  globalThis.gc?.();
  const idle = process.memoryUsage().rss;
  const started = performance.now();
  const [entry] = await imageSizesFromUrls([values.child], { timeoutMs: Number(values['timeout-ms'] ?? 30_000), ...(values['max-bytes'] ? { maxBytes: Number(values['max-bytes']) } : {}) });
  const seconds = (performance.now() - started) / 1000;
  const { readFileSync } = await import('node:fs');
  const peak = Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) * 1024;
  const { code, reason, bytesRead, detail } = entry;
  process.stdout.write(JSON.stringify({ idleMiB: idle / 2 ** 20, peakAboveIdleMiB: (peak - idle) / 2 ** 20, seconds, code, reason, bytesRead, detail }) + '\n');
  process.exit(0);
}

const server = await startHostileServer();
const cases = [
  ['endless body', '/endless'],
  ['endless body, Range without total', '/endless-range'],
  ['1 GiB body', '/huge'],
  ['gzip bomb (256 MiB inflated)', '/gzip'],
];
const me = fileURLToPath(import.meta.url);
const rows = [];
for (const [name, path] of cases.filter(([, p]) => !values.only || p === values.only)) {
  const args = ['--expose-gc', me, '--child', server.origin + path, ...(values.entry ? ['--entry', values.entry] : []), ...(values['timeout-ms'] ? ['--timeout-ms', values['timeout-ms']] : []), ...(values['max-bytes'] ? ['--max-bytes', values['max-bytes']] : [])];
  // Asynchronous spawn: this process serves the bytes while the child reads them.
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  await new Promise((resolve) => child.on('exit', resolve));
  const r = JSON.parse(out.trim().split('\n').pop());
  rows.push({ case: name, ...r });
  console.error(`${name}: ${r.peakAboveIdleMiB.toFixed(1)} MiB above idle (${r.idleMiB.toFixed(1)} MiB idle), ${r.seconds.toFixed(1)} s, ${r.code} ${r.reason ?? ''} bytesRead ${r.bytesRead}`);
}
await server.close();
console.log('| case | peak RSS above idle (MiB) | seconds | entry | bytesRead |');
console.log('|---|---:|---:|---|---:|');
for (const r of rows) console.log(`| ${r.case} | ${r.peakAboveIdleMiB.toFixed(1)} | ${r.seconds.toFixed(1)} | ${r.code ?? 'size'}${r.reason ? ` (${r.reason})` : ''} | ${r.bytesRead} |`);
