import { expect, it } from 'vitest';
import { BalancedBatcher, ClusteredBatcher, SimpleBatcher, SortedBatcher, seedBenchmarkSamples, type Batches } from 'mm-tokenize-batcher';

// A fixed input and the plan each strategy makes of it, committed under test/golden/. A change
// to any strategy or to sizing shows up here as a diff to review. Every runtime must agree.
const buffer = seedBenchmarkSamples(96, 7);
const plan = (batches: Batches) => batches.map((b) => ({ resizeSize: b.resizeSize, indices: b.indices }));

it.each([
  ['simple', () => new SimpleBatcher({ batchSize: 8, multipleOf: 28 })],
  ['sorted', () => new SortedBatcher({ batchSize: 8, multipleOf: 28, key: 'aspect' })],
  ['clustered', () => new ClusteredBatcher({ batchSize: 8, multipleOf: 28, seed: 42 })],
  ['balanced', () => new BalancedBatcher({ batchSize: 8, multipleOf: 28 })],
])('%s plan equals the golden plan', async (name, make) => {
  const text = plan(make().batch(buffer)).map((b) => JSON.stringify(b)).join('\n') + '\n';
  await expect(text).toMatchFileSnapshot(`./golden/${name}.jsonl`);
});
