// What a loader reads: file paths, URLs, bytes or Blobs, each with an optional caption and your own
// fields, given as a list or as a JSONL / CSV manifest. This file turns any of those into one list
// of entries; nothing here reads an image.
import Papa from 'papaparse';
import { BatcherError, type ErrorCode } from '../shared/errors.js';
import { isBytes } from '../shared/bytes.js';

/** Where one image lives, with its caption and any other fields (returned with its batch as `meta`). */
export type LoaderRecord = ({ path: string | URL } | { url: string | URL } | { bytes: Uint8Array | ArrayBuffer | Blob; name?: string }) & {
  text?: string;
  [field: string]: unknown;
};

/**
 * A loader's sources: file paths (Node, Bun, Deno), `http(s):` URLs, `File`s / `Blob`s, records
 * `{ path | url | bytes, text?, ...meta }`, or the path or URL of a manifest (`.jsonl` / `.csv`, one
 * image per line with its caption).
 */
export type LoaderSources = string | URL | readonly (string | URL | Blob | LoaderRecord)[];

/** One image to load, as the loader keeps it. */
export interface SourceEntry {
  kind: 'path' | 'url' | 'bytes' | 'blob';
  /** The file path or URL, or a name for bytes (`bytes #3`, a File's name): what messages say. */
  name: string;
  location: string | Uint8Array | Blob;
  text: string | undefined;
  meta: Record<string, unknown>;
}

/** A manifest line that names no image, or cannot be read: becomes a reject. */
export interface ManifestProblem {
  name: string;
  code: ErrorCode;
  detail: string;
}

/** How a host reads a manifest's text (a file in Node; `fetch` for URLs everywhere). */
export type ReadText = (location: string) => Promise<string>;

const LOCATION_FIELDS = ['path', 'url', 'file', 'file_name', 'image', 'bytes'] as const;
const TEXT_FIELDS = ['text', 'caption'] as const;
const isUrl = (s: string) => /^(https?|blob|data):/i.test(s);

/**
 * The entries of `sources`, and the manifest lines that could not be used. A manifest's relative
 * paths are read against the manifest's own folder (or URL).
 */
export async function sourceEntries(sources: LoaderSources, readText: ReadText): Promise<{ entries: SourceEntry[]; problems: ManifestProblem[] }> {
  if (typeof sources === 'string' || sources instanceof URL) return readManifest(String(sources), readText);
  if (!Array.isArray(sources)) {
    throw new BatcherError('INVALID_OPTION', 'option `sources` must be an array (paths, URLs, records, Files) or the path or URL of a .jsonl / .csv manifest', { option: 'sources' });
  }
  const entries: SourceEntry[] = [];
  const problems: ManifestProblem[] = [];
  sources.forEach((source, i) => {
    const entry = entryOf(source, `sources[${i}]`, undefined);
    if ('code' in entry) problems.push(entry);
    else entries.push(entry);
  });
  return { entries, problems };
}

