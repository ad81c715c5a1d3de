// What `imageSizesFromUrls` decides about the network: which schemes it asks for, which redirects
// it follows (the default policy, and a caller's `allowRedirect`), how a failed `fetch` is named
// (the code deepest in the error's `cause` chain: undici's `ECONNREFUSED`, `ENOTFOUND`,
// `UND_ERR_HEADERS_OVERFLOW`, TLS codes, ...), and that no message ever shows a URL's password.
import { SourceFailure } from './sources.js';

/**
 * Whether to follow a redirect: `true` to follow, `false` or a reason (a string) to refuse, which
 * becomes the URL's `READ_FAILED` reject with reason `REDIRECT_REFUSED`. `from` is the URL that
 * answered with the redirect, `to` its `Location` resolved against it.
 */
export type AllowRedirect = (to: URL, from: URL) => boolean | string;

/** Schemes read with the runtime's own `fetch` (a `fetch` of yours is given any URL). */
const FETCH_SCHEMES = new Set(['http:', 'https:', 'data:', 'blob:']);

/** How an address literal is reached: link-local (cloud metadata lives there), private, loopback, or public. */
type AddressClass = 'link-local' | 'private' | 'loopback' | 'public';

/** The class of `hostname` when it is an address literal or `localhost`; names are `public` (no DNS is asked). */
export function addressClass(hostname: string): AddressClass {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return 'loopback';
  const v4 = /^(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(host)?.slice(1).map(Number);
  if (v4) {
    const [a, b] = v4 as [number, number];
    if (a === 169 && b === 254) return 'link-local';
    if (a === 127 || a === 0) return 'loopback';
    if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 100 && b >= 64 && b <= 127)) return 'private';
    return 'public';
  }
  if (host.includes(':')) {
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(host)?.[1];
    if (mapped) return addressClass(mapped);
    if (host === '::1' || host === '::') return 'loopback';
    if (/^fe[89ab]/.test(host)) return 'link-local';
    if (/^f[cd]/.test(host)) return 'private';
  }
  return 'public';
}

/**
 * The default redirect policy: http(s) targets only; never a link-local address (169.254.0.0/16,
 * fe80::/10: cloud metadata services), and a private or loopback address only from a URL whose
 * own host is private or loopback. Other hosts are followed (CDNs and object stores redirect).
 * Host names are judged as written: a public name that resolves to a private address is not seen.
 */
export function defaultAllowRedirect(to: URL, from: URL): boolean | string {
  if (to.protocol !== 'http:' && to.protocol !== 'https:') return `the target's scheme ${to.protocol} is not http or https`;
  const target = addressClass(to.hostname);
  if (target === 'link-local') return 'the target is a link-local address';
  if ((target === 'private' || target === 'loopback') && addressClass(from.hostname) === 'public') return `the target is a ${target} address and the URL's own host is not`;
  return true;
}

/** `url` with its user name and password replaced by `***`, for messages. */
export function redactUrl(url: string | URL): string {
  try {
    const u = new URL(String(url));
    if (u.username || u.password) {
      u.username = '***';
      u.password = '';
    }
    return u.href;
  } catch {
    return redactText(String(url));
  }
}

/** Any `scheme://user:pass@` in `text` shown as `scheme://***@`. */
export function redactText(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi, '$1***@');
}

/**
 * Refuses a URL before any request: one that does not parse, one with credentials (the runtime's
 * `fetch` refuses it anyway, echoing the password; pass them in a header through your `fetch`),
 * or, with the runtime's `fetch`, a scheme it does not read over the network (`file:`, `ftp:`).
 */
export function checkUrl(url: string, ownFetch: boolean): URL | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url, (globalThis as { location?: { href?: string } }).location?.href);
  } catch {
    if (ownFetch) return undefined; // yours to read
    throw new SourceFailure('READ_FAILED', `not a URL: ${JSON.stringify(redactText(url))}`, 'INVALID_URL');
  }
  if (parsed.username || parsed.password) {
    throw new SourceFailure('READ_FAILED', `the URL holds credentials (${redactUrl(parsed)}): refused; send them in a header through the fetch option`, 'CREDENTIALS');
  }
  if (!ownFetch && !FETCH_SCHEMES.has(parsed.protocol)) {
    throw new SourceFailure('READ_FAILED', `the scheme ${parsed.protocol} is not read (http, https, data and blob are)`, 'SCHEME');
  }
  return parsed;
}

/** Words for the codes a failed `fetch` carries (undici's and Node's; Bun and Deno name theirs alike). */
const NETWORK_CAUSES: [RegExp, string][] = [
  [/^ECONNREFUSED$/, 'connection refused'],
  [/^(ENOTFOUND|EAI_AGAIN|EAI_NONAME|EAI_FAIL)$/, 'DNS lookup failed'],
  [/^(ECONNRESET|EPIPE|UND_ERR_SOCKET|UND_ERR_CLOSED)$/, 'connection closed by the server'],
  [/^(ETIMEDOUT|UND_ERR_CONNECT_TIMEOUT|UND_ERR_HEADERS_TIMEOUT|UND_ERR_BODY_TIMEOUT)$/, 'network timeout'],
  [/^UND_ERR_HEADERS_OVERFLOW$/, 'response headers too large'],
  [/^(EHOSTUNREACH|ENETUNREACH|EADDRNOTAVAIL)$/, 'host unreachable'],
  [/^(CERT_|ERR_TLS_|ERR_SSL_|DEPTH_ZERO_|SELF_SIGNED_|UNABLE_TO_(GET|VERIFY)|HOSTNAME_MISMATCH)/, 'TLS failure'],
];

/** The deepest `code` in `error`'s `cause` chain (an AggregateError's first error counts), and the deepest message. */
function deepestCause(error: unknown): { code?: string; message: string } {
  let code: string | undefined;
  let message = error instanceof Error ? error.message : String(error);
  const seen = new Set<unknown>();
  for (let e: unknown = error; e !== null && typeof e === 'object' && !seen.has(e); ) {
    seen.add(e);
    const c = (e as { code?: unknown }).code;
    if (typeof c === 'string') code = c;
    const m = (e as { message?: unknown }).message;
    if (typeof m === 'string' && m !== '' && e !== error) message = m;
    const errors = (e as { errors?: unknown }).errors;
    e = (e as { cause?: unknown }).cause ?? (Array.isArray(errors) ? errors[0] : undefined);
  }
  return { code, message };
}

/** A failed `fetch` as a reject: its network code as the reason and in words, the runtime's own message after it. */
export function networkFailure(error: unknown): SourceFailure {
  const { code, message } = deepestCause(error);
  const words = code === undefined ? undefined : NETWORK_CAUSES.find(([pattern]) => pattern.test(code))?.[1];
  const detail = words ? `${words} (${code}): ${message}` : code ? `fetch failed (${code}): ${message}` : `fetch failed: ${message}`;
  return new SourceFailure('READ_FAILED', redactText(detail), code);
}
