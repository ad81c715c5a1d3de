// Image sizes from URLs with HTTP Range requests through `fetch`, so it runs wherever `fetch`
// does (Node 18+, Bun, Deno, workerd, browsers). Each URL's first `headerPrefixBytes()` bytes
// (`Range: bytes=0-2047`), then, only for the rare header that lies further in, the next prefix of
// the ladder (`Range: bytes=2048-65535`, then up to 256 KiB, then the rest). A server that ignores `Range` (200 with the
// whole file) is read only until the prefix is in, then the body is cancelled.
import { BatcherError } from '../shared/errors.js';
import { checkUrl, defaultAllowRedirect, networkFailure, redactText, redactUrl, type AllowRedirect } from './network.js';
import { readSizesInPasses, readSourceOptions, readWhole, sourceEntries, SourceFailure, type Prefix, type SourceReject } from './sources.js';

export { defaultAllowRedirect, type AllowRedirect } from './network.js';

/**
 * The `fetch` the reader calls: the global one by default. It is asked with `redirect: 'manual'`
 * so redirects pass through `maxRedirects` and `allowRedirect` (a `fetch` of yours that follows
 * them itself applies its own policy).
 */
export type FetchLike = (input: string, init: { headers: Record<string, string>; signal: AbortSignal; redirect?: 'manual' }) => Promise<Response>;

export interface UrlSizesOptions {
  /** Most requests in flight at once. Default 16. */
  concurrency?: number;
  /** A request (one pass for one URL) not done by then is abandoned: the URL's reject has code `TIMEOUT`. Default 30,000. */
  timeoutMs?: number;
  /**
   * Most bytes received from one URL for its header (all passes): a header not within them is a
   * `READ_FAILED` reject with reason `MAX_BYTES`, so one server cannot make the process hold more.
   * Default 8,388,608 (8 MiB).
   */
  maxBytes?: number;
  /** Most redirects followed per request; one more is a `READ_FAILED` reject with reason `REDIRECT_LIMIT`. Default 5. */
  maxRedirects?: number;
  /**
   * Which redirects to follow (see `AllowRedirect`); a refused one is a reject with reason
   * `REDIRECT_REFUSED`. Default: http(s) targets that are not link-local, and not private or loopback unless the URL's own host is.
   * That is `defaultAllowRedirect` (link-local: 169.254.0.0/16, fe80::/10).
   */
  allowRedirect?: AllowRedirect;
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
  const { concurrency, maxBytes, signal } = readSourceOptions('urls', options);
  const policy = requestPolicy(options);
  const list = urls.map((u) => String(u));
  const results = await readSizesInPasses(list.length, (k, limit, have, abort) => readUrl(policy, list[k]!, limit, have, abort), concurrency, maxBytes, signal);
  return sourceEntries(results, 'url', list);
}

/** The request rules of `options` (its `fetch`, `timeoutMs`, `maxRedirects`, `allowRedirect`), checked. */
function requestPolicy(options: Pick<UrlSizesOptions, 'fetch' | 'timeoutMs' | 'maxRedirects' | 'allowRedirect'>): RequestPolicy {
  const { timeoutMs, maxRedirects } = readSourceOptions('urls', { timeoutMs: options.timeoutMs, maxRedirects: options.maxRedirects });
  const fetchImpl: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  if (typeof fetchImpl !== 'function') throw new BatcherError('INVALID_OPTION', 'option `fetch` must be a function', { option: 'fetch' });
  const allowRedirect = options.allowRedirect ?? defaultAllowRedirect;
  if (typeof allowRedirect !== 'function') throw new BatcherError('INVALID_OPTION', 'option `allowRedirect` must be a function (to: URL, from: URL) => boolean | string', { option: 'allowRedirect' });
  return { fetch: fetchImpl, ownFetch: options.fetch !== undefined, timeoutMs, maxRedirects, allowRedirect };
}

