// Model presets: the resolution rules of common vision encoders, as batcher options, with the
// normalisation each expects (plain data, for the imaging module or your own pipeline). The
// table and presetFromConfig's rules live in Rust (crates/core/src/presets.rs); this module
// freezes what it gives. Values and their sources are documented in docs/presets.md.
import { callWasm } from '../shared/errors.js';
import { registry, wasm } from './wasm.js';

export type PresetName = 'clip-vit-l-14' | 'clip-vit-l-14-336' | 'siglip-so400m-14-384' | 'qwen2-vl';

/** What every preset says of a model: its sizing rule and its normalisation values. */
export interface PresetFields {
  readonly description: string;
  /** Side of one ViT patch, in pixels. */
  readonly patchSize: number;
  /** Each side of `resizeSize` is a multiple of this (patch size, or patch x merge). */
  readonly multipleOf: number;
  readonly minPixels?: number;
  readonly maxPixels?: number;
  /** The sizing mode (`'smart-resize'` for Qwen2-VL's rounding rule). */
  readonly sizing?: 'smart-resize';
  /** The square input the model was trained at, `[height, width]`, where it has one. */
  readonly nativeSize?: readonly [number, number];
  /** Pixel values are multiplied by this before normalising. */
  readonly rescale: number;
  /** Per-channel (R, G, B) mean and standard deviation, after rescaling to 0..1. */
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
  /** Where the values come from. */
  readonly sources: readonly string[];
}

/** A built-in preset. */
export interface Preset extends PresetFields {
  readonly name: PresetName;
  /**
   * The `mm-tokenize-batcher/imaging` normalisation preset with these values:
   * `toTensor(batch, { normalize: preset.normalize, patchSize: preset.patchSize })`.
   */
  readonly normalize: 'clip' | 'siglip';
}

/** A preset as the planning module gives it (`crates/wasm`: `preset_object`). */
interface WirePreset {
  name: string;
  description: string;
  patchSize: number;
  multipleOf: number;
  minPixels?: number;
  maxPixels?: number;
  sizing?: 'smart-resize';
  nativeSize?: [number, number];
  rescale: number;
  normalize: string | { mean: [number, number, number]; std: [number, number, number] };
  mean: [number, number, number];
  std: [number, number, number];
  sources: string[];
}

/** A preset from Rust, frozen to the bottom (its arrays and its `normalize` values too). */
function frozenPreset<P extends Preset | ModelPreset>(wire: WirePreset): P {
  const { nativeSize, normalize, mean, std, sources } = wire;
  return Object.freeze({
    ...wire,
    ...(nativeSize === undefined ? {} : { nativeSize: Object.freeze(nativeSize) }),
    normalize: typeof normalize === 'string' ? normalize : Object.freeze({ mean: Object.freeze(normalize.mean), std: Object.freeze(normalize.std) }),
    mean: Object.freeze(mean),
    std: Object.freeze(std),
    sources: Object.freeze(sources),
  }) as unknown as P;
}

let builtins: Readonly<Record<PresetName, Preset>> | undefined;

/** The built-in presets, read from Rust once (crates/core/src/presets.rs, the one table). */
function builtinPresets(): Readonly<Record<PresetName, Preset>> {
  builtins ??= Object.freeze(Object.fromEntries((wasm().presets() as WirePreset[]).map((p) => [p.name, frozenPreset<Preset>(p)]))) as Record<PresetName, Preset>;
  return builtins;
}

/**
 * A frozen view of `read()` that reads it on first use, so that importing this module needs no
 * loaded wasm: `target` (an empty object or array of the same kind) is filled and frozen at the
 * first access of any kind, and every access then goes to it.
 */
function readOnFirstUse<T extends object>(target: T, read: () => T): T {
  let filled = false;
  const ready = (): T => {
    if (!filled) {
      Object.assign(target, read());
      Object.freeze(target);
      filled = true;
    }
    return target;
  };
  return new Proxy(target, {
    get: (_, key) => Reflect.get(ready(), key),
    has: (_, key) => Reflect.has(ready(), key),
    ownKeys: () => Reflect.ownKeys(ready()),
    getOwnPropertyDescriptor: (_, key) => Reflect.getOwnPropertyDescriptor(ready(), key),
    isExtensible: () => Reflect.isExtensible(ready()),
    preventExtensions: () => Reflect.preventExtensions(ready()),
    set: () => false,
    defineProperty: () => false,
    deleteProperty: () => false,
  });
}

/** Every preset by name. */
export const presets: Readonly<Record<PresetName, Preset>> = readOnFirstUse({} as Record<PresetName, Preset>, builtinPresets);

export const presetNames: readonly PresetName[] = readOnFirstUse([] as PresetName[], () => Object.keys(builtinPresets()) as PresetName[]);

