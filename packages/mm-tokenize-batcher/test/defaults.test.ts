// Every default lives in one Rust table (crates/core/src/defaults.rs, and imaging's toTensor table),
// exported through the registries. The documentation users read states defaults too: the JSDoc
// of the published declarations (dist/*.d.ts, what editors show) and docs/defaults.md. This test
// fails when a documented default differs from the table, when a tabled option's doc states no
// default, and when docs/defaults.md is not the table as generated.
import { readdirSync, readFileSync } from 'node:fs';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { optionDefaults, type OptionDefault } from 'mm-tokenize-batcher';
import { tensorDefaults } from 'mm-tokenize-batcher/imaging';
import { defaultsMarkdown } from '../scripts/defaults-doc.mjs';

const table: OptionDefault[] = [...optionDefaults(), ...tensorDefaults().defaults];
const dist = (file: string) => new URL(`../dist/${file}`, import.meta.url);

/** Which table scopes each options interface of the public API documents (the first that holds the option). */
const SCOPES: Record<string, string[]> = {
  BatcherOptions: ['batcher'],
  ShuffleOptions: ['batcher'],
  SortedBatcherOptions: ['sorted', 'batcher'],
  ClusteredBatcherOptions: ['clustered', 'batcher'],
  BalancedBatcherOptions: ['balanced', 'batcher'],
  StreamOptions: ['batchStream', 'ranks', 'batcher'],
  RankOptions: ['ranks', 'batcher'],
  FileSizesOptions: ['imageSizesFromFiles'],
  UrlSizesOptions: ['imageSizesFromUrls'],
  SmartResizeOptions: ['smartResize'],
  EvaluateOptions: ['evaluate'],
  TokenPackerOptions: ['TokenPacker'],
  TensorOptions: ['toTensor'],
  VerifyOptions: ['toTensor'],
  ImagingPoolOptions: ['createImagingPool'],
  PatchesOptions: ['toTensor.patches'],
  LoaderOptions: ['createLoader', 'ranks', 'batcher'],
};

/**
 * Defaults set in TypeScript, not in Rust, each for a reason: they depend on the runtime, on the caller's environment (`fetch`, a TF.js module) or name files.
 */
const JS_ONLY = new Set(['ImagingPoolOptions.wasm', 'ImagingPoolOptions.workerUrl', 'MapOptions.prefetch', 'UrlSizesOptions.fetch', 'TfTensorOptions.tf', 'PresetFromConfigOptions.name', 'LoaderOptions.workers']);

/** Pages with option tables that state defaults, and the table scopes of their options. */
const DOC_TABLES: Record<string, string[]> = {
  'options.md': ['batcher', 'sorted', 'clustered', 'balanced'],
  'imaging.md': ['toTensor'],
};

interface Documented {
  where: string;
  /** The table row this property is documented against, if any. */
  row?: OptionDefault;
  option: string;
  optional: boolean;
  doc: string;
}

/** Every property of every interface in the declarations, with its JSDoc text. */
function documentedProperties(files: string[]): Documented[] {
  const out: Documented[] = [];
  for (const file of files) {
    const source = ts.createSourceFile(file, readFileSync(dist(file), 'utf8'), ts.ScriptTarget.Latest, true);
    source.forEachChild(function visit(node) {
      if (ts.isInterfaceDeclaration(node)) {
        for (const member of node.members) {
          if (!ts.isPropertySignature(member) || !member.name) continue;
          const doc = ts
            .getJSDocCommentsAndTags(member)
            .map((d) => ts.getTextOfJSDocComment(d.comment) ?? '')
            .join(' ');
          const option = member.name.getText(source);
          const scopes = SCOPES[node.name.text] ?? [];
          const row = scopes.map((scope) => table.find((r) => r.scope === scope && r.option === option)).find((r) => r !== undefined);
          out.push({ where: `${node.name.text}.${option}`, row, option, optional: member.questionToken !== undefined, doc });
        }
      }
      node.forEachChild(visit);
    });
  }
  return out;
}

