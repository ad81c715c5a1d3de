// Model presets: the resolution rules of common vision encoders, as batcher options, with the
// normalisation each expects (plain data, for the imaging module or your own pipeline).
// Values and their sources are documented in docs/presets.md.
import { BatcherError, callWasm } from '../shared/errors.js';
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

/**
 * A preset with `mean` and `std` read, when first used, from the normalisation table in Rust (the
 * one imaging's `normalize` reads too): getters, so that importing needs no loaded module.
 */
function preset_(fields: Omit<Preset, 'mean' | 'std'>): Readonly<Preset> {
  const values = (key: 'mean' | 'std') => () => registry().normalize[fields.normalize]![key] as unknown as readonly [number, number, number];
  return Object.freeze(
    Object.defineProperties({ ...fields } as Preset, {
      mean: { get: values('mean'), enumerable: true },
      std: { get: values('std'), enumerable: true },
    }),
  );
}

const freeze = <T extends object>(o: T): Readonly<T> => Object.freeze(o);

/** Every preset by name. */
export const presets: Readonly<Record<PresetName, Preset>> = freeze({
  'clip-vit-l-14': preset_({
    name: 'clip-vit-l-14',
    description: 'OpenAI CLIP ViT-L/14 at 224: at most 224*224 pixels (16*16 = 256 patches of 14), any aspect',
    patchSize: 14,
    multipleOf: 14,
    minPixels: 224 * 224,
    maxPixels: 224 * 224,
    nativeSize: freeze([224, 224] as const),
    rescale: 1 / 255,
    normalize: 'clip',
    sources: ['https://huggingface.co/openai/clip-vit-large-patch14/blob/main/preprocessor_config.json'],
  }),
  'clip-vit-l-14-336': preset_({
    name: 'clip-vit-l-14-336',
    description: 'OpenAI CLIP ViT-L/14 at 336: at most 336*336 pixels (24*24 = 576 patches of 14), any aspect',
    patchSize: 14,
    multipleOf: 14,
    minPixels: 336 * 336,
    maxPixels: 336 * 336,
    nativeSize: freeze([336, 336] as const),
    rescale: 1 / 255,
    normalize: 'clip',
    sources: ['https://huggingface.co/openai/clip-vit-large-patch14-336/blob/main/preprocessor_config.json'],
  }),
  'siglip-so400m-14-384': preset_({
    name: 'siglip-so400m-14-384',
    description:
      'SigLIP so400m/14 at 384: the patch-14 convolution uses 378*378 of the 384*384 input (27*27 = 729 patches); at most 378*378 pixels, any aspect',
    patchSize: 14,
    multipleOf: 14,
    minPixels: 378 * 378,
    maxPixels: 378 * 378,
    nativeSize: freeze([384, 384] as const),
    rescale: 1 / 255,
    normalize: 'siglip',
    sources: [
      'https://huggingface.co/google/siglip-so400m-patch14-384/blob/main/preprocessor_config.json',
      'https://huggingface.co/google/siglip-so400m-patch14-384/blob/main/config.json',
    ],
  }),
  'qwen2-vl': preset_({
    name: 'qwen2-vl',
    description:
      "Qwen2-VL dynamic resolution: smart_resize with factor 28 (patch 14 x merge 2), min_pixels 56*56, max_pixels 28*28*1280",
    patchSize: 14,
    multipleOf: 28,
    minPixels: 56 * 56,
    maxPixels: 28 * 28 * 1280,
    sizing: 'smart-resize',
    rescale: 1 / 255,
    normalize: 'clip',
    sources: [
      'https://github.com/huggingface/transformers/blob/main/src/transformers/models/qwen2_vl/image_processing_qwen2_vl.py (smart_resize)',
      'https://github.com/QwenLM/Qwen2.5-VL/blob/main/qwen-vl-utils/src/qwen_vl_utils/vision_process.py',
      'https://huggingface.co/Qwen/Qwen2-VL-7B-Instruct (model card: min_pixels = 256*28*28, max_pixels = 1280*28*28 example)',
    ],
  }),
});

export const presetNames = Object.freeze(Object.keys(presets) as PresetName[]);

