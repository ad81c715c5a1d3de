// A deliberate benchmark baseline (SPEC "Real data", reference peer): the recursive median split,
// in plain TypeScript. Not part of the package. A set is split at the median of whichever of
// ln aspect and ln area spans more, the left part holding a whole number of batches (half the
// set's batches, rounded up), recursively, until a set fits one batch. Each batch is sized by the
// SPEC's median rule. Same algorithm as crates/core/src/strategies/balanced/median_split.rs (Balanced's floor),
// written independently here so that the benchmark checks the library against its own yardstick.
import type { Dims, PeerBatch, PeerStrategy } from '../protocol.js';
import { specResizeSize } from './ts-baseline.js';

/** The groups (positions in `dims`) of the recursive median split, each at most `batchSize`. */
export function medianSplitGroups(dims: readonly Dims[], batchSize: number): number[][] {
  const lnAspect = dims.map((d) => Math.log(d.width / d.height));
  const lnArea = dims.map((d) => Math.log(d.width * d.height));
  const span = (values: number[], members: number[]) => {
    let lo = Infinity;
    let hi = -Infinity;
    for (const i of members) {
      lo = Math.min(lo, values[i]!);
      hi = Math.max(hi, values[i]!);
    }
    return hi - lo;
  };
  const out: number[][] = [];
  const split = (members: number[]) => {
    if (members.length <= batchSize) {
      if (members.length > 0) out.push(members);
      return;
    }
    const [first, second] = span(lnAspect, members) >= span(lnArea, members) ? [lnAspect, lnArea] : [lnArea, lnAspect];
    // Sort by the wider coordinate, then the other, then position: a total, deterministic order.
    members.sort((a, b) => first[a]! - first[b]! || second[a]! - second[b]! || a - b);
    const cut = Math.ceil(Math.ceil(members.length / batchSize) / 2) * batchSize;
    split(members.slice(0, cut));
    split(members.slice(cut));
  };
  split(dims.map((_, i) => i));
  return out;
}

export const medianSplit: PeerStrategy = (dims, batchSize, multipleOf) =>
  medianSplitGroups(dims, batchSize).map((indices) => ({ indices, resizeSize: specResizeSize(dims, indices, multipleOf) }) satisfies PeerBatch);