async function readManifest(location: string, readText: ReadText): Promise<{ entries: SourceEntry[]; problems: ManifestProblem[] }> {
  const csv = /\.csv(\?.*)?$/i.test(location);
  if (!csv && !/\.jsonl?(\?.*)?$/i.test(location)) {
    throw new BatcherError('INVALID_OPTION', `option \`sources\`: a manifest must be a .jsonl or .csv file, got ${JSON.stringify(location)}`, { option: 'sources' });
  }
  let text: string;
  try {
    text = await readText(location);
  } catch (cause) {
    throw new BatcherError('READ_FAILED', `could not read the manifest ${location}: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
  const entries: SourceEntry[] = [];
  const problems: ManifestProblem[] = [];
  const rows: { line: number; row: unknown }[] = [];
  if (csv) {
    // Quoted fields, commas and newlines inside quotes, a BOM; every value kept as text.
    const parsed = Papa.parse<Record<string, string>>(text.replace(/^\uFEFF/, ''), { header: true, skipEmptyLines: 'greedy', transformHeader: (h) => h.trim() });
    // (A one-column file has no delimiter to detect: not an error.)
    const quotes = parsed.errors.find((e) => e.type === 'Quotes');
    if (quotes) {
      const e = quotes;
      throw new BatcherError('INVALID_INPUT', `the manifest ${location} is not valid CSV: ${e.message} (row ${(e.row ?? 0) + 2})`);
    }
    const records = parsed.data.map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'string' ? v.trim() : v])));
    // The header is line 1 (a field with a newline inside quotes shifts the count: messages say row).
    records.forEach((row, i) => rows.push({ line: i + 2, row }));
  } else {
    text.split(/\r?\n/).forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        rows.push({ line: i + 1, row: JSON.parse(line) });
      } catch (cause) {
        problems.push({ name: `${location}:${i + 1}`, code: 'INVALID_INPUT', detail: `not a JSON object: ${(cause as Error).message}` });
      }
    });
  }
  for (const { line, row } of rows) {
    const entry = entryOf(row, `${location}:${line}`, location);
    if ('code' in entry) problems.push(entry);
    else entries.push(entry);
  }
  return { entries, problems };
}

/** One source as an entry, or why it names no image (`where` says which item or line). */
function entryOf(source: unknown, where: string, manifest: string | undefined): SourceEntry | ManifestProblem {
  if (typeof source === 'string' || source instanceof URL) return locate(String(source), undefined, {}, manifest);
  if (typeof Blob !== 'undefined' && source instanceof Blob) return blobEntry(source, undefined, {}, where);
  if (typeof source !== 'object' || source === null || Array.isArray(source)) {
    return { name: where, code: 'INVALID_INPUT', detail: `a source is a path, a URL, a File or an object { path | url | bytes, text? }, got ${source === null ? 'null' : typeof source}` };
  }
  const record = source as Record<string, unknown>;
  const field = LOCATION_FIELDS.find((f) => record[f] !== undefined && record[f] !== '');
  if (field === undefined) return { name: where, code: 'MISSING_IMAGE', detail: `names no image (give one of ${LOCATION_FIELDS.join(', ')})` };
  const textField = TEXT_FIELDS.find((f) => record[f] !== undefined);
  const text = textField === undefined ? undefined : String(record[textField]);
  const meta: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(record)) if (k !== field && k !== textField) meta[k] = v;
  const value = record[field];
  if (typeof Blob !== 'undefined' && value instanceof Blob) return blobEntry(value, text, meta, where);
  if (isBytes(value)) {
    const bytes = value instanceof Uint8Array ? value : ArrayBuffer.isView(value) ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength) : new Uint8Array(value);
    return { kind: 'bytes', name: typeof meta.name === 'string' ? meta.name : `bytes ${where}`, location: bytes, text, meta };
  }
  if (typeof value !== 'string' && !(value instanceof URL)) return { name: where, code: 'INVALID_INPUT', detail: `\`${field}\` must be a path, a URL or bytes, got ${typeof value}` };
  return locate(String(value), text, meta, manifest, field === 'url');
}

function blobEntry(blob: Blob, text: string | undefined, meta: Record<string, unknown>, where: string): SourceEntry {
  const name = typeof (blob as { name?: unknown }).name === 'string' && (blob as File).name !== '' ? (blob as File).name : `blob ${where}`;
  return { kind: 'blob', name, location: blob, text, meta };
}

/** A path or URL, read against the manifest's location when relative. */
function locate(value: string, text: string | undefined, meta: Record<string, unknown>, manifest: string | undefined, url = false): SourceEntry {
  if (url || isUrl(value)) {
    const resolved = manifest && isUrl(manifest) ? new URL(value, manifest).href : value;
    return { kind: 'url', name: resolved, location: resolved, text, meta };
  }
  if (value.startsWith('file:')) {
    return { kind: 'path', name: value, location: value, text, meta };
  }
  let resolved = value;
  if (manifest !== undefined && !value.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(value)) {
    resolved = isUrl(manifest) ? new URL(value, manifest).href : `${manifest.replace(/[^/\\]*$/, '')}${value}`;
    if (isUrl(manifest)) return { kind: 'url', name: resolved, location: resolved, text, meta };
  }
  return { kind: 'path', name: resolved, location: resolved, text, meta };
}

/** A manifest as `readManifest` gives it: its images (paths or URLs) with their captions, and the lines it could not use. */
export interface Manifest {
  images: { source: string; kind: 'path' | 'url'; text: string | undefined; meta: Record<string, unknown> }[];
  rejects: { source: string; code: ErrorCode; detail: string; message: string }[];
}

/** A `.jsonl` / `.csv` manifest read as `createLoader` reads it (relative paths against the manifest's folder). */
export async function readManifestWith(location: string, readText: ReadText): Promise<Manifest> {
  const { entries, problems } = await readManifest(location, readText);
  return {
    images: entries.map((e) => ({ source: e.name, kind: e.kind === 'url' ? 'url' : 'path', text: e.text, meta: e.meta })),
    rejects: problems.map((p) => ({ source: p.name, code: p.code, detail: p.detail, message: `${p.name}: ${p.detail}` })),
  };
}
