// Sizes of images that live elsewhere (files, URLs), read asynchronously: the ladder's requests
// (ladder.ts) are read with at most `concurrency` reads in flight, then one pass reads every
// header given; only the images whose header lies further in are read again. This file holds
// the concurrency limit and aborting; files.ts and urls.ts only read bytes.
import { BatcherError, callWasm, describeReject, type ErrorCode, type RejectFields } from '../shared/errors.js';
import { wasm } from '../planning/wasm.js';
import { HeaderLadder, type HeaderResult } from './ladder.js';

/** What reading one source gave: its first bytes (up to the limit asked), and its length if known. */
export interface Prefix {
  bytes: Uint8Array;
  /** The source's whole length in bytes; `Infinity` when unknown. */
  length: number;
  /** Bytes that crossed the wire or were read from disk for this read. */
  transferred: number;
}

/** A failure reading one source (not a header problem): becomes that source's reject. */
export class SourceFailure extends Error {
  /** Bytes received for this read before it failed (counted in the reject's `bytesRead`). */
  transferred = 0;
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** The reject's `reason` (see `HeaderFailure`). */
    readonly reason?: string,
  ) {
    super(message);
  }
}

/**
 * A whole source read with `read` (a prefix reader of files.ts or urls.ts), at most `maxBytes`
 * of it: one byte more is asked, so a source longer than the cap, or one that never ends, is a
 * `READ_FAILED` failure with reason `MAX_BYTES` after `maxBytes + 1` bytes at most. `option`
 * names the cap in the message.
 */
export async function readWhole(read: (limit: number) => Promise<Prefix>, maxBytes: number, option: string): Promise<Uint8Array> {
  const prefix = await read(maxBytes + 1);
  if (prefix.bytes.byteLength > maxBytes || (Number.isFinite(prefix.length) && prefix.length > maxBytes)) {
    const length = Number.isFinite(prefix.length) ? `${prefix.length} bytes` : 'a body that did not end';
    const failure = new SourceFailure('READ_FAILED', `${length} is more than ${maxBytes} bytes (option ${option}): refused`, 'MAX_BYTES');
    failure.transferred = prefix.transferred;
    throw failure;
  }
  if (Number.isFinite(prefix.length) && prefix.bytes.byteLength < prefix.length) {
    throw new SourceFailure('READ_FAILED', `only ${prefix.bytes.byteLength} of its ${prefix.length} bytes arrived`);
  }
  return prefix.bytes;
}

/** Reads the first `limit` bytes (`Infinity`: all) of source `k`, given the `have` bytes read before. */
export type ReadPrefix = (k: number, limit: number, have: Uint8Array | undefined, signal: AbortSignal) => Promise<Prefix>;

/** A source's header outcome, and the bytes read for it in all passes. */
export type SourceResult = HeaderResult & { bytesRead: number };

/** A source that could not be sized: its fields, `message` (`FORMAT: detail`), and the bytes read. */
export type SourceReject = RejectFields & {
  message: string;
  /** Bytes received or read for this source in all passes, a failed read's too. */
  bytesRead: number;
  /** Why the source could not be read, as a stable word (`MAX_BYTES`, `ECONNREFUSED`, ...; see the docs' sources page). */
  reason?: string;
};

/** A source's entry: its size (upright), or its reject; `name` is `path` or `url`. */
export type SourceEntries<N extends string> = ((Record<N, string> & { width: number; height: number; bytesRead: number }) | (Record<N, string> & SourceReject))[];

/**
 * One entry per source, in order, named by `key` (`path` or `url`): `{ width, height }` (so
 * `{ image: entry }` is a sample) or the reject; plus the rejects alone and the bytes read in all.
 */
export function sourceEntries<N extends string>(results: readonly SourceResult[], key: N, names: readonly string[]) {
  type Reject = Record<N, string> & SourceReject;
  const rejects: Reject[] = [];
  let bytesRead = 0;
  const entries = results.map((r, index) => {
    const named = { [key]: names[index] } as Record<N, string>;
    bytesRead += r.bytesRead;
    if ('code' in r) {
      const reject = { index, ...named, ...r, message: describeReject(r) } as Reject;
      rejects.push(reject);
      return reject;
    }
    return { ...named, width: r.width, height: r.height, bytesRead: r.bytesRead };
  });
  return Object.assign(entries as SourceEntries<N>, { rejects: rejects as readonly Reject[], bytesRead });
}

/** JS-only options (the rest is read in Rust: `sourceOptions`). */
const JS_ONLY = new Set(['signal', 'fetch', 'allowRedirect']);

