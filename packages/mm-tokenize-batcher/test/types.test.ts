// The type test: a consumer file (test/types/consumer.ts) compiled with `tsc --strict --noEmit`
// against the built declarations (dist/*.d.ts), as a user's project compiles it. It covers
// samples declared as interfaces, inference of the sample type from the buffer, the `dtype`
// union of BatchTensor, and the generics of streams and ranks.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

test('a strict consumer compiles against the declarations', () => {
  const tsc = fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url));
  const project = fileURLToPath(new URL('./types/tsconfig.json', import.meta.url));
  let output = '';
  try {
    execFileSync(process.execPath, [tsc, '-p', project], { encoding: 'utf8', stdio: 'pipe' });
  } catch (error) {
    output = String((error as { stdout?: string }).stdout ?? error);
  }
  expect(output).toBe('');
});
