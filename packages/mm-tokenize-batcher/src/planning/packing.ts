import { BatcherError, callWasm, type Reject, type RejectFields } from '../shared/errors.js';
import { bufferSizes, callWasmOnBuffer, composeRejects, withAdapterProblems } from './image-sizes.js';
import type { Sample } from './batchers.js';
import { wireOptions } from './batchers.js';
import { wasm } from './wasm.js';

export interface TokenPackerOptions {
  /** Token budget of one pack. Required. */
  maxTokens: number;
  /** Patch side in pixels. Required. */
  patchSize: number;
  /** Sides are rounded to this (a multiple of `patchSize`; default `patchSize`). */
  multipleOf?: number;
  minPixels?: number;
  maxPixels?: number;
  /** `'first-fit-decreasing'` or `'next-fit'` (input order, for comparison). Default `'first-fit-decreasing'`. */
  algorithm?: 'first-fit-decreasing' | 'next-fit';
  /** Leave images too large for the budget out (listed in `rejects`) instead of throwing. Default false. */
  skipInvalid?: boolean;
}

/** Images that travel together as one concatenation of patch sequences. */
export interface Pack<S extends Sample = Sample> {
  samples: S[];
  indices: number[];
  /** Each image's own `[height, width]`, in whole patches. */
  sizes: [height: number, width: number][];
  /** Tokens of each image. */
  tokens: number[];
  usedTokens: number;
}

export type Packs<S extends Sample = Sample> = Pack<S>[] & {
  readonly rejects: readonly Reject[];
  /** Share of the packs' token budget left empty: `1 - used / (packs * maxTokens)`. */
  readonly padding: number;
};

interface WasmPacking {
  order: Uint32Array;
  offsets: Uint32Array;
  heights: Uint32Array;
  widths: Uint32Array;
  tokens: Float64Array;
  padding: number;
  rejects: RejectFields[];
}

/**
 * For encoders that take a concatenation of patch sequences (packed vision encoders): images
 * keep their own sizes (native, bounded, rounded to whole patches) and are packed into
 * `maxTokens` bins by first-fit decreasing.
 */
export class TokenPacker<S extends Sample = Sample> {
  readonly options: Readonly<TokenPackerOptions>;
  readonly #wireOptions: Record<string, unknown>;

  constructor(options: TokenPackerOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new BatcherError('INVALID_OPTION', 'options must be an object with `maxTokens` and `patchSize`', { option: 'options' });
    }
    this.options = Object.freeze({ ...options });
    this.#wireOptions = wireOptions(options);
    // Fail on bad options now, not at the first buffer.
    callWasm(() => wasm().pack(this.#wireOptions, new Float64Array(0)));
  }

  pack(buffer: readonly S[]): Packs<S> {
    const sizes = bufferSizes(buffer);
    const { problems } = sizes;
    const packed = callWasmOnBuffer(problems, () => wasm().pack(this.#wireOptions, sizes.sides) as WasmPacking);
    const packs: Pack<S>[] = [];
    for (let p = 0; p + 1 < packed.offsets.length; p++) {
      const [from, to] = [packed.offsets[p]!, packed.offsets[p + 1]!];
      const indices = Array.from(packed.order.subarray(from, to));
      const tokens = Array.from(packed.tokens.subarray(from, to));
      packs.push({
        samples: indices.map((i) => buffer[i] as S),
        indices,
        sizes: indices.map((_, j) => [packed.heights[from + j]!, packed.widths[from + j]!]),
        tokens,
        usedTokens: tokens.reduce((a, b) => a + b, 0),
      });
    }
    return Object.assign(packs, { rejects: composeRejects(withAdapterProblems(packed.rejects, problems)), padding: packed.padding });
  }
}
