// Holds the imaging module (codecs + SIMD resizer), a second .wasm loaded only by the
// `mm-tokenize-batcher/imaging` entry, so planning-only users never download it.
import type { OptionDefault } from '../shared/defaults.js';
import initAsync, { initSync as initFromModule, type InitInput, type InitOutput } from '../../wasm/mm_imaging.js';
import * as bindings from '../../wasm/mm_imaging.js';
import { BatcherError } from '../shared/errors.js';

let instance: InitOutput | undefined;

/** Initialises the imaging module from bytes or a compiled module, synchronously. */
export function initImagingSync(source: BufferSource | WebAssembly.Module): void {
  if (instance) return;
  instance = initFromModule({ module: source });
}

/** Where `initImaging()` may load the module from: a URL, a `Response`, bytes or a compiled module. */
export type ImagingInput = InitInput | Promise<InitInput>;

/** Initialises the imaging module from a URL, `Response`, bytes or a compiled module. */
export async function initImagingFrom(source: ImagingInput): Promise<void> {
  if (instance) return;
  instance = await initAsync({ module_or_path: source });
}

/**
 * Wasm memory never shrinks: after a call that left the imaging module's memory above this many
 * bytes (a very large image or batch), the next call starts from a fresh instance of the same
 * compiled module, and the old memory is garbage-collected. The module keeps nothing between
 * calls, so results do not change; a fresh instance costs well under a millisecond.
 */
export const IMAGING_MEMORY_LIMIT = 256 * 1024 * 1024;

/** Instances made because memory passed `IMAGING_MEMORY_LIMIT` (diagnostics and tests). */
let freshInstances = 0;

/** The imaging exports, ready for one call (on a fresh instance if the last call grew memory past the limit). */
export function imaging(): typeof bindings {
  if (!instance) {
    throw new BatcherError(
      'NOT_INITIALIZED',
      'mm-tokenize-batcher/imaging: the imaging WebAssembly module is not initialised; call `await initImaging()` once first',
    );
  }
  if (instance.memory.buffer.byteLength > IMAGING_MEMORY_LIMIT) {
    instance = (bindings.__mmFreshInstance() as InitOutput | undefined) ?? instance;
    freshInstances++;
  }
  return bindings;
}

/** The imaging module's linear memory (diagnostics: it grows during a call; see `IMAGING_MEMORY_LIMIT`). */
export function imagingMemory(): WebAssembly.Memory {
  imaging();
  return (instance as InitOutput).memory;
}

/** How many times the imaging module was replaced by a fresh instance to give memory back. */
export function imagingFreshInstances(): number {
  return freshInstances;
}

/** `toTensor`'s defaults and named normalisations, as the imaging module reads them. */
export interface TensorDefaults {
  /** Images above this many pixels are refused before decoding (decompression-bomb guard). */
  maxInputPixels: number;
  /** Largest tensor (or batch of decoded pixels) one call allocates. */
  maxBatchBytes: number;
  /** Most workers an imaging pool may have (`MAX_POOL_WORKERS`). */
  maxPoolWorkers: number;
  /** Every option name `toTensor` takes. */
  options: string[];
  /** Per-channel (R, G, B) mean and std of each `normalize` preset, on pixels scaled to [0, 1]. */
  normalize: Record<'clip' | 'siglip' | 'imagenet' | 'none', { mean: number[]; std: number[] }>;
  /** Every default of `toTensor`, as Rust sets it (the same shape as `optionDefaults()`). */
  defaults: OptionDefault[];
}

let defaults: TensorDefaults | undefined;

/** `toTensor`'s defaults and normalisation presets (from Rust, the one place they are written). */
export function tensorDefaults(): TensorDefaults {
  defaults ??= imaging().tensorDefaults() as TensorDefaults;
  return defaults;
}