/** The preset named `name`, or an `INVALID_OPTION` error listing the known names. */
export function preset(name: string): Preset {
  const all = builtinPresets();
  if (typeof name === 'string' && Object.prototype.hasOwnProperty.call(all, name)) return all[name as PresetName];
  // Rust composes the error (it throws for every name not in its table).
  const found = callWasm(() => wasm().preset(name) as WirePreset);
  return all[found.name as PresetName];
}

/**
 * A preset's sizing as batcher options, to spread into any batcher's options:
 * `new ClusteredBatcher({ ...presetOptions('qwen2-vl'), batchSize: 32 })`.
 */
export function presetOptions(name: PresetName | string | ModelPreset): {
  patchSize: number;
  multipleOf: number;
  minPixels?: number;
  maxPixels?: number;
  sizing?: 'smart-resize';
} {
  const p = typeof name === 'object' && name !== null ? name : preset(name);
  // The fields that are batcher options, as Rust lists them.
  const options: Record<string, unknown> = {};
  for (const key of registry().presetOptions) {
    const value = (p as unknown as Record<string, unknown>)[key];
    if (value !== undefined) options[key] = value;
  }
  return options as ReturnType<typeof presetOptions>;
}

export interface SmartResizeOptions {
  /** Default 28. */
  factor?: number;
  /** Default 56 * 56; `null` for none. */
  minPixels?: number | null;
  /** Default 28 * 28 * 1280; `null` for none. */
  maxPixels?: number | null;
}

/**
 * Qwen2-VL's `smart_resize` for one image, exactly as published (computed in Rust, the same code
 * the `'smart-resize'` sizing mode uses). Returns `[height, width]`.
 */
export function smartResize(height: number, width: number, options: SmartResizeOptions = {}): [number, number] {
  const wire: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options ?? {})) if (v !== undefined) wire[k] = v;
  const out = callWasm(() => wasm().smartResize(height, width, wire));
  return [out[0] as number, out[1] as number];
}

/**
 * A preset made by `presetFromConfig` from a model's `preprocessor_config.json`: the same sizing
 * fields as a built-in preset, with the normalisation as values (`normalize` is `{ mean, std }`,
 * which `toTensor` takes as it is).
 */
export interface ModelPreset extends PresetFields {
  readonly name: string;
  readonly normalize: { readonly mean: readonly [number, number, number]; readonly std: readonly [number, number, number] };
}

export interface PresetFromConfigOptions {
  /** A name for the preset. Default: the config's `image_processor_type`, or `'model'`. */
  name?: string;
  /**
   * The ViT patch size, for configs that do not hold it (SigLIP keeps it in `config.json`'s
   * `vision_config.patch_size`). Overrides the config's `patch_size`.
   */
  patchSize?: number;
}

type Config = Record<string, unknown>;

/**
 * A preset from a model's `preprocessor_config.json` (the parsed object), for models beyond the
 * built-in four. Read in Rust (crates/core/src/presets.rs), which checks the foreign fields and
 * maps them onto the batcher's own options (then checked as any options):
 *
 * - Qwen2-VL style (`min_pixels` / `max_pixels`, or `size.shortest_edge` / `size.longest_edge` as
 *   pixel counts, with `patch_size` and `merge_size`): `multipleOf = patch_size * merge_size`,
 *   `sizing: 'smart-resize'`.
 * - NaFlex style (`max_num_patches` and `patch_size`, SigLIP 2): any aspect, `multipleOf =
 *   patch_size`, `maxPixels = max_num_patches * patch_size^2`.
 * - Fixed resolution (CLIP, SigLIP, LLaVA: `crop_size` when `do_center_crop`, else `size` as
 *   `{ height, width }`, `{ shortest_edge }` or a number): the model's square side `S` gives
 *   `minPixels = maxPixels = (floor(S / patch) * patch)^2`, `multipleOf = patch`, the aspect free
 *   (as the built-in CLIP and SigLIP presets).
 *
 * `image_mean` / `image_std` give the normalisation (mean 0, std 1 when `do_normalize` is false),
 * `rescale_factor` the rescale (1 when `do_rescale` is false; default 1/255).
 */
export function presetFromConfig(config: Config, options: PresetFromConfigOptions = {}): ModelPreset {
  return frozenPreset<ModelPreset>(callWasm(() => wasm().presetFromConfig(jsonData(config), jsonData(options)) as WirePreset));
}

/**
 * A value as JSON would hold it, for Rust: object entries that are `undefined` (or functions)
 * are left out, as `JSON.stringify` leaves them out, and such array items are null.
 */
function jsonData(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((v) => (v === undefined || typeof v === 'function' || typeof v === 'symbol' ? null : jsonData(v)));
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    if (v !== undefined && typeof v !== 'function' && typeof v !== 'symbol') out[k] = jsonData(v);
  }
  return out;
}
