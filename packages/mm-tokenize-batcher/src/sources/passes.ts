// Sizes of images that live elsewhere (files, URLs), read asynchronously pass by pass: every
// source's first `headerPrefixBytes()` bytes, then one call into wasm (`readHeaderPass`) reads all
// the headers and says which images need a longer prefix (the one ladder, in Rust:
// crates/core/src/buffer.rs HEADER_PREFIX_PASSES); only those are read again. This file holds the
// passes, the concurrency limit and aborting; files.ts and urls.ts only read bytes.
import { BatcherError, callWasm, type ErrorCode } from '../shared/errors.js';
import { headerPrefixBytes } from '../planning/image-sizes.js';
import { wasm } from '../planning/wasm.js';

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
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Reads the first `limit` bytes (`Infinity`: all) of source `k`, given the `have` bytes read before. */
export type ReadPrefix = (k: number, limit: number, have: Uint8Array | undefined, signal: AbortSignal) => Promise<Prefix>;

export interface PassResult {
  width?: number;
  height?: number;
  code?: ErrorCode;
  message?: string;
  bytesRead: number;
}

/** JS-only options (the rest is read in Rust: `sourceOptions`). */
const JS_ONLY = new Set(['signal', 'fetch']);

/** Options as Rust resolved them, and the caller's abort signal. */
export function readSourceOptions(kind: 'files' | 'urls', options: object | undefined): { concurrency: number; timeoutMs: number; signal?: AbortSignal } {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new BatcherError('INVALID_OPTION', 'options must be an object', { option: 'options' });
  }
  const wire: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options ?? {})) if (v !== undefined && !JS_ONLY.has(k)) wire[k] = v;
  const resolved = callWasm(() => wasm().sourceOptions(kind, wire) as { concurrency: number; timeoutMs?: number });
  const signal = (options as { signal?: unknown } | undefined)?.signal;
  if (signal !== undefined && !(typeof AbortSignal !== 'undefined' && signal instanceof AbortSignal)) {
    throw new BatcherError('INVALID_OPTION', 'option `signal` must be an AbortSignal', { option: 'signal' });
  }
  return { concurrency: resolved.concurrency, timeoutMs: resolved.timeoutMs ?? 0, signal: signal as AbortSignal | undefined };
}

/**
 * Reads the sizes of `count` sources with `read`, at most `concurrency` reads at once. Resolves
 * with one result per source; rejects only when `signal` aborts (with its reason; reads in flight
 * are aborted too).
 */
export async function readSizesInPasses(count: number, read: ReadPrefix, concurrency: number, signal?: AbortSignal): Promise<PassResult[]> {
  if (signal?.aborted) throw signal.reason ?? new Error('aborted');
  const results: PassResult[] = Array.from({ length: count }, () => ({ bytesRead: 0 }));
  const have: (Uint8Array | undefined)[] = new Array(count);
  const lengths = new Float64Array(count).fill(Infinity);
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
    let pending = Array.from({ length: count }, (_, k) => k);
    let limits = pending.map(() => headerPrefixBytes());
    while (pending.length > 0) {
      const readOk: number[] = [];
      await forEachLimited(pending.length, concurrency, inner.signal, async (p) => {
        const k = pending[p]!;
        const limit = limits[p]!;
        const own = new AbortController();
        reads.add(own);
        try {
          const prefix = await read(k, limit, have[k], own.signal);
          results[k]!.bytesRead += prefix.transferred;
          have[k] = prefix.bytes;
          // Fewer bytes than asked for: the source ended there.
          lengths[k] = prefix.bytes.byteLength < limit ? prefix.bytes.byteLength : prefix.length;
          readOk.push(k);
        } catch (error) {
          if (inner.signal.aborted) throw inner.signal.reason;
          const failure = error instanceof SourceFailure ? error : new SourceFailure('READ_FAILED', String((error as Error)?.message ?? error));
          results[k]!.code = failure.code;
          results[k]!.message = failure.message;
        } finally {
          reads.delete(own);
        }
      });
      readOk.sort((a, b) => a - b);
      const pass = headerPass(readOk.map((k) => have[k]!), readOk.map((k) => lengths[k]!));
      const next: number[] = [];
      const nextLimits: number[] = [];
      readOk.forEach((k, j) => {
        const more = pass.more[j]!;
        if (more > 0) {
          next.push(k);
          nextLimits.push(more);
          return;
        }
        const code = pass.codes[j];
        if (code) {
          results[k]!.code = code;
          results[k]!.message = pass.messages[j]!;
        } else {
          results[k]!.width = pass.widths[j]!;
          results[k]!.height = pass.heights[j]!;
        }
        have[k] = undefined; // done with its bytes
      });
      pending = next;
      limits = nextLimits;
    }
    return results;
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
}

/** One pass over the prefixes read, in one call into wasm. */
function headerPass(prefixes: Uint8Array[], lengths: number[]) {
  const offsets = new Uint32Array(prefixes.length + 1);
  prefixes.forEach((p, k) => (offsets[k + 1] = (offsets[k] as number) + p.byteLength));
  const bytes = new Uint8Array(offsets[prefixes.length] as number);
  prefixes.forEach((p, k) => bytes.set(p, offsets[k]));
  return wasm().readHeaderPass(bytes, offsets, Float64Array.from(lengths)) as {
    widths: Float64Array;
    heights: Float64Array;
    codes: (ErrorCode | undefined)[];
    messages: (string | undefined)[];
    more: Float64Array;
  };
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
