// The one markdown helper the benchmark reports share: a table, and number formats.

/** A markdown table. `align` per column: 'l' (text) or 'r' (numbers); default 'l'. */
export function table(header: readonly string[], rows: readonly (readonly (string | number)[])[], align: string = ''): string {
  const rule = header.map((_, i) => (align[i] === 'r' ? '---:' : '---'));
  const line = (cells: readonly (string | number)[]) => `| ${cells.map(String).join(' | ')} |`;
  return [line(header), `|${rule.join('|')}|`, ...rows.map(line)].join('\n');
}

/** `x` with `digits` decimals. */
export const fixed = (x: number, digits = 3): string => x.toFixed(digits);

/** A whole number with thousands separators: 1,335,410. */
export const count = (x: number): string => Math.round(x).toLocaleString('en-US');

/** A ratio: 1.77x. */
export const times = (x: number, digits = 2): string => `${x.toFixed(digits)}x`;

/** A share as a percentage: 0.5003 -> 50%. */
export const percent = (x: number, digits = 0): string => `${(100 * x).toFixed(digits)}%`;

/** A range of numbers, formatted: 3.2-22 or 1.5 when both ends read the same. */
export function range(values: readonly number[], format: (x: number) => string): string {
  const lo = format(Math.min(...values));
  const hi = format(Math.max(...values));
  return lo === hi ? lo : `${lo}-${hi}`;
}

/** The first line of every report: where it comes from and how to write it again. */
export function provenance(json: string, script: string, command: string): string {
  return (
    `<!-- Written by bench/reports from bench/results/${json}; do not edit by hand. -->\n` +
    `_Figures from [\`${json}\`](${json}), written by \`${script}\` (${command}). ` +
    'Render again from the stored JSON, without running the benchmark: `pnpm --filter mm-tokenize-batcher-bench reports`._'
  );
}

/** p50, p95 and max of one metric, as every report's JSON holds them. */
export interface Percentiles {
  p50: number;
  p95: number;
  max: number;
}
