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
 * - `TIMEOUT`: a URL whose bytes did not arrive within `timeoutMs`; an imaging pool's batch not made within `jobTimeoutMs`.
 * - `NOT_INITIALIZED`: the WebAssembly module has not been initialised: `await init()` first.
 * - `UNSUPPORTED_RUNTIME`: the runtime lacks what the call needs (an imaging pool where there are no
 *   workers: Cloudflare workerd, Vercel Edge).
 * - `WORKER_FAILED`: an imaging pool's worker could not start, or died twice on the same batch (the
 *   cause says why), or the pool was closed before the task ran.
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

/**
 * The formats the package recognises by signature (the Rust registry's `formats`; a test checks
 * the two lists agree). Sizes are read for PNG, JPEG, WebP, GIF, BMP, AVIF and HEIC; pixels are
 * decoded for the first five. The others are only named when refused.
 */
export const IMAGE_FORMATS = ['PNG', 'JPEG', 'WebP', 'GIF', 'BMP', 'AVIF', 'HEIC', 'TIFF', 'JPEG XL', 'JPEG 2000', 'ICO', 'PSD', 'QOI', 'OpenEXR', 'PDF'] as const;

export type ImageFormatName = (typeof IMAGE_FORMATS)[number];

export interface BatcherErrorDetails {
  /** Position of the offending sample in the buffer, when one sample is at fault. */
  index?: number;
  /** Name of the offending option, for `INVALID_OPTION`. */
  option?: string;
  /** The sample's image format, where known. */
  format?: ImageFormatName;
  /** What is wrong with the sample, without the sample or the format (the message has both). */
  detail?: string;
  cause?: unknown;
}

/** Every error this library throws on purpose. */
export class BatcherError extends Error {
  override readonly name = 'BatcherError';
  readonly code: ErrorCode;
  readonly index?: number;
  readonly option?: string;
  readonly format?: ImageFormatName;
  readonly detail?: string;

  constructor(code: ErrorCode, message: string, details: BatcherErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    if (details.index !== undefined) this.index = details.index;
    if (details.option !== undefined) this.option = details.option;
    if (details.format !== undefined) this.format = details.format;
    if (details.detail !== undefined) this.detail = details.detail;
  }
}

/** What is wrong with one sample, as fields (what Rust reports; no message yet). */
export interface RejectFields {
  index: number;
  code: ErrorCode;
  /** The image's format, where known (an unreadable JPEG says `JPEG`; bytes of no known format say nothing). */
  format?: ImageFormatName;
  /** What is wrong, without the sample or the format. */
  detail: string;
}

/**
 * A sample left out because the caller asked to skip invalid input: its fields, and `message`,
 * which names the sample as the call that reported it knows it ("sample 3: JPEG: truncated ...",
 * "stream sample 1030: ...").
 */
export interface Reject extends RejectFields {
  message: string;
}

/** `FORMAT: detail`, or the detail alone: what a message says after naming its sample or file. */
export function describeReject(fields: { format?: string; detail: string }): string {
  return fields.format === undefined ? fields.detail : `${fields.format}: ${fields.detail}`;
}

/** The one place a reject's message is composed: `subject` names the sample ("sample 3"). */
export function composeReject(fields: RejectFields, subject: string): Reject {
  return { ...fields, message: `${subject}: ${describeReject(fields)}` };
}

/** A reject thrown: the same message, the fields kept on the error. */
export function rejectError(fields: RejectFields, subject: string, cause?: unknown): BatcherError {
  const { index, code, format, detail } = fields;
  return new BatcherError(code, composeReject(fields, subject).message, { index, format, detail, cause });
}

/** How a buffer's samples are named in messages, by index. */
export const sampleSubject = (index: number) => `sample ${index}`;

interface WasmErrorShape {
  code: ErrorCode;
  /** Absent where the fields say it all (a sample's reject: the message is composed here). */
  message?: string;
  index?: number;
  option?: string;
  format?: ImageFormatName;
  detail?: string;
}

function isWasmError(value: unknown): value is WasmErrorShape {
  return typeof value === 'object' && value !== null && 'code' in value && ('message' in value || 'detail' in value);
}

/**
 * Runs a call into wasm and turns the error objects Rust throws into `BatcherError`s; an error
 * about one sample gets its message here, naming the sample with `subject`. Anything else (a
 * wasm trap) is a bug in this library and propagates unchanged.
 */
export function callWasm<T>(call: () => T, subject: (index: number) => string = sampleSubject): T {
  try {
    return call();
  } catch (error) {
    if (!isWasmError(error)) throw error;
    const { code, index, option, format, detail } = error;
    if (index !== undefined && detail !== undefined) throw rejectError({ index, code, format, detail }, subject(index));
    throw new BatcherError(code, error.message ?? '', { index, option });
  }
}
