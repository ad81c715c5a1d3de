/** Stable error codes; the Rust core reports the same strings. */
export type ErrorCode =
  /** An option is missing, unknown, of the wrong type or out of range (`option` names it). */
  | 'INVALID_OPTION'
  /** A sample has no `image` (or is not an object). */
  | 'MISSING_IMAGE'
  /** A sample's `image` is of a kind whose size cannot be read, or bytes of an unsupported format. */
  | 'UNSUPPORTED_IMAGE'
  /** Encoded bytes that cannot be read: truncated, corrupt, or zero-sized (message: format and cause). */
  | 'INVALID_IMAGE'
  /** An image above `maxInputPixels` (decompression-bomb guard), refused before decoding. */
  | 'IMAGE_TOO_LARGE'
  /** An image's width or height is not a positive whole number up to 2^31 - 1. */
  | 'INVALID_DIMENSIONS'
  /** A custom sort key is not a finite number, or the key function threw (see `cause`). */
  | 'INVALID_KEY'
  /** One image alone needs more tokens than `maxTokens` at its size (lower `maxPixels`). */
  | 'OVER_TOKEN_BUDGET'
  /** The arguments themselves are malformed (for example a buffer that is not an array). */
  | 'INVALID_INPUT'
  /** The WebAssembly module has not been initialised: `await init()` first. */
  | 'NOT_INITIALIZED';

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
