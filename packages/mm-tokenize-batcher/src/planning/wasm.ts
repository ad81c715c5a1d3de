// The one place that holds the instantiated planning module. Entries (entries/*.ts) differ only
// in how they obtain the wasm bytes; everything else reaches the exports through `wasm()`.
import initAsync, { initSync as initFromModule, type InitInput } from '../../wasm/mm_batcher.js';
import * as bindings from '../../wasm/mm_batcher.js';
import type { OptionDefault } from '../shared/defaults.js';
import { BatcherError } from '../shared/errors.js';

let ready = false;

export type WasmSource = BufferSource | WebAssembly.Module;

/** Initialises from bytes or a compiled module, synchronously (custom hosts, workerd, Node). */
export function initSync(source: WasmSource): void {
  if (ready) return;
  initFromModule({ module: source });
  ready = true;
}

/** Where `init()` may load the module from: a URL, a `Response`, bytes or a compiled module. */
export type WasmInput = InitInput | Promise<InitInput>;

/** Initialises from a URL, `Response`, bytes or a compiled module; compiles while streaming where the host can. */
export async function initFrom(source: WasmInput): Promise<void> {
  if (ready) return;
  await initAsync({ module_or_path: source });
  ready = true;
}

export function wasm(): typeof bindings {
  if (!ready) {
    throw new BatcherError(
      'NOT_INITIALIZED',
      'mm-tokenize-batcher: the WebAssembly module is not initialised; call `await init()` once before planning',
    );
  }
  return bindings;
}

/** What the Rust registry lists: strategies with their own options, and the shared tables. */
export interface Registry {
  strategies: { name: string; options: string[]; sizing: string }[];
  commonOptions: string[];
  streamOptions: string[];
  /** The fields of a model preset that are batcher options (`presetOptions` picks them). */
  presetOptions: string[];
  errorCodes: string[];
  normalize: Record<string, { mean: number[]; std: number[] }>;
  headerPrefixBytes: number;
  /** Every format recognised by signature, and whether its size is read. */
  formats: { name: string; sizes: boolean }[];
  defaults: OptionDefault[];
}

let cached: Registry | undefined;

/** The Rust registry, read once. */
export function registry(): Registry {
  cached ??= wasm().registry() as Registry;
  return cached;
}

/** A strategy as the Rust registry lists it: its name, its own options, its default `sizing`. */
export interface RegisteredStrategy {
  name: string;
  options: string[];
  sizing: string;
}

/** Every strategy the planner knows, from the Rust registry (crates/core/src/strategies/mod.rs). */
export function registeredStrategies(): RegisteredStrategy[] {
  return registry().strategies.map((s) => ({ ...s, options: [...s.options] }));
}

/** Every error code Rust reports (the TS `ERROR_CODES` adds only `JS_ONLY_ERROR_CODES`). */
export function rustErrorCodes(): string[] {
  return [...registry().errorCodes];
}

/** Every format the header reader recognises, from the Rust signature table (crates/formats/src/format.rs). */
export function registeredFormats(): { name: string; sizes: boolean }[] {
  return registry().formats.map((f) => ({ ...f }));
}

/**
 * Every default of planning, streaming, ranks, header reading, `smartResize` and the limits, from
 * the Rust table (crates/core/src/defaults.rs), the one place they are set. `toTensor`'s are in
 * `tensorDefaults().defaults` (mm-tokenize-batcher/imaging).
 */
export function optionDefaults(): OptionDefault[] {
  return registry().defaults.map((d) => ({ ...d }));
}
