// Renders benchmark reports again from the stored JSON, without running any benchmark:
//   pnpm --filter mm-tokenize-batcher-bench reports [name ...]
import { reports, writeReport } from './index.js';

const names = process.argv.slice(2);
for (const name of names.length ? names : Object.keys(reports)) {
  if (!writeReport(name)) console.log(`skipped ${name}: no bench/results/${name}.json yet`);
}
