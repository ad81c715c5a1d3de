// Where the runtimes' binaries are. Each comes from npm inside a platform package
// (@oven/bun-*, @deno/*, @cloudflare/workerd-* via miniflare), so nothing depends on their
// postinstall scripts, which pnpm does not run here (pnpm-workspace.yaml: allowBuilds).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const arch = { x64: 'x64', arm64: 'aarch64' }[process.arch] ?? process.arch;

function fromPlatformPackage(tool, candidates) {
  const within = createRequire(require.resolve(`${tool}/package.json`));
  for (const candidate of candidates) {
    try {
      const path = within.resolve(candidate);
      if (existsSync(path)) return path;
    } catch {
      // not this platform's package; try the next
    }
  }
  throw new Error(`${tool}: no binary for ${process.platform}-${process.arch} among ${candidates.join(', ')} (pnpm install in test/)`);
}

export function bunBinary() {
  return fromPlatformPackage('bun', [
    `@oven/bun-${process.platform}-${arch}/bin/bun`,
    `@oven/bun-${process.platform}-${arch}-baseline/bin/bun`,
    `@oven/bun-${process.platform}-${arch}-musl/bin/bun`,
  ]);
}

export function denoBinary() {
  const os = { linux: 'linux', darwin: 'darwin', win32: 'win32' }[process.platform];
  const cpu = { x64: 'x64', arm64: 'arm64' }[process.arch];
  return fromPlatformPackage('deno', [`@deno/${os}-${cpu}-glibc/deno`, `@deno/${os}-${cpu}/deno`, `@deno/${os}-${cpu}/deno.exe`]);
}

export const chromiumBinary = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Version strings, for the report (and a first proof that each binary starts). */
export function versions() {
  const run = (file, args) => execFileSync(file, args, { encoding: 'utf8' }).trim().split('\n')[0];
  return {
    node: process.version,
    bun: run(bunBinary(), ['--version']),
    deno: run(denoBinary(), ['--version']),
    workerd: `miniflare ${require('miniflare/package.json').version}`,
    chromium: run(chromiumBinary, ['--version']),
  };
}
