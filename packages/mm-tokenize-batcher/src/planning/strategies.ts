// The TypeScript side of the strategy registry: one class per strategy the Rust registry lists
// (crates/core/src/strategies/mod.rs). Every surface that takes a strategy by name (`batchStream`'s
// `strategy`, the CLI's `--strategy`, the benchmarks, the examples) reads this table; a test checks
// it against the Rust registry, so a strategy added in Rust and missed here fails the suite.
import {
  BalancedBatcher,
  ClusteredBatcher,
  SimpleBatcher,
  SortedBatcher,
  type BalancedBatcherOptions,
  type BatcherOptions,
  type ClusteredBatcherOptions,
  type Sample,
  type SortedBatcherOptions,
  type StrategyName,
} from './batchers.js';
import { BatcherError } from '../shared/errors.js';

/** The options each strategy's batcher takes, by strategy name. */
export interface StrategyOptionsByName<S extends Sample = Sample> {
  simple: BatcherOptions;
  sorted: SortedBatcherOptions<S>;
  clustered: ClusteredBatcherOptions;
  balanced: BalancedBatcherOptions;
}

/** Every strategy's batcher class, by name, in the registry's order. */
export const strategies = Object.freeze({
  simple: SimpleBatcher,
  sorted: SortedBatcher,
  clustered: ClusteredBatcher,
  balanced: BalancedBatcher,
} as const satisfies Record<StrategyName, unknown>);

/** Every strategy's name, in the registry's order. */
export const strategyNames = Object.freeze(Object.keys(strategies) as StrategyName[]);

/** Any of the library's batchers. */
export type AnyBatcher<S extends Sample = Sample> = SimpleBatcher<S> | SortedBatcher<S> | ClusteredBatcher<S> | BalancedBatcher<S>;

/** Whether `value` is one of the library's batchers. */
export function isBatcher<S extends Sample>(value: unknown): value is AnyBatcher<S> {
  return Object.values(strategies).some((Class) => value instanceof Class);
}

/** The batcher of strategy `name` with `options`; an unknown name is `INVALID_OPTION` (`strategy`). */
export function createBatcher<S extends Sample = Sample, N extends StrategyName = StrategyName>(
  name: N,
  options: StrategyOptionsByName<S>[N],
): AnyBatcher<S> {
  const Class = (strategies as Record<string, new (options: never) => AnyBatcher<S>>)[name as string];
  if (typeof name !== 'string' || !Object.prototype.hasOwnProperty.call(strategies, name) || !Class) {
    throw new BatcherError('INVALID_OPTION', `option \`strategy\` must be ${strategyNames.map((n) => `"${n}"`).join(', ')}, got ${JSON.stringify(name)}`, {
      option: 'strategy',
    });
  }
  return new Class(options as never);
}
