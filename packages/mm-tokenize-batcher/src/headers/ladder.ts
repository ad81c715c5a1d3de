// The one driver of header reading: every caller (bytes in memory, files, URLs, the CLI) climbs
// the same prefix ladder, which lives in Rust (crates/formats/src/ladder.rs). A pass hands the
// bytes read so far to `readHeaderPass`, the one wasm entry point of header reading (one call for
// every image of the pass); images whose header lies further in come back with the longer prefix
// to read. Callers differ only in how they read bytes: `readHeaders` slices files in memory;
// sources.ts reads files and URLs asynchronously.
import type { ErrorCode, ImageFormatName } from '../shared/errors.js';
import { registry, wasm } from '../planning/wasm.js';

/** Why an image has no size, as fields (each caller composes its own message). */
export interface HeaderFailure {
  code: ErrorCode;
  format?: ImageFormatName;
  detail: string;
  /**
   * Why a source could not be read, as a stable word beside `code` (sources only): `MAX_BYTES`,
   * `CONTENT_ENCODING`, `NOT_A_FILE`, `HTTP_STATUS`, `REDIRECT_LIMIT`, `REDIRECT_LOOP`,
   * `REDIRECT_REFUSED`, `SCHEME`, `CREDENTIALS`, or the network's own code (`ECONNREFUSED`,
   * `ENOTFOUND`, `UND_ERR_HEADERS_OVERFLOW`, a TLS code such as `CERT_HAS_EXPIRED`, ...).
   */
  reason?: string;
}

/** A header's outcome: the upright size (EXIF orientation or `irot` applied), or a failure. */
export type HeaderResult = { width: number; height: number } | HeaderFailure;

/** A read a pass needs: source `k`'s first `limit` bytes (`Infinity`: all of it). */
export interface HeaderRequest {
  k: number;
  limit: number;
}

interface PassResult {
  widths: Float64Array;
  heights: Float64Array;
  more: Float64Array;
  failures: ({ index: number } & HeaderFailure)[];
}

/** The ladder over `count` sources: take the requests, give what was read, run a pass; repeat until no request is left. */
export class HeaderLadder {
  /** One entry per source once its header is read (or failed); `undefined` until then. */
  readonly results: (HeaderResult | undefined)[];
  #requests: HeaderRequest[];
  #given: { k: number; bytes: Uint8Array; length: number }[] = [];

  constructor(count: number) {
    const first = registry().headerPrefixBytes;
    this.results = new Array<HeaderResult | undefined>(count);
    this.#requests = Array.from({ length: count }, (_, k) => ({ k, limit: first }));
  }

  /** The reads the next pass needs (each handed out once). Empty when every header is read. */
  takeRequests(): HeaderRequest[] {
    const requests = this.#requests;
    this.#requests = [];
    return requests;
  }

  /** Source `k`'s first bytes as requested; `length` is its whole length (`Infinity`: unknown; the bytes' own length when the source ended there). */
  give(k: number, bytes: Uint8Array, length: number): void {
    this.#given.push({ k, bytes, length });
  }

  /** Source `k` could not be read at all. */
  fail(k: number, failure: HeaderFailure): void {
    this.results[k] = failure;
  }

  /** Reads every header given since the last pass, in one call into wasm; the rest are requested again, further up the ladder. */
  pass(): void {
    const given = this.#given.sort((a, b) => a.k - b.k);
    this.#given = [];
    if (given.length === 0) return;
    const offsets = new Uint32Array(given.length + 1);
    given.forEach((g, j) => (offsets[j + 1] = (offsets[j] as number) + g.bytes.byteLength));
    // One image (a long read, usually): its bytes as they are, not a copy of up to `maxBytes`.
    const bytes = given.length === 1 ? given[0]!.bytes : new Uint8Array(offsets[given.length] as number);
    if (given.length > 1) given.forEach((g, j) => bytes.set(g.bytes, offsets[j]));
    const lengths = Float64Array.from(given, (g) => g.length);
    const read = wasm().readHeaderPass(bytes, offsets, lengths) as PassResult;
    given.forEach(({ k }, j) => {
      const more = read.more[j] as number;
      if (more > 0) this.#requests.push({ k, limit: more });
      else this.results[k] = { width: read.widths[j] as number, height: read.heights[j] as number };
    });
    for (const { index, code, format, detail } of read.failures) {
      this.results[(given[index] as { k: number }).k] = format === undefined ? { code, detail } : { code, format, detail };
    }
  }
}

/** Sizes of encoded files held in memory: the ladder with slices for reads (one crossing per pass; nearly always one). */
export function readHeaders(files: readonly Uint8Array[]): HeaderResult[] {
  const ladder = new HeaderLadder(files.length);
  for (let requests = ladder.takeRequests(); requests.length > 0; requests = ladder.takeRequests()) {
    for (const { k, limit } of requests) {
      const file = files[k] as Uint8Array;
      ladder.give(k, file.byteLength > limit ? file.subarray(0, limit) : file, file.byteLength);
    }
    ladder.pass();
  }
  return ladder.results as HeaderResult[];
}

/** Bytes of a file the ladder reads first (its first rung). */
export function headerPrefixBytes(): number {
  return registry().headerPrefixBytes;
}
