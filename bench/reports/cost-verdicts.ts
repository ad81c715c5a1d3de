// The SPEC cost goals as a table, for the reports that judge them (seed benchmark, real data).
import type { CostVerdict } from '../cost-goals.js';
import { table } from './markdown.js';

export function costVerdicts(verdicts: readonly CostVerdict[]): string {
  const rows = verdicts.map((v) => {
    const ratios = v.ratios.map((r) => r.ratio);
    const met = v.ratios.length - v.misses.length;
    return [
      v.strategy,
      v.goal,
      `\`${v.peer}\``,
      ratios.length ? `${met} of ${ratios.length}` : 'not measured',
      ratios.length ? `${Math.min(...ratios).toFixed(2)}x-${Math.max(...ratios).toFixed(2)}x` : '',
      v.misses.length ? `**fails** at ${v.misses.map((m) => `${m.label} (${m.ratio.toFixed(2)}x)`).join(', ')}` : ratios.length ? 'holds' : '',
    ];
  });
  return table(['strategy', 'goal', 'against', 'cells met', 'peer cost / ours', 'verdict'], rows, 'lllrrl');
}
