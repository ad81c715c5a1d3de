/**
 * Stable error codes: the Rust core's `ErrorCode` (crates/core/src/error.rs, every code either
 * wasm module reports; a test checks this list against it), plus `NOT_INITIALIZED`, which only
 * JavaScript raises (the module is not loaded yet).
 * - `INVALID_OPTION`: an option is missing, unknown, of the wrong type or out of range (`option` names it).
 * - `INVALID_DIMENSIONS`: an image's width or height is not a positive whole number up to 2^31 - 1.
 * - `INVALID_KEY`: a custom sort key is not a finite number, or the key function threw (see `cause`).
 * - `OVER_TOKEN_BUDGET`: one image alone needs more tokens than `maxTokens` at its size.
 * - `INVALID_INPUT`: the arguments themselves are malformed (a buffer that is not an array, ...).
 * - `MISSING_IMAGE`: a sample has no `image` (or is not an object).
 * - `UNSUPPORTED_IMAGE`: an image of a kind whose size cannot be read, or an unsupported encoding.
 * - `INVALID_IMAGE`: encoded bytes that cannot be read: truncated, corrupt, or zero-sized.
 * - `IMAGE_TOO_LARGE`: an image above `maxInputPixels` (decompression-bomb guard), refused before decoding.
 * - `READ_FAILED`: a file or URL that could not be read (no such file, HTTP error status, network failure).
 * - `TIMEOUT`: a URL whose bytes did not arrive within `timeoutMs`.
 * - `NOT_INITIALIZED`: the WebAssembly module has not been initialised: `await init()` first.
 * - `UNSUPPORTED_RUNTIME`: the runtime lacks what the call needs (an imaging pool where there are no
 *   workers: Cloudflare workerd, Vercel Edge).
 * - `WORKER_FAILED`: an imaging pool's worker could not start or died (the cause says why), or the
 *   pool was closed before the task ran.
 */
export const ERROR_CODES = [
  'INVALID_OPTION',
  'INVALID_DIMENSIONS',
  'INVALID_KEY',
  'OVER_TOKEN_BUDGET',
  'INVALID_INPUT',
  'MISSING_IMAGE',
  'UNSUPPORTED_IMAGE',
  'INVALID_IMAGE',
  'IMAGE_TOO_LARGE',
  'READ_FAILED',
  'TIMEOUT',
  'NOT_INITIALIZED',
  'UNSUPPORTED_RUNTIME',
  'WORKER_FAILED',
] as const;

/** The codes only JavaScript raises (every other code comes from the Rust core). */
export const JS_ONLY_ERROR_CODES = ['NOT_INITIALIZED', 'UNSUPPORTED_RUNTIME', 'WORKER_FAILED'] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export interface BatcherErrorDetails {
  /** Position of the offending sample in the buffer, when one sample is at fault. */
  index?: number;
  /** Name of the offending option, for `INVALID_OPTION`. */
  option?: string;
  cause?: unknown;
}

/** Every error this library throws on purpose. */
export class BatcherError extends Error {
  override readonly name = 'BatcherError';
  readonly code: ErrorCode;
  readonly index?: number;
  readonly option?: string;

  constructor(code: ErrorCode, message: string, details: BatcherErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    if (details.index !== undefined) this.index = details.index;
    if (details.option !== undefined) this.option = details.option;
  }
}

/** A sample left out of the plan because the caller asked to skip invalid input. */
export interface Reject {
  index: number;
  code: ErrorCode;
  message: string;
}

interface WasmErrorShape {
  code: ErrorCode;
  message: string;
  index?: number;
  option?: string;
}

function isWasmError(value: unknown): value is WasmErrorShape {
  return typeof value === 'object' && value !== null && 'code' in value && 'message' in value;
}

/**
 * Runs a call into wasm and turns the error objects Rust throws into `BatcherError`s. Anything
 * else (a wasm trap) is a bug in this library and propagates unchanged.
 */
export function callWasm<T>(call: () => T): T {
  try {
    return call();
  } catch (error) {
    if (!isWasmError(error)) throw error;
    throw new BatcherError(error.code, error.message, { index: error.index, option: error.option });
  }
}
