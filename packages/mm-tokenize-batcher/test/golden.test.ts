import { expect, it } from 'vitest';
import { createBatcher, seedBenchmarkSamples, strategyNames, type Batches } from 'mm-tokenize-batcher';

// A fixed input and the plan each registered strategy makes of it, committed under test/golden/.
// A change to any strategy or to sizing shows up here as a diff to review. Every runtime must agree.
const buffer = seedBenchmarkSamples(96, 7);
const plan = (batches: Batches) => batches.map((b) => ({ resizeSize: b.resizeSize, indices: b.indices }));
const own: Record<string, object> = { sorted: { key: 'aspect' }, clustered: { seed: 42 } };

it.each(strategyNames.map((name) => [name]))('%s plan equals the golden plan', async (name) => {
  const batcher = createBatcher(name, { batchSize: 8, multipleOf: 28, ...own[name] } as never);
  const text = plan(batcher.batch(buffer)).map((b) => JSON.stringify(b)).join('\n') + '\n';
  await expect(text).toMatchFileSnapshot(`./golden/${name}.jsonl`);
});
