// Image sizes from file paths (Node, Bun, Deno: `node:fs`). Exported only by the Node entry, so
// browser and workerd bundles never import `node:fs`. Each file's first `headerPrefixBytes()`
// bytes, then a longer prefix only for the rare header that lies further in (the one ladder, in Rust).
import { open } from 'node:fs/promises';
import { BatcherError } from '../shared/errors.js';
import { readSizesInPasses, readSourceOptions, sourceEntries, SourceFailure, type Prefix, type SourceReject } from './sources.js';

export interface FileSizesOptions {
  /** Most files open at once. Default 32. */
  concurrency?: number;
  /** Aborting stops reading and rejects the promise with the signal's reason. */
  signal?: AbortSignal;
}

/** A file whose header was read: its upright pixel size (EXIF orientation applied). */
export interface FileSize {
  path: string;
  width: number;
  height: number;
  /** Bytes read from the file (all passes). */
  bytesRead: number;
}

/**
 * A file that could not be sized: `READ_FAILED` (no such file, a directory, no permission) or a
 * header problem, with its `format` where known, the `detail`, and `message` (`FORMAT: detail`).
 */
export interface FileReject extends SourceReject {
  path: string;
}

/** One entry per path, in order, plus the failures alone and the bytes read in all. */
export type FileSizes = (FileSize | FileReject)[] & { readonly rejects: readonly FileReject[]; readonly bytesRead: number };

/**
 * Reads the pixel size of each image file from its first bytes (usually 2 KiB). Never throws for
 * one file: a failure becomes that file's entry `{ index, path, code, format?, detail, message }`, also listed in
 * `rejects`. Entries with a size are `{ width, height }` objects, so `{ image: entry }` is a sample.
 */
export async function imageSizesFromFiles(paths: readonly (string | URL)[], options: FileSizesOptions = {}): Promise<FileSizes> {
  if (!Array.isArray(paths)) throw new BatcherError('INVALID_INPUT', `imageSizesFromFiles takes an array of paths, got ${paths === null ? 'null' : typeof paths}`);
  const { concurrency, signal } = readSourceOptions('files', options);
  const results = await readSizesInPasses(paths.length, (k, limit, have) => readFile(paths[k]!, limit, have), concurrency, signal);
  return sourceEntries(results, 'path', paths.map(String));
}

/** The first `limit` bytes of the file (reading only those after `have`), and its length where known. */
async function readFile(path: string | URL, limit: number, have: Uint8Array | undefined): Promise<Prefix> {
  let handle;
  try {
    handle = await open(path, 'r');
    // A short read tells where the file ends: only "all of it" needs the file's size first (one
    // system call less per file on the first pass, which is nearly every file's only one).
    const whole = !Number.isFinite(limit);
    const want = whole ? (await handle.stat()).size : limit;
    const bytes = new Uint8Array(want);
    const start = Math.min(have?.byteLength ?? 0, want);
    if (have && start > 0) bytes.set(have.subarray(0, start));
    let at = start;
    while (at < want) {
      const asked = want - at;
      const { bytesRead } = await handle.read(bytes, at, asked, at);
      at += bytesRead;
      // A regular file gives all it has: fewer bytes than asked is its end (no read more to see it).
      if (bytesRead < asked) break;
    }
    return { bytes: bytes.subarray(0, at), length: whole || at < want ? at : Infinity, transferred: at - start };
  } catch (error) {
    throw new SourceFailure('READ_FAILED', String((error as Error)?.message ?? error));
  } finally {
    await handle?.close();
  }
}