/** The preset named `name`, or an `INVALID_OPTION` error listing the known names. */
export function preset(name: string): Preset {
  const found = (presets as Record<string, Preset | undefined>)[name];
  if (typeof name !== 'string' || found === undefined || !Object.prototype.hasOwnProperty.call(presets, name)) {
    throw new BatcherError('INVALID_OPTION', `option \`preset\` must be one of ${presetNames.map((n) => `"${n}"`).join(', ')}, got ${JSON.stringify(name)}`, {
      option: 'preset',
    });
  }
  return found;
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
  return {
    patchSize: p.patchSize,
    multipleOf: p.multipleOf,
    ...(p.minPixels === undefined ? {} : { minPixels: p.minPixels }),
    ...(p.maxPixels === undefined ? {} : { maxPixels: p.maxPixels }),
    ...(p.sizing === undefined ? {} : { sizing: p.sizing }),
  };
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
 * built-in four. It reads foreign fields, so the checks are here (in TS), and maps them onto the
 * batcher's own options (which Rust then checks as for any options):
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
  const bad = (message: string, option?: string): never => {
    throw new BatcherError(option ? 'INVALID_OPTION' : 'INVALID_INPUT', `presetFromConfig: ${message}`, option ? { option } : {});
  };
  if (typeof config !== 'object' || config === null || Array.isArray(config)) bad('takes the parsed preprocessor_config.json object');
  if (typeof options !== 'object' || options === null) bad('option `options` must be an object', 'options');
  const positive = (value: unknown, what: string, option?: string): number => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) bad(`${what} must be a positive whole number, got ${JSON.stringify(value) ?? String(value)}`, option);
    return value as number;
  };
  const field = (key: string) => config[key];
  const size = field('size');
  const sizeObject = typeof size === 'object' && size !== null ? (size as Config) : undefined;

  const triple = (key: 'image_mean' | 'image_std', fallback: number): [number, number, number] => {
    if (field('do_normalize') === false) return [fallback, fallback, fallback];
    const value = field(key);
    if (typeof value === 'number' && Number.isFinite(value)) return [value, value, value];
    if (!Array.isArray(value) || value.length !== 3 || !value.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      return bad(`${key} must be 3 numbers (R, G, B) or one number, got ${JSON.stringify(value) ?? 'nothing'}`);
    }
    if (key === 'image_std' && value.some((v) => v <= 0)) bad(`image_std must be positive, got ${JSON.stringify(value)}`);
    return [value[0], value[1], value[2]];
  };
  const mean = triple('image_mean', 0);
  const std = triple('image_std', 1);
  const rescaleFactor = field('rescale_factor');
  const rescale = field('do_rescale') === false ? 1 : rescaleFactor === undefined ? 1 / 255 : typeof rescaleFactor === 'number' && rescaleFactor > 0 ? rescaleFactor : bad(`rescale_factor must be a positive number, got ${JSON.stringify(rescaleFactor)}`);

  const patchSize =
    options.patchSize !== undefined
      ? positive(options.patchSize, 'option `patchSize`', 'patchSize')
      : field('patch_size') !== undefined
        ? positive(field('patch_size'), 'patch_size')
        : bad('the config has no patch_size (SigLIP and CLIP keep it in config.json: vision_config.patch_size): pass { patchSize }', 'patchSize');
  const type = typeof field('image_processor_type') === 'string' ? (field('image_processor_type') as string) : undefined;
  const name = options.name ?? type ?? 'model';
  const common = { name, patchSize, rescale, normalize: Object.freeze({ mean, std }), mean, std, sources: Object.freeze(['preprocessor_config.json']) };

  const minPixelsField = field('min_pixels') ?? (field('max_pixels') !== undefined || field('merge_size') !== undefined ? sizeObject?.shortest_edge : undefined);
  const maxPixelsField = field('max_pixels') ?? (field('merge_size') !== undefined ? sizeObject?.longest_edge : undefined);
  if (field('merge_size') !== undefined || field('min_pixels') !== undefined || field('max_pixels') !== undefined) {
    // Qwen2-VL: smart_resize with factor patch_size * merge_size.
    const merge = field('merge_size') === undefined ? 1 : positive(field('merge_size'), 'merge_size');
    const factor = patchSize * merge;
    const minPixels = minPixelsField === undefined ? undefined : positive(minPixelsField, 'min_pixels');
    const maxPixels = maxPixelsField === undefined ? undefined : positive(maxPixelsField, 'max_pixels');
    if (minPixels !== undefined && maxPixels !== undefined && minPixels > maxPixels) bad(`min_pixels ${minPixels} is above max_pixels ${maxPixels}`);
    return Object.freeze({
      ...common,
      description: `${name}: smart_resize with factor ${factor} (patch ${patchSize} x merge ${merge})${minPixels ? `, min_pixels ${minPixels}` : ''}${maxPixels ? `, max_pixels ${maxPixels}` : ''}`,
      multipleOf: factor,
      ...(minPixels === undefined ? {} : { minPixels }),
      ...(maxPixels === undefined ? {} : { maxPixels }),
      sizing: 'smart-resize' as const,
    });
  }
  if (field('max_num_patches') !== undefined) {
    // NaFlex (SigLIP 2): any aspect, at most max_num_patches patches.
    const patches = positive(field('max_num_patches'), 'max_num_patches');
    return Object.freeze({
      ...common,
      description: `${name}: at most ${patches} patches of ${patchSize} (${patches * patchSize * patchSize} pixels), any aspect`,
      multipleOf: patchSize,
      maxPixels: patches * patchSize * patchSize,
    });
  }
  // Fixed resolution: the input the model was trained at.
  const crop = field('crop_size');
  const sides = (value: unknown, what: string): [number, number] | undefined => {
    if (value === undefined || value === null) return undefined;
    if (typeof value === 'number') return [positive(value, what), value];
    if (typeof value === 'object') {
      const v = value as Config;
      if (v.height !== undefined || v.width !== undefined) return [positive(v.height, `${what}.height`), positive(v.width, `${what}.width`)];
      if (v.shortest_edge !== undefined) {
        const side = positive(v.shortest_edge, `${what}.shortest_edge`);
        return [side, side];
      }
    }
    return bad(`${what} must be a number, { height, width } or { shortest_edge }, got ${JSON.stringify(value)}`);
  };
  const native = (field('do_center_crop') !== false ? sides(crop, 'crop_size') : undefined) ?? sides(size, 'size');
  if (native === undefined) bad('found none of min_pixels / max_pixels / merge_size (Qwen2-VL), max_num_patches (NaFlex), crop_size or size (fixed resolution)');
  const [h, w] = native!;
  const pixels = Math.floor(h / patchSize) * patchSize * (Math.floor(w / patchSize) * patchSize);
  if (pixels === 0) bad(`the input ${h} x ${w} is smaller than one patch of ${patchSize}`);
  return Object.freeze({
    ...common,
    description: `${name}: at most ${pixels} pixels (${pixels / (patchSize * patchSize)} patches of ${patchSize}), any aspect`,
    multipleOf: patchSize,
    minPixels: pixels,
    maxPixels: pixels,
    nativeSize: Object.freeze([h, w] as [number, number]),
  });
}
