// Model presets: the resolution rules of common vision encoders, as batcher options, with the
// normalisation each expects (plain data, for the imaging module or your own pipeline).
// Values and their sources are documented in the README ("Model presets").
import { BatcherError, callWasm } from '../shared/errors.js';
import { registry, wasm } from './wasm.js';

export type PresetName = 'clip-vit-l-14' | 'clip-vit-l-14-336' | 'siglip-so400m-14-384' | 'qwen2-vl';

export interface Preset {
  readonly name: PresetName;
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
  /**
   * The `mm-tokenize-batcher/imaging` normalisation preset with these values:
   * `toTensor(batch, { normalize: preset.normalize, patchSize: preset.patchSize })`.
   */
  readonly normalize: 'clip' | 'siglip';
  /** Per-channel (R, G, B) mean and standard deviation, after rescaling to 0..1. */
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
  /** Where the values come from. */
  readonly sources: readonly string[];
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
export function presetOptions(name: PresetName | string): {
  patchSize: number;
  multipleOf: number;
  minPixels?: number;
  maxPixels?: number;
  sizing?: 'smart-resize';
} {
  const p = preset(name);
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