/** The value a doc states after "Default" (`Default 0.95`, "Default: `'median'`", "Default 56 * 56"). */
function statedDefault(doc: string): number | boolean | string | undefined {
  const at = doc.search(/\bDefault\b:?\s*/);
  if (at < 0) return undefined;
  let rest = doc.slice(at).replace(/^Default:?\s*/, '');
  // A number or boolean in code font reads as itself: `1`, `false`, `89,478,485`.
  rest = rest.replace(/^`(-?\d[\d,]*(?:\.\d+)?|true|false)`/, '$1');
  const number = /^-?\d[\d,]*(\.\d+)?(\s*\*\s*\d[\d,]*)*/.exec(rest);
  if (number) return number[0].split('*').reduce((product, n) => product * Number(n.replace(/,/g, '').trim()), 1);
  if (/^(true|false)\b/.test(rest)) return rest.startsWith('true');
  const quoted = /^`([^`]+)`|^'([^']+)'/.exec(rest);
  if (quoted) return (quoted[1] ?? quoted[2] ?? '').replace(/^'(.*)'$/, '$1');
  return rest.split(/[.;](\s|$)/)[0]?.replaceAll('`', '').trim();
}

const expected = (value: OptionDefault['value']) => (typeof value === 'object' ? value.rule : value);
// The declarations, with their shared chunks (tsup splits them).
const files = readdirSync(dist('')).filter((f) => f.endsWith('.d.ts'));

describe('documented defaults', () => {
  const documented = documentedProperties(files);

  it('reads the declarations of the whole public API', () => {
    for (const name of Object.keys(SCOPES)) expect(documented.some((d) => d.where.startsWith(`${name}.`)), name).toBe(true);
  });

  it('every "Default" in the declarations is the value the Rust table holds', () => {
    const wrong: string[] = [];
    for (const d of documented) {
      const stated = statedDefault(d.doc);
      if (stated === undefined || JS_ONLY.has(d.where)) continue;
      const row = d.row;
      if (!row) wrong.push(`${d.where}: documents a default (${String(stated)}) that no table row holds`);
      else if (stated !== expected(row.value)) wrong.push(`${d.where}: documents ${JSON.stringify(stated)}, the table holds ${JSON.stringify(expected(row.value))}`);
    }
    expect(wrong).toEqual([]);
  });

  it('every tabled option that the declarations document states its default', () => {
    // Optional properties only: a required one (batchForRank's worldSize) has no default there.
    const silent = documented.filter((d) => d.row && d.optional && statedDefault(d.doc) === undefined).map((d) => d.where);
    expect(silent).toEqual([]);
  });

  it('reads what docs state', () => {
    expect(statedDefault('Most files open at once. Default 32.')).toBe(32);
    expect(statedDefault('A request ... Default 30,000.')).toBe(30_000);
    expect(statedDefault("Default `'split'`.")).toBe('split');
    expect(statedDefault('Default 56 * 56; `null` for none.')).toBe(3136);
    expect(statedDefault('Default false.')).toBe(false);
    expect(statedDefault('Default `floor(bufferSize / 2)`.')).toBe('floor(bufferSize / 2)');
    expect(statedDefault("Slots per batch. Default: the largest batch's length.")).toBe("the largest batch's length");
  });

  it('every default column of the docs\' option tables is the value the Rust table holds', () => {
    const wrong: string[] = [];
    for (const [page, scopes] of Object.entries(DOC_TABLES)) {
      const text = readFileSync(new URL(`../../../docs/${page}`, import.meta.url), 'utf8');
      let column = -1;
      for (const line of text.split('\n')) {
        if (!line.startsWith('|')) {
          column = -1;
          continue;
        }
        const cells = line.split('|').slice(1, -1).map((c) => c.trim());
        if (cells[0] === 'option') column = cells.indexOf('default');
        const option = /^`(\w+)`$/.exec(cells[0] ?? '')?.[1];
        if (column < 0 || !option) continue;
        const row = scopes.map((scope) => table.find((r) => r.scope === scope && r.option === option)).find((r) => r !== undefined);
        if (!row) continue;
        const stated = statedDefault(`Default ${(cells[column] ?? '').replace(/(\d)_(?=\d)/g, '$1,')}`);
        if (stated !== expected(row.value)) wrong.push(`docs/${page}, ${option}: states ${JSON.stringify(stated)}, the table holds ${JSON.stringify(expected(row.value))}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('docs/defaults.md is the table as generated (pnpm --filter mm-tokenize-batcher docs:defaults)', () => {
    const committed = readFileSync(new URL('../../../docs/defaults.md', import.meta.url), 'utf8');
    expect(committed).toBe(defaultsMarkdown(table));
  });
});
