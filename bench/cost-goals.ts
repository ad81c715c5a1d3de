// The SPEC cost goals, judged on timed cells. Shared by the benchmarks (seed-benchmark.ts,
// real-data.ts, through protocol.ts) and their reports (reports/), so it imports nothing from the
// package: reports render from stored JSON without a built package.

/**
 * The SPEC cost goals: every strategy faster than plain TypeScript and at least 10x faster than
 * the seed's Python stack, in every cell. A strategy with no twin among the peers (balanced) is
 * held to the peers' clustered strategy, the seed's own way of grouping by shape.
 */
export const COST_GOALS = [
  ['ts-baseline', 1, 'faster than plain TS'],
  ['python-seed', 10, '10x faster than Python'],
] as const;
export const twinOf = (name: string) => (['simple', 'sorted', 'clustered'].includes(name) ? name : 'clustered');

/** One cell a cost goal is judged in: its label and each plan's cost (us per sample) by name. */
export interface CostCell {
  label: string;
  costUs: (name: string) => number | undefined;
}

/** One (strategy, goal) judged over the cells: the peer's cost over ours in each cell timed by both. */
export interface CostVerdict {
  strategy: string;
  goal: string;
  /** `ts-baseline/clustered`, say. */
  peer: string;
  /** The ratio the goal asks for: more than this. */
  factor: number;
  ratios: { label: string; ratio: number }[];
  misses: { label: string; ratio: number }[];
}

/** Judges the cost goals for each of `strategies` over `cells`, one verdict per (strategy, goal). */
export function judgeCostGoals(strategies: readonly string[], cells: readonly CostCell[]): CostVerdict[] {
  const verdicts: CostVerdict[] = [];
  for (const name of strategies) {
    const twin = twinOf(name);
    for (const [peer, factor, goal] of COST_GOALS) {
      const ratios: { label: string; ratio: number }[] = [];
      for (const cell of cells) {
        const ours = cell.costUs(name);
        const other = cell.costUs(`${peer}/${twin}`);
        if (ours === undefined || other === undefined) continue;
        ratios.push({ label: cell.label, ratio: other / ours });
      }
      verdicts.push({ strategy: name, goal, peer: `${peer}/${twin}`, factor, ratios, misses: ratios.filter((r) => r.ratio <= factor) });
    }
  }
  return verdicts;
}

/**
 * Judges the cost goals for each of `strategies` over `cells`: one line per (strategy, goal),
 * either the least ratio or every cell where the goal fails. A goal whose peer did not run in a
 * cell is not judged there. Returns the lines and the (strategy, goal) pairs that fail.
 */
export function costGoals(strategies: readonly string[], cells: readonly CostCell[]): { lines: string[]; failures: string[] } {
  const lines: string[] = [];
  const failures: string[] = [];
  for (const v of judgeCostGoals(strategies, cells)) {
    const twin = twinOf(v.strategy);
    const peer = v.peer.split('/')[0]!;
    const versus = twin === v.strategy ? twin : `${twin} (no ${v.strategy} peer)`;
    if (v.ratios.length === 0) {
      lines.push(`  ${v.strategy.padEnd(10)} ${v.goal.padEnd(23)} vs ${peer}/${versus}: not measured (no cell timed both)`);
      continue;
    }
    const misses = v.misses.map((m) => `${m.label} (${m.ratio.toFixed(2)}x)`);
    const worst = Math.min(...v.ratios.map((r) => r.ratio));
    lines.push(`  ${v.strategy.padEnd(10)} ${v.goal.padEnd(23)} vs ${peer}/${versus}: ${misses.length ? `FAILS at ${misses.join(', ')}` : `holds in all ${v.ratios.length} cells (least ${worst.toFixed(1)}x)`}`);
    if (misses.length) failures.push(`${v.strategy} ${v.goal}: ${misses.join(', ')}`);
  }
  lines.push(failures.length ? `  cost goals fail in ${failures.length} (strategy, goal) pairs, listed above` : '  every measured cost goal holds');
  return { lines, failures };
}