/** Options as Rust resolved them (with their defaults), and the caller's abort signal. */
export interface ResolvedSourceOptions {
  concurrency: number;
  timeoutMs: number;
  maxBytes: number;
  maxRedirects: number;
  signal?: AbortSignal;
}

/** Options as Rust resolved them, and the caller's abort signal. */
export function readSourceOptions(kind: 'files' | 'urls', options: object | undefined): ResolvedSourceOptions {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new BatcherError('INVALID_OPTION', 'options must be an object', { option: 'options' });
  }
  const wire: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options ?? {})) if (v !== undefined && !JS_ONLY.has(k)) wire[k] = v;
  const resolved = callWasm(() => wasm().sourceOptions(kind, wire) as { concurrency: number; timeoutMs?: number; maxBytes: number; maxRedirects?: number });
  const signal = (options as { signal?: unknown } | undefined)?.signal;
  if (signal !== undefined && !(typeof AbortSignal !== 'undefined' && signal instanceof AbortSignal)) {
    throw new BatcherError('INVALID_OPTION', 'option `signal` must be an AbortSignal', { option: 'signal' });
  }
  return {
    concurrency: resolved.concurrency,
    timeoutMs: resolved.timeoutMs ?? 0,
    maxBytes: resolved.maxBytes,
    maxRedirects: resolved.maxRedirects ?? 0,
    signal: signal as AbortSignal | undefined,
  };
}

/**
 * Reads the sizes of `count` sources with `read`, at most `concurrency` reads at once and at most
 * `maxBytes` bytes of any one source (the ladder's "whole file" stops there: a header not within
 * them is that source's `MAX_BYTES` reject). Resolves with one result per source; rejects only
 * when `signal` aborts (with its reason; reads in flight are aborted too).
 */
export async function readSizesInPasses(count: number, read: ReadPrefix, concurrency: number, maxBytes: number, signal?: AbortSignal): Promise<SourceResult[]> {
  if (signal?.aborted) throw signal.reason ?? new Error('aborted');
  const ladder = new HeaderLadder(count);
  const bytesRead = new Array<number>(count).fill(0);
  const have: (Uint8Array | undefined)[] = new Array(count);
  // One controller per read in flight (one abort listener each, however many run at once);
  // aborting `signal` aborts them all.
  const inner = new AbortController();
  const reads = new Set<AbortController>();
  const onAbort = () => {
    const reason = signal?.reason ?? new Error('aborted');
    inner.abort(reason);
    for (const r of reads) r.abort(reason);
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (let requests = ladder.takeRequests(); requests.length > 0; requests = ladder.takeRequests()) {
      await forEachLimited(requests.length, concurrency, inner.signal, async (r) => {
        const { k, limit: asked } = requests[r]!;
        if (asked > maxBytes && (have[k]?.byteLength ?? 0) >= maxBytes) {
          ladder.fail(k, { code: 'READ_FAILED', reason: 'MAX_BYTES', detail: `no image header within the first ${maxBytes} bytes (option maxBytes)` });
          return;
        }
        const limit = Math.min(asked, maxBytes);
        const own = new AbortController();
        reads.add(own);
        try {
          const prefix = await read(k, limit, have[k], own.signal);
          bytesRead[k]! += prefix.transferred;
          have[k] = prefix.bytes;
          // Fewer bytes than asked for: the source ended there.
          ladder.give(k, prefix.bytes, prefix.bytes.byteLength < limit ? prefix.bytes.byteLength : prefix.length);
        } catch (error) {
          if (inner.signal.aborted) throw inner.signal.reason;
          const failure = error instanceof SourceFailure ? error : new SourceFailure('READ_FAILED', String((error as Error)?.message ?? error));
          bytesRead[k]! += failure.transferred;
          ladder.fail(k, { code: failure.code, detail: failure.message, ...(failure.reason === undefined ? {} : { reason: failure.reason }) });
        } finally {
          reads.delete(own);
        }
      });
      ladder.pass();
      // Done with the bytes of every source whose header is read.
      for (const { k } of requests) if (ladder.results[k] !== undefined) have[k] = undefined;
    }
    return ladder.results.map((r, k) => ({ ...(r as HeaderResult), bytesRead: bytesRead[k]! }));
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/** Runs `task(0 .. count - 1)`, at most `limit` at once; stops starting tasks once `signal` aborts. */
async function forEachLimited(count: number, limit: number, signal: AbortSignal, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) {
      if (signal.aborted) throw signal.reason;
      await task(next++);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
}
