// Finding image files (their sizes are read by the library's imageSizesFromFiles: see plan.ts).
// Names are kept as the bytes the OS gave (shared/names.ts): a name that is not UTF-8 is held
// escaped, never decoded with U+FFFD, and every file system call is given its bytes.
import type { Stats, BigIntStats } from 'node:fs';
import { readdir, realpath as fsRealpath, stat as fsStat } from 'node:fs/promises';
import { dirname, extname, join, resolve, sep } from 'node:path';
import { glob } from 'tinyglobby';
import { fsName, nameFromBytes } from '../shared/names.js';

const stat = ((path: string, options?: { bigint: true }) => fsStat(fsName(path), options)) as {
  (path: string): Promise<Stats>;
  (path: string, options: { bigint: true }): Promise<BigIntStats>;
};
const realpath = async (path: string) => nameFromBytes(await fsRealpath(fsName(path), { encoding: 'buffer' }));

/** What a path is when it is neither a file nor a folder (nor a link): its reason to be left unread. */
export function specialKind(info: Stats | BigIntStats): string | undefined {
  if (info.isFIFO()) return 'a FIFO (named pipe)';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  return undefined;
}
const notRead = (kind: string) => `not a regular file: ${kind}; not read`;

/** Extensions of the formats whose sizes are read: PNG, JPEG, WebP, GIF, BMP, AVIF and HEIC (HEIF). */
export const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp', '.gif', '.bmp', '.avif', '.heic', '.heif']);

export interface Found {
  /** Files to read, each once, in a stable order (sorted paths, depth first). */
  files: string[];
  /** Files left aside because their extension is not an image format's. */
  skipped: string[];
  /** Arguments that named nothing, folders that could not be listed, links not followed, special files (FIFOs, sockets, devices). */
  problems: { path: string; reason: string }[];
}

export interface WalkOptions {
  /** Read every file found, whatever its extension. */
  allFiles: boolean;
  /** Follow symbolic links that lead outside the walked folders (default: not followed). */
  followSymlinks: boolean;
}

/** `path` is `folder` or lies inside it (both real, absolute paths). */
const within = (path: string, folder: string) => path === folder || path.startsWith(folder.endsWith(sep) ? folder : folder + sep);

/**
 * Walks folders recursively (sorted, depth first) and expands globs. Every file is listed once,
 * and every folder walked once: folders are known by device and inode, so a symbolic link back to
 * a folder already walked (a cycle) is reported, not followed. A link whose target lies inside a
 * folder being walked is left out (its target is listed under its real path), a link that points
 * back to one of its own parent folders is reported as a loop, and a link leading outside the
 * walked folders is followed only with `followSymlinks` (otherwise reported, and nothing of its
 * target is read).
 */
export async function findFiles(targets: readonly string[], options: WalkOptions): Promise<Found> {
  const found: Found = { files: [], skipped: [], problems: [] };
  const listed = new Set<string>(); // resolved paths of files taken
  const skipped = new Set<string>(); // and of files skipped for their extension
  const walked = new Set<string>(); // `dev:ino` of every folder walked
  const roots: string[] = []; // real paths of the folders named as targets
  // Without followed links every file has one path under the walked folders (a file named again
  // as an argument resolves to the same path); through followed links it may have several, so
  // then files are known by their real path.
  const take = async (path: string) => {
    const key = options.followSymlinks ? await realpath(path).catch(() => resolve(path)) : resolve(path);
    if (listed.has(key)) return;
    if (options.allFiles || IMAGE_EXTENSIONS.has(extname(path).toLowerCase())) {
      listed.add(key);
      found.files.push(path);
    } else if (!skipped.has(key)) {
      // Skipped under this name; another name (a link ending in .png) may still take it.
      skipped.add(key);
      found.skipped.push(path);
    }
  };
  const problem = (path: string, reason: string) => found.problems.push({ path, reason });

  const walk = async (folder: string): Promise<void> => {
    let identity;
    try {
      const info = await stat(folder, { bigint: true });
      identity = `${info.dev}:${info.ino}`;
    } catch (error) {
      problem(folder, reason(error));
      return;
    }
    if (walked.has(identity)) return; // named twice, or reached again through a followed link
    walked.add(identity);
    let entries;
    try {
      // As bytes: a name that is not UTF-8 keeps its bytes (escaped), so no two names merge.
      entries = (await readdir(fsName(folder), { withFileTypes: true, encoding: 'buffer' })).map((entry) => ({ entry, name: nameFromBytes(entry.name) }));
    } catch (error) {
      problem(folder, reason(error));
      return;
    }
    entries.sort((a, b) => Buffer.compare(a.entry.name, b.entry.name));
    for (const { entry, name } of entries) {
      const path = join(folder, name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) await take(path);
      else if (entry.isSymbolicLink()) await link(path);
      else problem(path, notRead(specialKind(entry as unknown as Stats) ?? 'of an unknown type'));
    }
  };

  const link = async (path: string): Promise<void> => {
    let target: string;
    let info;
    try {
      target = await realpath(path);
      info = await stat(target, { bigint: true });
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ELOOP') problem(path, 'symbolic link loop: the link resolves to itself through other links (ELOOP)');
      else if (code === 'ENOENT') problem(path, 'broken symbolic link: its target does not exist');
      else problem(path, reason(error));
      return;
    }
    if (info.isDirectory()) {
      const parent = await realpath(dirname(path)).catch(() => undefined);
      if (parent !== undefined && within(parent, target)) {
        problem(path, 'symbolic link loop: it points back to a folder that contains it (not followed)');
        return;
      }
      if (walked.has(`${info.dev}:${info.ino}`)) {
        problem(path, 'symbolic link cycle: it leads to a folder already walked (not followed)');
        return;
      }
    }
    // Inside a folder being walked: its target is (or will be) listed under its real path.
    if (roots.some((root) => within(target, root))) return;
    if (!options.followSymlinks) {
      problem(path, `symbolic link to a ${info.isDirectory() ? 'folder' : 'file'} outside the walked folders: not followed (--follow-symlinks follows it)`);
      return;
    }
    if (info.isDirectory()) await walk(path);
    else if (info.isFile()) await take(path);
    else problem(path, `symbolic link to ${specialKind(info) ?? 'something that is neither a file nor a folder'}: not read`);
  };

  for (const target of targets) {
    const info = await stat(target).catch(() => undefined);
    if (info?.isDirectory()) roots.push(await realpath(target));
  }
  for (const target of targets) {
    // Named on the command line: followed even when it is itself a link.
    const info = await stat(target).catch(() => undefined);
    const special = info && specialKind(info);
    if (info?.isDirectory()) await walk(target);
    else if (info?.isFile()) await take(target);
    else if (special) problem(target, notRead(special));
    else {
      const matches = (await glob(target, { onlyFiles: true, dot: false, expandDirectories: false, followSymbolicLinks: options.followSymlinks })).sort();
      if (matches.length === 0) problem(target, 'no such file or folder, and no file matches it as a glob');
      for (const m of matches) await take(m);
    }
  }
  return found;
}

/** A file system error as Node words it: its code first ("ENOENT: no such file or directory, ..."). */
function reason(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
