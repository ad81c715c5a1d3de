// A one-line progress bar on a terminal (stderr); nothing at all when stderr is not a TTY.
export interface Progress {
  tick(done: number): void;
  end(): void;
}

export function progress(label: string, total: number, enabled: boolean): Progress {
  const out = process.stderr;
  if (!enabled || !out.isTTY) return { tick() {}, end() {} };
  const start = performance.now();
  let last = 0;
  const draw = (done: number) => {
    const width = 24;
    const share = total > 0 ? done / total : 1;
    const filled = Math.round(share * width);
    const rate = done / Math.max((performance.now() - start) / 1000, 1e-3);
    out.write(`\r${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${(share * 100).toFixed(0)}% ${rate.toFixed(0)}/s\x1b[K`);
  };
  return {
    tick(done) {
      const now = performance.now();
      if (now - last < 100 && done < total) return;
      last = now;
      draw(done);
    },
    end() {
      out.write('\r\x1b[K');
    },
  };
}
