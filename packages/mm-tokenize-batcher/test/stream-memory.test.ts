import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('./fixtures/stream-memory.mjs', import.meta.url));

describe('batchStream memory', () => {
  it('stays bounded by the buffer on a stream of a million dimension-only samples', () => {
    // A separate process, so that forced GCs measure only the stream.
    const out = execFileSync(process.execPath, ['--expose-gc', script, '1000000', '4096', 'sorted'], { encoding: 'utf8', timeout: 300_000 });
    const r = JSON.parse(out.trim().split('\n').pop()!) as Record<string, number>;
    expect(r.samples).toBe(1_000_000);
    expect(r.checkpoints).toBeGreaterThan(10);
    expect(r.peakBuffered).toBeLessThanOrEqual(4096);
    // Holding the million samples would take over 100 MB (about 120 bytes each as objects); the
    // heap after GC may not grow by more than 8 MB from its level at 80k samples.
    expect(r.growth).toBeLessThan(8 * 1024 * 1024);
  }, 300_000);
});
