// The strategy registry lives in Rust (crates/core/src/strategies/mod.rs). Every surface that takes a
// strategy by name must know every registered strategy: this test enumerates the registry and
// checks each one, so a strategy added in Rust and missed anywhere fails here.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ERROR_CODES,
  IMAGE_FORMATS,
  imageSizes,
  JS_ONLY_ERROR_CODES,
  batchForRank,
  batchStream,
  createBatcher,
  registeredStrategies,
  registeredFormats,
  rustErrorCodes,
  seedBenchmarkSamples,
  strategies,
  strategyNames,
} from 'mm-tokenize-batcher';

const registered = registeredStrategies().map((s) => s.name);
const root = new URL('../../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, root), 'utf8');
const buffer = seedBenchmarkSamples(300, 5);

describe('the strategy registry', () => {
  it('has a TypeScript class for every Rust strategy, in the same order', () => {
    expect(registered.length).toBeGreaterThanOrEqual(4);
    expect([...strategyNames]).toEqual(registered);
    expect(Object.keys(strategies)).toEqual(registered);
  });

  it.each(registered)('%s: createBatcher, batchStream and batchForRank plan it', async (name) => {
    const batcher = createBatcher(name as never, { batchSize: 16 } as never);
    expect(batcher).toBeInstanceOf(strategies[name as keyof typeof strategies]);
    expect(batcher.strategy).toBe(name);
    const planned = batcher.batch(buffer);
    expect(planned.flatMap((b) => b.indices).sort((a, b) => a - b)).toEqual([...buffer.keys()]);

    let streamed = 0;
    for await (const b of batchStream(buffer, { strategy: name, batchSize: 16, bufferSize: 128 } as never)) streamed += b.indices.length;
    expect(streamed).toBe(buffer.length);

    const ranks = [0, 1].map((rank) => batchForRank(batcher, buffer, { worldSize: 2, rank }));
    expect(ranks[0]!.length).toBe(ranks[1]!.length);
    expect(ranks.flatMap((r) => r.flatMap((b) => b.indices)).sort((a, b) => a - b)).toEqual([...buffer.keys()]);
  });

  it('the CLI lists and plans with every strategy; its bench runs every one', () => {
    const cli = new URL('../dist/cli.js', import.meta.url).pathname;
    const help = execFileSync(process.execPath, [cli, '--help'], { encoding: 'utf8' });
    for (const name of registered) expect(help).toContain(name);
    const rows = JSON.parse(execFileSync(process.execPath, [cli, 'bench', '--runs', '1', '--json'], { encoding: 'utf8' })) as { strategy: string }[];
    expect([...new Set(rows.map((r) => r.strategy))]).toEqual(registered);
  });

  it('the benchmark, the examples and the conformance suite take names from the registry', () => {
    for (const file of ['bench/seed-benchmark.ts', 'test/examples/worker-threads/main.mjs', 'test/runtimes/web-app/main.js']) {
      expect(read(file), file).toContain('strategyNames');
    }
    for (const file of ['test/examples/worker-threads/plan-worker.mjs', 'test/examples/web-worker/plan-worker.js']) {
      expect(read(file), file).toContain('createBatcher(strategy');
    }
    const golden = JSON.parse(read('test/conformance/golden.json')) as { cases: Record<string, string> };
    for (const name of registered) expect(Object.keys(golden.cases), name).toContain(`registry/${name}`);
  });
});

describe('error codes', () => {
  it('TypeScript knows every code Rust reports, and adds only the JS-only codes', () => {
    const jsOnly: readonly string[] = JS_ONLY_ERROR_CODES;
    expect([...ERROR_CODES].filter((c) => !jsOnly.includes(c)).sort()).toEqual(rustErrorCodes().sort());
  });
});

describe('image formats', () => {
  it('TypeScript names every format of the Rust signature table, in its order', () => {
    expect(registeredFormats().map((f) => f.name)).toEqual([...IMAGE_FORMATS]);
    expect(registeredFormats().filter((f) => f.sizes).map((f) => f.name)).toEqual(['PNG', 'JPEG', 'WebP', 'GIF', 'BMP', 'AVIF', 'HEIC']);
  });

  it('bytes of a known format the package does not read are named, never quoted', () => {
    const signatures: [string, Uint8Array][] = [
      ['TIFF', new TextEncoder().encode('MM\0*\0\0\0\x08 secret')],
      ['PDF', new TextEncoder().encode('%PDF-1.7 secret')],
      ['JPEG XL', new Uint8Array([0xff, 0x0a, 0x73, 0x65, 0x63])],
    ];
    for (const [name, bytes] of signatures) {
      const [size] = imageSizes([bytes]);
      expect(size).toMatchObject({ code: 'UNSUPPORTED_IMAGE', format: name });
      expect(JSON.stringify(size)).not.toMatch(/secret|73 65 63/);
    }
  });
});
