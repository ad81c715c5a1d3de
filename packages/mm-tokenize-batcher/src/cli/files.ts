// Finding image files and reading their sizes from the headers (no pixels are decoded).
import { fstatSync, readSync } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { headerPrefixBytes, readHeaderSizes } from 'mm-tokenize-batcher';
import { glob } from 'tinyglobby';

/** SPEC's formats: PNG, JPEG, WebP, GIF and BMP. */
export const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp', '.gif', '.bmp']);

export interface Found {
  /** Files to read, in a stable order (sorted paths, depth first). */
  files: string[];
  /** Files left aside because their extension is not an image format's. */
  skipped: string[];
  /** Arguments that named nothing, and folders that could not be listed. */
  problems: { path: string; reason: string }[];
}

/** Walks folders recursively (sorted, depth first) and expands globs. */
export async function findFiles(targets: readonly string[], allFiles: boolean): Promise<Found> {
  const found: Found = { files: [], skipped: [], problems: [] };
  const take = (path: string) => {
    if (allFiles || IMAGE_EXTENSIONS.has(extname(path).toLowerCase())) found.files.push(path);
    else found.skipped.push(path);
  };
  const walk = async (folder: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(folder, { withFileTypes: true });
    } catch (error) {
      found.problems.push({ path: folder, reason: reason(error) });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) take(path);
      else if (entry.isSymbolicLink()) {
        const target = await stat(path).catch(() => undefined);
        if (target?.isDirectory()) await walk(path);
        else if (target?.isFile()) take(path);
        else found.problems.push({ path, reason: 'broken symbolic link' });
      }
    }
  };
  for (const target of targets) {
    const info = await stat(target).catch(() => undefined);
    if (info?.isDirectory()) await walk(target);
    else if (info?.isFile()) take(target);
    else {
      const matches = (await glob(target, { onlyFiles: true, dot: false, expandDirectories: false })).sort();
      if (matches.length === 0) found.problems.push({ path: target, reason: 'no such file or folder, and no file matches it as a glob' });
      for (const m of matches) take(m);
    }
  }
  return found;
}

export type SizeOrProblem = { width: number; height: number } | { reason: string };

/**
 * The pixel size of the image file at `path`, read from its header: its first
 * `headerPrefixBytes()` bytes, and more (read synchronously from the still-open file) only when
 * the library's reader asks for them (a JPEG with large metadata first). The ladder of prefix
 * sizes and the reader are the library's own (in wasm), as for the batchers' encoded images.
 */
export async function readImageSize(path: string): Promise<SizeOrProblem> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    return { reason: reason(error) };
  }
  try {
    // No stat: a short read tells the file's end.
    const want = headerPrefixBytes();
    const first = new Uint8Array(want);
    const { bytesRead } = await handle.read(first, 0, want, 0);
    if (bytesRead === 0) return { reason: 'empty file' };
    const fd = handle.fd;
    const more = (_k: number, limit: number) => {
      const size = Number.isFinite(limit) ? limit : fstatSync(fd).size;
      const bytes = new Uint8Array(size);
      return bytes.subarray(0, readSync(fd, bytes, 0, size, 0));
    };
    const [size] = readHeaderSizes([first.subarray(0, bytesRead)], [bytesRead < want ? bytesRead : Infinity], more);
    if (size && 'width' in size) return { width: size.width, height: size.height };
    return { reason: `${size?.code ?? 'UNREADABLE'}: ${size?.message ?? 'unreadable header'}` };
  } catch (error) {
    return { reason: reason(error) };
  } finally {
    await handle.close();
  }
}

/** Reads sizes with up to `concurrency` files open at once, yielding in input order. */
export async function* readSizes(paths: readonly string[], concurrency: number): AsyncGenerator<[string, SizeOrProblem]> {
  const pending: Promise<SizeOrProblem>[] = [];
  let next = 0;
  while (next < paths.length && pending.length < concurrency) pending.push(readImageSize(paths[next++]!));
  for (let i = 0; i < paths.length; i++) {
    const result = await pending.shift()!;
    if (next < paths.length) pending.push(readImageSize(paths[next++]!));
    yield [paths[i]!, result];
  }
}

function reason(error: unknown): string {
  if (error && typeof error === 'object' && 'code' in error && typeof error.code === 'string') {
    return `${error.code}: ${String((error as { message?: unknown }).message ?? '').replace(/^\w+: /, '')}`;
  }
  return error instanceof Error ? error.message : String(error);
}
