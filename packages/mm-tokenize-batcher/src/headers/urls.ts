// Image sizes from URLs with HTTP Range requests through `fetch`, so it runs wherever `fetch`
// does (Node 18+, Bun, Deno, workerd, browsers). Each URL's first `headerPrefixBytes()` bytes
// (`Range: bytes=0-2047`), then, only for the rare header that lies further in, the next prefix of
// the ladder (`Range: bytes=2048-65535`, then up to 256 KiB, then the rest). A server that ignores `Range` (200 with the
// whole file) is read only until the prefix is in, then the body is cancelled.
import { BatcherError } from '../shared/errors.js';
import { readSizesInPasses, readSourceOptions, sourceEntries, SourceFailure, type Prefix, type SourceReject } from './sources.js';

/** The `fetch` the reader calls: the global one by default. */
export type FetchLike = (input: string, init: { headers: Record<string, string>; signal: AbortSignal }) => Promise<Response>;

export interface UrlSizesOptions {
  /** Most requests in flight at once. Default 16. */
  concurrency?: number;
  /** A request (one pass for one URL) not done by then is abandoned: the URL's reject has code `TIMEOUT`. Default 30,000. */
  timeoutMs?: number;
  /** Aborting stops every request in flight and rejects the promise with the signal's reason. */
  signal?: AbortSignal;
  /** Your own `fetch` (credentials, headers, a proxy, a test stub). Default `globalThis.fetch`. */
  fetch?: FetchLike;
}

/** A URL whose header was read. `width` and `height` are the upright pixel size (EXIF orientation applied). */
export interface UrlSize {
  url: string;
  width: number;
  height: number;
  /** Body bytes received for this URL (all passes). */
  bytesRead: number;
}

/** A URL that could not be sized: `READ_FAILED` (HTTP status, network), `TIMEOUT`, or a header problem (`INVALID_IMAGE`, `UNSUPPORTED_IMAGE`, ...). */
export interface UrlReject extends SourceReject {
  url: string;
}

/** One entry per URL, in order, plus the failures alone and the bytes received in all. */
export type UrlSizes = (UrlSize | UrlReject)[] & { readonly rejects: readonly UrlReject[]; readonly bytesRead: number };

/**
 * Reads the pixel size of each image at `urls` from its first bytes with HTTP Range requests
 * (usually 2 KiB per image, one request). Never throws for one URL: a failure becomes that URL's
 * entry `{ index, url, code, format?, detail, message }`, also listed in `rejects`. Entries with a size are
 * `{ width, height }` objects, so `{ image: entry }` is a sample the batchers plan.
 */
export async function imageSizesFromUrls(urls: readonly (string | URL)[], options: UrlSizesOptions = {}): Promise<UrlSizes> {
  if (!Array.isArray(urls)) throw new BatcherError('INVALID_INPUT', `imageSizesFromUrls takes an array of URLs, got ${urls === null ? 'null' : typeof urls}`);
  const { concurrency, timeoutMs, signal } = readSourceOptions('urls', options);
  const fetchImpl: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  if (typeof fetchImpl !== 'function') throw new BatcherError('INVALID_OPTION', 'option `fetch` must be a function', { option: 'fetch' });
  const list = urls.map((u) => String(u));
  const results = await readSizesInPasses(list.length, (k, limit, have, abort) => readUrl(fetchImpl, list[k]!, limit, have, abort, timeoutMs), concurrency, signal);
  return sourceEntries(results, 'url', list);
}

/** The first `limit` bytes of `url`, asking only for the bytes after `have`. */
async function readUrl(fetchImpl: FetchLike, url: string, limit: number, have: Uint8Array | undefined, signal: AbortSignal, timeoutMs: number): Promise<Prefix> {
  const start = have?.byteLength ?? 0;
  const controller = new AbortController();
  const abort = () => controller.abort(signal.reason);
  signal.addEventListener('abort', abort, { once: true });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort(new SourceFailure('TIMEOUT', `no complete response within ${timeoutMs} ms`));
  }, timeoutMs);
  try {
    const end = limit === Infinity ? '' : String(limit - 1);
    const response = await fetchImpl(url, { headers: { Range: `bytes=${start}-${end}` }, signal: controller.signal });
    if (response.status === 416) {
      // Nothing after `start`: the file ended there.
      await response.body?.cancel();
      return { bytes: have ?? new Uint8Array(0), length: start, transferred: 0 };
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new SourceFailure('READ_FAILED', `HTTP status ${response.status}`);
    }
    let base: Uint8Array = new Uint8Array(0);
    let total = Infinity;
    if (response.status === 206) {
      const range = contentRange(response.headers.get('content-range'));
      if (range === undefined || range.start > start) {
        await response.body?.cancel();
        throw new SourceFailure('READ_FAILED', `unexpected Content-Range ${JSON.stringify(response.headers.get('content-range'))} for bytes ${start}-${end}`);
      }
      base = (have ?? base).subarray(0, range.start);
      total = range.total;
    } else {
      // 200: the server ignored Range and sends the whole file from byte 0.
      const length = Number(response.headers.get('content-length') ?? Number.NaN);
      if (!response.headers.get('content-encoding') && Number.isInteger(length)) total = length;
    }
    const body = await readBody(response, limit - base.byteLength);
    const bytes = concat(base, body.bytes);
    if (body.ended && response.status === 200) total = bytes.byteLength;
    return { bytes: bytes.byteLength > limit ? bytes.subarray(0, limit) : bytes, length: total, transferred: body.transferred };
  } catch (error) {
    if (timedOut) throw new SourceFailure('TIMEOUT', `no complete response within ${timeoutMs} ms`);
    if (signal.aborted) throw signal.reason;
    if (error instanceof SourceFailure) throw error;
    throw new SourceFailure('READ_FAILED', `fetch failed: ${(error as Error)?.message ?? String(error)}`);
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', abort);
  }
}

/** `bytes START-END/TOTAL` (TOTAL may be `*`). */
function contentRange(header: string | null): { start: number; total: number } | undefined {
  const m = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(header?.trim() ?? '');
  if (!m) return undefined;
  return { start: Number(m[1]), total: m[3] === '*' ? Infinity : Number(m[3]) };
}

/** Reads at most `want` bytes of the body (all of it for `Infinity`), then cancels the rest. */
async function readBody(response: Response, want: number): Promise<{ bytes: Uint8Array; transferred: number; ended: boolean }> {
  if (!response.body) {
    const all = new Uint8Array(await response.arrayBuffer());
    return { bytes: all, transferred: all.byteLength, ended: true };
  }
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let got = 0;
  try {
    while (got < want) {
      const { done, value } = await reader.read();
      if (done) return { bytes: concat(...chunks), transferred: got, ended: true };
      chunks.push(value);
      got += value.byteLength;
    }
    await reader.cancel();
    return { bytes: concat(...chunks), transferred: got, ended: false };
  } finally {
    reader.releaseLock();
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}
