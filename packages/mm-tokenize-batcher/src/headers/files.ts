// Image sizes from file paths (Node, Bun, Deno: `node:fs`). Exported only by the Node entry, so
// browser and workerd bundles never import `node:fs`. Each file's first `headerPrefixBytes()`
// bytes, then a longer prefix only for the rare header that lies further in (the one ladder, in Rust).
import { constants } from 'node:fs';
import { open, statfs, type FileHandle } from 'node:fs/promises';
import { BatcherError } from '../shared/errors.js';
import { fsName, nameFromBytes } from '../shared/names.js';
import { readSizesInPasses, readSourceOptions, readWhole, sourceEntries, SourceFailure, type Prefix, type SourceReject } from './sources.js';

export interface FileSizesOptions {
  /** Most files open at once. Default 32. */
  concurrency?: number;
  /**
   * Most bytes read from one file for its header (all passes): a header not within them is a
   * `READ_FAILED` reject with reason `MAX_BYTES`. Default 8,388,608 (8 MiB).
   */
  maxBytes?: number;
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
export async function imageSizesFromFiles(paths: readonly (string | URL | Uint8Array)[], options: FileSizesOptions = {}): Promise<FileSizes> {
  if (!Array.isArray(paths)) throw new BatcherError('INVALID_INPUT', `imageSizesFromFiles takes an array of paths, got ${paths === null ? 'null' : typeof paths}`);
  const { concurrency, maxBytes, signal } = readSourceOptions('files', options);
  const results = await readSizesInPasses(paths.length, (k, limit, have) => readFile(fsPath(paths[k]!), limit, have), concurrency, maxBytes, signal);
  return sourceEntries(results, 'path', paths.map((p) => (p instanceof Uint8Array ? nameFromBytes(p) : String(p))));
}

/**
 * All of one file's bytes, at most `maxBytes` (a longer file is a `SourceFailure` with reason
 * `MAX_BYTES`; special files are refused unread, as for headers). The loader reads each image so.
 */
export function readWholeFile(path: string | URL | Uint8Array, maxBytes: number, option: string): Promise<Uint8Array> {
  return readWhole((limit) => readFile(fsPath(path), limit, undefined), maxBytes, option);
}

/**
 * What `fs` is given: a path as bytes for a name that is not UTF-8, given as bytes or as a string
 * holding them escaped (U+DC80..U+DCFF, Python's surrogateescape: see shared/names.ts), so the
 * file opened is the one named, never one whose name was decoded with U+FFFD.
 */
function fsPath(path: string | URL | Uint8Array): string | URL | Buffer {
  if (path instanceof Uint8Array) return Buffer.from(path.buffer, path.byteOffset, path.byteLength);
  return typeof path === 'string' ? fsName(path) : path;
}

/** Linux pseudo-file systems: their files say 0 bytes and are made as they are read. */
const PSEUDO_FILE_SYSTEMS = new Map([
  [0x9fa0, '/proc'],
  [0x62656572, '/sys'],
  [0x64626720, 'debugfs'],
  [0x74726163, 'tracefs'],
  [0x73636673, 'securityfs'],
  [0x27e0eb, 'cgroup'],
  [0x63677270, 'cgroup2'],
]);

/**
 * Refuses anything but a regular file, by its type, before a byte is read: a FIFO (a read would
 * wait for a writer forever), a socket, a device, a folder, or a file of a pseudo file system
 * such as /proc and /sys (it says 0 bytes and is generated as it is read). `handle` was opened
 * non-blocking, so opening a FIFO did not wait either.
 */
async function refuseSpecial(handle: FileHandle, path: string | URL | Buffer): Promise<{ size: number }> {
  const info = await handle.stat();
  const kind = info.isFIFO()
    ? 'a FIFO (named pipe)'
    : info.isSocket()
      ? 'a socket'
      : info.isCharacterDevice()
        ? 'a character device'
        : info.isBlockDevice()
          ? 'a block device'
          : info.isDirectory()
            ? 'a folder'
            : undefined;
  if (kind) throw new SourceFailure('READ_FAILED', `not a regular file: ${kind}; refused unread`, 'NOT_A_FILE');
  // Only a file of the sizes pseudo files state (0 in /proc, a page in /sys) is asked what
  // holds it: one system call more for those alone.
  if ((info.size === 0 || info.size === 4096) && process.platform === 'linux') {
    const type = (await statfs(path).catch(() => undefined))?.type;
    const system = type === undefined ? undefined : PSEUDO_FILE_SYSTEMS.get(Number(type));
    if (system) throw new SourceFailure('READ_FAILED', `a file of ${system}, a pseudo file system (its size is not known before it is read): refused unread`, 'NOT_A_FILE');
  }
  return info;
}

/** The first `limit` bytes of the file (reading only those after `have`), and its length where known. */
async function readFile(path: string | URL | Buffer, limit: number, have: Uint8Array | undefined): Promise<Prefix> {
  let handle: FileHandle | undefined;
  try {
    // Non-blocking: opening a FIFO does not wait for a writer (Windows has no such flag, nor FIFOs).
    handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
    // The type is checked on the first read of each file; later reads (the few headers further
    // in) ask the size, so a long read allocates no more than the file holds.
    const size = have ? (await handle.stat()).size : (await refuseSpecial(handle, path)).size;
    const want = Math.min(limit, size);
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
    return { bytes: bytes.subarray(0, at), length: at < want ? at : size, transferred: at - start };
  } catch (error) {
    if (error instanceof SourceFailure) throw error;
    throw new SourceFailure('READ_FAILED', String((error as Error)?.message ?? error), (error as { code?: string })?.code);
  } finally {
    await handle?.close();
  }
}