/**
 * A reader of whole images at URLs under the header readers' rules (`fetch`, `timeoutMs`,
 * redirects one at a time under `maxRedirects` and `allowRedirect`, no compressed bodies), each
 * at most `maxBytes` (more, or a body that does not end, is a `SourceFailure` with reason
 * `MAX_BYTES`; `option` names the cap). The loader reads each image so.
 */
export function wholeUrlReader(options: Pick<UrlSizesOptions, 'fetch' | 'timeoutMs' | 'maxRedirects' | 'allowRedirect'>, maxBytes: number, option: string): (url: string) => Promise<Uint8Array> {
  const policy = requestPolicy(options);
  const never = new AbortController().signal;
  return (url) => readWhole((limit) => readUrl(policy, url, limit, undefined, never), maxBytes, option);
}

/** How every request of one call is made. */
interface RequestPolicy {
  fetch: FetchLike;
  /** The caller's `fetch`: any scheme and URL is its to read. */
  ownFetch: boolean;
  timeoutMs: number;
  maxRedirects: number;
  allowRedirect: AllowRedirect;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/**
 * `fetch` of `url` with redirects followed here, one at a time: each checked against
 * `maxRedirects`, seen-before (a loop) and `allowRedirect`. Where the runtime hides redirects
 * (browsers give an opaque response to `redirect: 'manual'`), the request is made again and the
 * browser follows them under its own rules (CORS; at most 20).
 */
async function fetchFollowing(policy: RequestPolicy, url: string, headers: Record<string, string>, signal: AbortSignal): Promise<Response> {
  let current = url;
  const seen = new Set<string>();
  for (let hop = 0; ; hop++) {
    const from = checkUrl(current, policy.ownFetch);
    let response: Response;
    try {
      response = await policy.fetch(current, { headers, signal, redirect: 'manual' });
    } catch (error) {
      if (signal.aborted) throw error;
      throw networkFailure(error);
    }
    if (response.type === 'opaqueredirect') return policy.fetch(current, { headers, signal });
    const location = response.headers.get('location');
    if (!REDIRECT_STATUSES.has(response.status) || location === null || from === undefined) return response;
    await response.body?.cancel();
    let to: URL;
    try {
      to = new URL(location, from);
    } catch {
      throw new SourceFailure('READ_FAILED', `HTTP status ${response.status} with a Location that is not a URL: ${JSON.stringify(redactText(location))}`, 'HTTP_STATUS');
    }
    seen.add(from.href);
    if (seen.has(to.href)) throw new SourceFailure('READ_FAILED', `redirect loop: ${redactUrl(to)} was asked for before`, 'REDIRECT_LOOP');
    if (hop >= policy.maxRedirects) throw new SourceFailure('READ_FAILED', `more than ${policy.maxRedirects} redirects (option maxRedirects); the next was to ${redactUrl(to)}`, 'REDIRECT_LIMIT');
    if (to.username || to.password) throw new SourceFailure('READ_FAILED', `redirect to a URL with credentials (${redactUrl(to)}): refused`, 'REDIRECT_REFUSED');
    let verdict: boolean | string;
    try {
      verdict = policy.allowRedirect(to, from);
    } catch (error) {
      throw new SourceFailure('READ_FAILED', `allowRedirect threw on the redirect to ${redactUrl(to)}: ${redactText(String((error as Error)?.message ?? error))}`, 'REDIRECT_REFUSED');
    }
    if (verdict !== true) {
      throw new SourceFailure('READ_FAILED', `redirect to ${redactUrl(to)} refused${typeof verdict === 'string' ? `: ${redactText(verdict)}` : ' by allowRedirect'}`, 'REDIRECT_REFUSED');
    }
    current = to.href;
  }
}

/** The first `limit` bytes of `url`, asking only for the bytes after `have`. */
async function readUrl(policy: RequestPolicy, url: string, limit: number, have: Uint8Array | undefined, signal: AbortSignal): Promise<Prefix> {
  const { timeoutMs } = policy;
  const start = have?.byteLength ?? 0;
  const received = { bytes: 0 };
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
    // With a Range header, `fetch` asks for `Accept-Encoding: identity` itself (the Fetch
    // standard); a server that compresses anyway is refused below.
    const response = await fetchFollowing(policy, url, { Range: `bytes=${start}-${end}` }, controller.signal);
    if (response.status === 416) {
      // Nothing after `start`: the file ended there.
      await response.body?.cancel();
      return { bytes: have ?? new Uint8Array(0), length: start, transferred: 0 };
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new SourceFailure('READ_FAILED', `HTTP status ${response.status}`, 'HTTP_STATUS');
    }
    const encoding = response.headers.get('content-encoding')?.trim().toLowerCase();
    if (encoding && encoding !== 'identity') {
      // Asked for `identity`: a compressed body's offsets are not the file's, and `fetch` would
      // inflate it without bound (a gzip bomb). Refused unread.
      await response.body?.cancel();
      throw new SourceFailure('READ_FAILED', `the server sent a body with Content-Encoding ${JSON.stringify(encoding)} although the request asked for none (identity): refused unread`, 'CONTENT_ENCODING');
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
      if (Number.isInteger(length)) total = length;
    }
    const body = await readBody(response, base, limit - base.byteLength, received);
    const bytes = body.bytes;
    if (body.ended && response.status === 200) total = bytes.byteLength;
    return { bytes: bytes.byteLength > limit ? bytes.subarray(0, limit) : bytes, length: total, transferred: body.transferred };
  } catch (error) {
    if (signal.aborted && !timedOut) throw signal.reason;
    const failure = timedOut
      ? new SourceFailure('TIMEOUT', `no complete response within ${timeoutMs} ms`)
      : error instanceof SourceFailure
        ? error
        : networkFailure(error);
    failure.transferred = received.bytes;
    throw failure;
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

/**
 * `base`, then at most `want` bytes of the body (the caller caps them at `maxBytes`), read into
 * one buffer (no second copy); then the rest is cancelled. `received.bytes` counts what arrived
 * so far (a timeout's reject reports it). The buffer is allocated at its cap, but only pages
 * written to take memory; a body that ends well short of it is copied out compact.
 */
async function readBody(response: Response, base: Uint8Array, want: number, received: { bytes: number }): Promise<{ bytes: Uint8Array; transferred: number; ended: boolean }> {
  if (!response.body) {
    // A `fetch` of yours that gives no stream: its bytes are already held.
    const all = new Uint8Array(await response.arrayBuffer());
    received.bytes = all.byteLength;
    const out = new Uint8Array(base.byteLength + all.byteLength);
    out.set(base);
    out.set(all, base.byteLength);
    return { bytes: out, transferred: all.byteLength, ended: true };
  }
  const reader = response.body.getReader();
  const out = new Uint8Array(base.byteLength + want);
  out.set(base);
  let at = base.byteLength;
  let got = 0;
  try {
    while (got < want) {
      const { done, value } = await reader.read();
      if (done) return { bytes: at * 2 < out.byteLength ? out.slice(0, at) : out.subarray(0, at), transferred: got, ended: true };
      const take = Math.min(value.byteLength, out.byteLength - at);
      out.set(take === value.byteLength ? value : value.subarray(0, take), at);
      at += take;
      got += value.byteLength;
      received.bytes = got;
    }
    // The whole response is already in (a Range reply of exactly the bytes asked): let its body end
    // rather than cancel it, which browsers report as an aborted request (net::ERR_ABORTED).
    if (got === Number(response.headers.get('content-length') ?? Number.NaN) && (await reader.read()).done) {
      return { bytes: out.subarray(0, at), transferred: got, ended: false };
    }
    await reader.cancel();
    return { bytes: out.subarray(0, at), transferred: got, ended: false };
  } finally {
    reader.releaseLock();
  }
}
