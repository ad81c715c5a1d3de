// Writes docs/defaults.md from the Rust defaults tables (the registries of both modules), so the
// page users read is the table the code uses. `pnpm --filter mm-tokenize-batcher docs:defaults`
// after a change; test/defaults.test.ts fails while the committed page differs.
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** What each scope of the table is, in the API. */
const SCOPES = {
  batcher: 'Every batcher (`SimpleBatcher`, `SortedBatcher`, `ClusteredBatcher`, `BalancedBatcher`)',
  sorted: '`SortedBatcher`',
  clustered: '`ClusteredBatcher`',
  balanced: '`BalancedBatcher`',
  batchStream: '`batchStream`',
  ranks: '`batchForRank` and `batchStream`',
  imageSizesFromFiles: '`imageSizesFromFiles`',
  imageSizesFromUrls: '`imageSizesFromUrls`',
  smartResize: '`smartResize`',
  evaluate: '`evaluate`',
  TokenPacker: '`TokenPacker`',
  toTensor: '`toTensor`, `toTfTensor` and the imaging pool (`mm-tokenize-batcher/imaging`)',
  'toTensor.patches': "`toTensor`'s `patches` object (Qwen2-VL's patch layout; `toPatches` takes the same)",
  limits: 'Limits of header reading and planning (`IMAGE_TOO_LARGE` above the pixels, `INVALID_IMAGE` above the side)',
};

/** @param {{ scope: string, option: string, value: number | boolean | string | { rule: string } }} row */
function shown({ value }) {
  if (typeof value === 'object') return value.rule;
  if (typeof value === 'string') return `\`'${value}'\``;
  if (typeof value === 'number') return `\`${value.toLocaleString('en-US', { maximumFractionDigits: 6 })}\``;
  return `\`${value}\``;
}

/** The page, from the table rows. @param {{ scope: string, option: string, value: unknown }[]} table */
export function defaultsMarkdown(table) {
  const lines = [
    '# Defaults',
    '',
    'Every default of the library, generated from the tables the code reads them from',
    '(`crates/core/src/defaults.rs`, and `toTensor`\'s in `crates/imaging/src/tensor_options.rs`).',
    'At run time the same tables are `optionDefaults()` and `tensorDefaults().defaults`.',
    'Regenerate with `pnpm --filter mm-tokenize-batcher docs:defaults`; a test fails while this page',
    'or a "Default" in the API documentation differs from them.',
  ];
  for (const scope of [...new Set(table.map((r) => r.scope))]) {
    lines.push('', `## ${SCOPES[scope] ?? `\`${scope}\``}`, '', '| option | default |', '|---|---|');
    for (const row of table.filter((r) => r.scope === scope)) lines.push(`| \`${row.option}\` | ${shown(row)} |`);
  }
  return `${lines.join('\n')}\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { optionDefaults } = await import('../dist/node.js');
  const { tensorDefaults } = await import('../dist/imaging-node.js');
  const page = new URL('../../../docs/defaults.md', import.meta.url);
  writeFileSync(page, defaultsMarkdown([...optionDefaults(), ...tensorDefaults().defaults]));
  console.log(`wrote ${fileURLToPath(page)}`);
}
