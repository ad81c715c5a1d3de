// The data loader: sources in (files, URLs, bytes, Blobs, a manifest with captions), training
// batches out, step by step. It composes the library's parts and adds no rule of its own:
// headers through the one header path (imageSizesFromFiles / imageSizesFromUrls / the ladder over
// bytes and Blobs), the plan through a batcher (ranks and shuffled epochs in Rust, one plan per
// epoch), tensors through the imaging pool. What it adds: reading each step's bytes, prefetching
// steps, the bad-image policy, progress, and a resumable position (epoch, step).
import { BatcherError, describeReject, type ErrorCode, type ImageFormatName } from '../shared/errors.js';
import { callWasm } from '../shared/errors.js';
import { wasm } from '../planning/wasm.js';
import { createBatcher, type AnyBatcher } from '../planning/strategies.js';
import type { StrategyName, WasmPlan } from '../planning/batchers.js';
import { preset as builtinPreset, presetOptions, type ModelPreset, type Preset, type PresetName } from '../planning/presets.js';
import { imageSizes } from '../planning/image-sizes.js';
import { imageSizesFromUrls, wholeUrlReader, type AllowRedirect, type FetchLike } from '../headers/urls.js';
import { readSizesInPasses, readSourceOptions, SourceFailure, type SourceResult } from '../headers/sources.js';
import type { FileSizes } from '../headers/files.js';
import type { ImagingPool, ImagingPoolOptions } from '../imaging/pool.js';
import { toPatches, type BatchTensor, type PatchesOptions, type PatchTensor, type TensorOptions } from '../imaging/tensor.js';
import { sourceEntries, type LoaderSources, type SourceEntry } from './sources.js';

export type { LoaderRecord, LoaderSources } from './sources.js';

/** What to do with an image that cannot be read or decoded at its step. */
export type BadImagePolicy = 'skip' | 'replace' | 'throw';

export interface LoaderOptions {
  /** The images: paths, URLs, Files, records `{ path | url | bytes, text?, ...meta }`, or a `.jsonl` / `.csv` manifest's path or URL. */
  sources: LoaderSources;
  /** A model preset (`'clip-vit-l-14'`, `'qwen2-vl'`, ... or `presetFromConfig(...)`): its sizing for the plan, its normalisation and patch size for the tensors. */
  preset?: PresetName | ModelPreset;
  /** Tensor options (`toTensor`'s), over the preset's. */
  tensor?: TensorOptions;
  /** The planning strategy. Default `'balanced'`. */
  strategy?: StrategyName;
  /** Most images per batch (per rank). */
  batchSize: number;
  /** The strategy's own options and the common planning options (`multipleOf`, `maxPixels`, ...), over the preset's. */
  planning?: Record<string, unknown>;
  /** Number of data-parallel ranks. Default 1. */
  worldSize?: number;
  /** This rank, `0 .. worldSize - 1`. Default 0. */
  rank?: number;
  /** Imaging workers, when the loader makes its own pool. Default: the number of logical cores. */
  workers?: number;
  /** An imaging pool of yours to use (the loader then does not close it). */
  pool?: ImagingPool;
  /** Steps read and decoded ahead of the consumer. Default 2. */
  prefetch?: number;
  /** Permute the order of steps, a different permutation per epoch. Default false. */
  shuffle?: boolean;
  /** Seed of the permutation. Default 0. Needs `shuffle: true`. */
  shuffleSeed?: number;
  /** The first epoch. Default 0. Each complete pass over the loader moves to the next. */
  epoch?: number;
  /** Leave out steps in which a rank's batch is short, and the leftover batches of rank dealing (PyTorch's `drop_last`). Default false. */
  dropLast?: boolean;
  /**
   * An image that cannot be read or decoded at its step: `'skip'` leaves it out (the batch is
   * shorter), `'replace'` takes another image of the same `resizeSize` in its place, or repeats
   * one of the batch's own when no other decodes (every rank keeps its batch size), `'throw'` makes
   * the step throw. Each is reported. Default `'skip'`.
   */
  onBadImage?: BadImagePolicy;
  /** Resume at a position `loader.state()` gave: the same batches an uninterrupted run gives from there. */
  resume?: LoaderState;
  /** Called after the headers are read and after every step. */
  onProgress?: (progress: LoaderProgress) => void;
  /** Your own `fetch` for URLs (headers, images and a manifest). */
  fetch?: FetchLike;
  /** Files or requests in flight while reading headers (`imageSizesFromFiles` / `imageSizesFromUrls`' option). */
  concurrency?: number;
  /** A URL request not done by then fails with `TIMEOUT` (`imageSizesFromUrls`' option). */
  timeoutMs?: number;
  /** Redirects followed per request, headers and images alike (`imageSizesFromUrls`' option). */
  maxRedirects?: number;
  /** Which redirect targets are followed, headers and images alike (`imageSizesFromUrls`' option). */
  allowRedirect?: AllowRedirect;
  /**
   * The most bytes read for one whole image at its step, file or URL. A longer image (or a body
   * that never ends) is a `READ_FAILED` reject with reason `MAX_BYTES`, handled by `onBadImage`.
   * Default 268,435,456 (256 MiB). Header reads keep their own cap (8 MiB).
   */
  maxImageBytes?: number;
  /**
   * Qwen2-VL's patch form besides the NCHW tensor: each step's `patches` is `toPatches(tensor)`
   * (`pixel_values` `[patches, 1176]` and `imageGridThw`, as transformers.js's Qwen2VLImageProcessor
   * gives them). `true` for Qwen2-VL's patch, merge and temporal sizes, or your own.
   */
  patches?: boolean | PatchesOptions;
}

/** One image the loader could not use, named by its file or URL. */
export interface LoaderReject {
  /** The file path, URL, File name or manifest line. */
  source: string;
  /** Position in the loader's sources (absent for a manifest line that names no image). */
  index?: number;
  /** `'manifest'`: the line names no image; `'header'`: its size could not be read; `'read'`: its bytes could not be read at its step; `'decode'`: it could not be decoded. */
  stage: 'manifest' | 'header' | 'read' | 'decode';
  code: ErrorCode;
  format?: ImageFormatName;
  detail: string;
  /** Why a read failed, where known (`MAX_BYTES`, `HTTP_STATUS`, `REDIRECT_REFUSED`, a network cause...), as header rejects give it. */
  reason?: string;
  /** `source: FORMAT: detail`. */
  message: string;
  /** `'not planned'` (manifest and header rejects), `'skipped'`, `'replaced'`, `'left out'` (no replacement found), `'thrown'`. */
  action: 'not planned' | 'skipped' | 'replaced' | 'left out' | 'thrown';
  /** The image taken in its place (`'replaced'`). */
  replacement?: string;
  epoch?: number;
  step?: number;
}

/** A position in the loader's run: the next step to deliver. Plain data (JSON). */
export interface LoaderState {
  epoch: number;
  step: number;
  /** Images planned and steps per epoch when the state was taken: a resume with other sources or options is refused. */
  images: number;
  steps: number;
  /**
   * A hash of what the plans are made from (each planned source's name and size, the strategy
   * and its options, ranks, shuffle, seed, `dropLast`): a resume whose sources or options would
   * plan other batches is refused, even with as many images and steps. Absent in states of
   * earlier versions (then only `images` and `steps` are checked).
   */
  plan?: string;
}

export interface LoaderProgress {
  epoch: number;
  /** Steps delivered in this epoch. */
  step: number;
  /** Steps per epoch. */
  steps: number;
  /** Header reads (one per source) and image reads at steps. */
  filesRead: number;
  /** Bytes read, headers and images. */
  bytesRead: number;
  /** Images delivered in tensors. */
  images: number;
  /** Images delivered per second since the first step was asked for. */
  imagesPerSecond: number;
  /** Rejects so far (every stage). */
  rejects: number;
}

/** What a run did: `loader.summary()` or the value of `await loader.close()`. */
export interface LoaderSummary extends LoaderProgress {
  seconds: number;
  /** Every reject, in the order met. */
  rejectList: LoaderReject[];
  /** Rejects by code. */
  byCode: Partial<Record<ErrorCode, number>>;
}

/** One step of one rank. */
export interface LoaderBatch {
  epoch: number;
  step: number;
  rank: number;
  /** The batch tensor (`toTensor`'s): `data`, `shape`, `indices` (positions in the sources). */
  tensor: BatchTensor;
  /** With the `patches` option: `tensor` as Qwen2-VL's `pixel_values` `[patches, 1176]` and `imageGridThw`. */
  patches?: PatchTensor;
  /** `[height, width]` of every image in the batch. */
  resizeSize: [number, number];
  /** Per image in the tensor, in order: its caption, its file / URL / name, its other fields, its position in the sources. */
  texts: (string | undefined)[];
  sources: string[];
  meta: Record<string, unknown>[];
  indices: number[];
  /** This step's rejects (also in the summary). */
  rejects: LoaderReject[];
}

export interface Loader extends AsyncIterable<LoaderBatch> {
  /** Steps per epoch. */
  readonly length: number;
  /** Images planned (sources whose header was read). */
  readonly images: number;
  /** The epoch the next iteration runs. */
  readonly epoch: number;
  /** Runs epoch `epoch` from its first step on the next iteration. */
  setEpoch(epoch: number): void;
  /** The next step to deliver: give it as `resume` to a new loader to carry on from here. */
  state(): LoaderState;
  progress(): LoaderProgress;
  summary(): LoaderSummary;
  /** Stops the pool (unless it is yours); resolves with the summary. */
  close(): Promise<LoaderSummary>;
}

/** What each runtime's entry gives the loader. */
export interface LoaderHost {
  /** Loads the wasm modules where that is asynchronous (browsers). */
  ready(): Promise<void>;
  createPool(options: ImagingPoolOptions): ImagingPool;
  /** Reads a manifest (files in Node, `fetch` for URLs). */
  readText(location: string, fetchImpl: FetchLike): Promise<string>;
  /** Node, Bun, Deno: sizes and bytes of files. Absent in browsers (paths are refused there). */
  files?: {
    sizes(paths: string[], options: { concurrency?: number }): Promise<FileSizes>;
    /** All of a file's bytes, at most `maxBytes` (`option` names the cap in the failure). */
    read(path: string, maxBytes: number, option: string): Promise<Uint8Array>;
  };
}

interface Planned {
  entry: SourceEntry;
  /** Position in the sources. */
  index: number;
  image: { width: number; height: number };
}

interface EpochPlan {
  epoch: number;
  plan: WasmPlan;
  /** Steps kept (all, or those without a short batch with `dropLast`). */
  steps: number[];
}

/** Names `createLoader` keeps in JS (the rest go to Rust's loader reader). */
const JS_OPTIONS = new Set([
  'sources', 'preset', 'tensor', 'batchSize', 'planning', 'worldSize', 'rank', 'workers', 'pool', 'shuffle', 'shuffleSeed', 'epoch',
  'resume', 'onProgress', 'fetch', 'concurrency', 'timeoutMs', 'maxRedirects', 'allowRedirect', 'patches',
]);

/** `prefetch`, `onBadImage`, `dropLast`, `strategy` as Rust resolved them. */
interface ResolvedOptions {
  prefetch: number;
  onBadImage: BadImagePolicy;
  dropLast: boolean;
  replaceTries: number;
  strategy: StrategyName;
  maxImageBytes: number;
}

const now = () => (typeof performance !== 'undefined' ? performance.now() : Date.now());

export async function createLoaderWith(host: LoaderHost, options: LoaderOptions): Promise<Loader> {
  if (typeof options !== 'object' || options === null) throw new BatcherError('INVALID_OPTION', 'createLoader takes an options object with `sources` and `batchSize`', { option: 'options' });
  await host.ready();
  const wire: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(options)) if (v !== undefined && !JS_OPTIONS.has(k)) wire[k] = v;
  const resolved = callWasm(() => wasm().loaderOptions(wire) as ResolvedOptions);
  const patchOptions: PatchesOptions | undefined = options.patches === undefined || options.patches === false ? undefined : options.patches === true ? {} : options.patches;
  const model: Preset | ModelPreset | undefined = options.preset === undefined ? undefined : typeof options.preset === 'string' ? builtinPreset(options.preset) : options.preset;
  const tensorOptions: TensorOptions = {
    ...(model ? { normalize: model.normalize, patchSize: model.patchSize } : {}),
    ...(options.tensor ?? {}),
  };
  if ((tensorOptions as { skipInvalid?: unknown }).skipInvalid !== undefined) {
    throw new BatcherError('INVALID_OPTION', 'option `tensor.skipInvalid` is the loader\'s to set: use `onBadImage`', { option: 'skipInvalid' });
  }
  const worldSize = options.worldSize ?? 1;
  const rank = options.rank ?? 0;
  const shuffle = options.shuffle === true;
  const batcher = createBatcher(resolved.strategy, {
    ...(model ? presetOptions(typeof options.preset === 'string' ? options.preset : (model as ModelPreset)) : {}),
    ...(options.planning ?? {}),
    batchSize: options.batchSize,
    ...(options.shuffle !== undefined ? { shuffle: options.shuffle } : {}),
    ...(options.shuffleSeed !== undefined ? { shuffleSeed: options.shuffleSeed } : {}),
  } as never) as AnyBatcher;
  const fetchImpl: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  // A whole image at its step is read under the header readers' request rules, at most
  // `maxImageBytes`.
  const requests = { fetch: fetchImpl, timeoutMs: options.timeoutMs, maxRedirects: options.maxRedirects, allowRedirect: options.allowRedirect };
  const readUrl = wholeUrlReader(requests, resolved.maxImageBytes, 'maxImageBytes');

  // Sources and their headers (one header path whatever holds the bytes).
  const { entries, problems } = await sourceEntries(options.sources, (location) => host.readText(location, fetchImpl));
  const rejects: LoaderReject[] = problems.map((p) => ({ source: p.name, stage: 'manifest', code: p.code, detail: p.detail, message: `${p.name}: ${p.detail}`, action: 'not planned' }));
  const counters = { filesRead: 0, bytesRead: 0, images: 0, startedAt: 0 };
  const sizes = await readHeaders(host, entries, options, fetchImpl);
  const planned: Planned[] = [];
  sizes.forEach((size, index) => {
    const entry = entries[index]!;
    counters.filesRead += entry.kind === 'path' || entry.kind === 'url' ? 1 : 0;
    counters.bytesRead += size.bytesRead;
    if ('code' in size) {
      const fields = { code: size.code, detail: size.detail, ...(size.format ? { format: size.format } : {}) };
      rejects.push({ source: entry.name, index, stage: 'header', ...fields, message: `${entry.name}: ${describeReject(fields)}`, action: 'not planned' });
    } else planned.push({ entry, index, image: { width: size.width, height: size.height } });
  });
  const samples = planned.map((p) => ({ image: p.image }));

  let current: EpochPlan | undefined;
  const planEpoch = (epoch: number): EpochPlan => {
    if (current?.epoch === epoch) return current;
    const plan = batcher.plan(samples, {
      worldSize,
      rank,
      leftover: resolved.dropLast ? 'drop' : 'split',
      ...(shuffle ? { shuffle: true, epoch } : {}),
    });
    const count = plan.offsets.length > 1 ? (plan.offsets.length - 1) / plan.worldSize : 0;
    const steps: number[] = [];
    for (let s = 0; s < count; s++) {
      let short = false;
      for (let b = s * worldSize; b < (s + 1) * worldSize; b++) short ||= plan.offsets[b + 1]! - plan.offsets[b]! < batcher.batchSize;
      if (!(resolved.dropLast && short)) steps.push(s);
    }
    current = { epoch, plan, steps };
    return current;
  };

  let epoch = options.resume?.epoch ?? options.epoch ?? 0;
  let step = options.resume?.step ?? 0;
  const length = planEpoch(epoch).steps.length;
  const fingerprint = planFingerprint(planned, [resolved.strategy, batcher.options, worldSize, rank, shuffle, resolved.dropLast]);
  if (options.resume !== undefined) {
    const r = options.resume;
    const fits = typeof r === 'object' && r !== null && r.images === planned.length && r.steps === length && Number.isInteger(r.step) && r.step >= 0 && r.step <= length;
    if (!fits) {
      throw new BatcherError('INVALID_OPTION', `option \`resume\`: the state (${JSON.stringify(r)}) is not a position of this loader (${planned.length} images, ${length} steps per epoch)`, { option: 'resume' });
    }
    if (r.plan !== undefined && r.plan !== fingerprint) {
      throw new BatcherError('INVALID_OPTION', `option \`resume\`: the state was taken from a loader of other sources or options (plan ${JSON.stringify(r.plan)}; this loader's is ${JSON.stringify(fingerprint)}): its steps would not be this loader's`, { option: 'resume' });
    }
  }
  // Images known to fail decoding: a cache only (a resumed run without it gives the same batches).
  const knownBad = new Map<number, { code: ErrorCode; format?: ImageFormatName; detail: string }>();
  const pool = options.pool ?? host.createPool(options.workers === undefined ? {} : { workers: options.workers });

  const progress = (): LoaderProgress => {
    const seconds = counters.startedAt ? (now() - counters.startedAt) / 1000 : 0;
    return {
      epoch,
      step,
      steps: length,
      filesRead: counters.filesRead,
      bytesRead: counters.bytesRead,
      images: counters.images,
      imagesPerSecond: seconds > 0 ? counters.images / seconds : 0,
      rejects: rejects.length,
    };
  };
  const report = () => options.onProgress?.(progress());
  report();

  /** Bytes of planned image `k` (a position in `planned`), or why not. */
  const readImage = async (k: number): Promise<Uint8Array | SourceFailure> => {
    const { entry } = planned[k]!;
    try {
      let bytes: Uint8Array;
      if (entry.kind === 'bytes') return entry.location as Uint8Array;
      if (entry.kind === 'blob') {
        const blob = entry.location as Blob;
        if (blob.size > resolved.maxImageBytes) throw new SourceFailure('READ_FAILED', `${blob.size} bytes is more than ${resolved.maxImageBytes} bytes (option maxImageBytes): refused`, 'MAX_BYTES');
        bytes = new Uint8Array(await blob.arrayBuffer());
      }
      else if (entry.kind === 'path') bytes = await host.files!.read(entry.location as string, resolved.maxImageBytes, 'maxImageBytes');
      else bytes = await readUrl(entry.location as string);
      counters.filesRead += 1;
      counters.bytesRead += bytes.byteLength;
      return bytes;
    } catch (error) {
      return error instanceof SourceFailure ? error : new SourceFailure('READ_FAILED', String((error as Error)?.message ?? error));
    }
  };

  const reject = (k: number, stage: 'read' | 'decode', fields: { code: ErrorCode; format?: ImageFormatName; detail: string; reason?: string }, at: { epoch: number; step: number }): LoaderReject => {
    const { entry, index } = planned[k]!;
    return { source: entry.name, index, stage, ...fields, message: `${entry.name}: ${describeReject(fields)}`, action: 'skipped', epoch: at.epoch, step: at.step };
  };

  /** Decodes images `ks` (positions in `planned`) at `size`; the tensor and the rejects by position. */
  const decode = async (ks: number[], size: [number, number], at: { epoch: number; step: number }) => {
    const bytes = await Promise.all(ks.map((k) => (knownBad.has(k) ? undefined : readImage(k))));
    const bad = new Map<number, LoaderReject>();
    const images: Uint8Array[] = [];
    const kept: number[] = [];
    ks.forEach((k, i) => {
      const b = bytes[i];
      const known = knownBad.get(k);
      if (known) bad.set(k, reject(k, 'decode', known, at));
      else if (b instanceof SourceFailure) bad.set(k, reject(k, 'read', { code: b.code, detail: b.message, ...(b.reason ? { reason: b.reason } : {}) }, at));
      else {
        images.push(b as Uint8Array);
        kept.push(k);
      }
    });
    // The step's images split across the workers, so one step uses every worker (a step ahead
    // is then enough to keep them busy while you train), then put back together in order.
    const parts = Math.max(1, Math.min(pool.size, images.length));
    const tensors = await Promise.all(
      Array.from({ length: parts }, (_, p) => {
        const from = Math.floor((p * images.length) / parts);
        const to = Math.floor(((p + 1) * images.length) / parts);
        const ks = kept.slice(from, to);
        return pool.toTensor({ images: images.slice(from, to), resizeSize: size, indices: ks, sources: ks.map((k) => planned[k]!.entry.name) }, { ...tensorOptions, skipInvalid: true });
      }),
    );
    const tensor = concatenate(tensors);
    for (const r of tensor.rejects) {
      const fields = { code: r.code, detail: r.detail, ...(r.format ? { format: r.format } : {}) };
      knownBad.set(r.index, fields);
      bad.set(r.index, reject(r.index, 'decode', fields, at));
    }
    return { tensor, bad };
  };

  /** Step `s` (a position in the epoch's kept steps) of this rank. */
  const makeStep = async (epochPlan: EpochPlan, s: number): Promise<LoaderBatch> => {
    const { plan, epoch: e } = epochPlan;
    const planStep = epochPlan.steps[s]!;
    const b = planStep * worldSize + rank;
    const ks = Array.from(plan.order.subarray(plan.offsets[b], plan.offsets[b + 1]));
    const size: [number, number] = [plan.heights[b]!, plan.widths[b]!];
    const at = { epoch: e, step: s };
    const { tensor, bad } = await decode(ks, size, at);
    const stepRejects = [...bad.values()];
    let final = tensor;
    let order = tensor.indices;
    if (bad.size > 0 && resolved.onBadImage === 'throw') {
      const first = stepRejects[0]!;
      first.action = 'thrown';
      rejects.push(first);
      throw new BatcherError(first.code, `epoch ${e} step ${s}: ${first.message}`, { detail: first.detail, ...(first.format ? { format: first.format } : {}) });
    }
    if (bad.size > 0 && resolved.onBadImage === 'replace') {
      const taken = new Set(ks);
      const blocks = new Map<number, { tensor: BatchTensor; at: number }>();
      tensor.indices.forEach((k, i) => blocks.set(k, { tensor, at: i }));
      order = [];
      for (const [slot, k] of ks.entries()) {
        const r = bad.get(k);
        if (!r) {
          order.push(k);
          continue;
        }
        r.action = 'left out';
        const candidates = callWasm(() => wasm().replacementCandidates(plan.offsets, plan.order, plan.heights, plan.widths, b, Uint32Array.from(taken), resolved.replaceTries) as Uint32Array);
        for (const candidate of candidates) {
          const one = await decode([candidate], size, at);
          taken.add(candidate);
          if (one.tensor.indices.length === 1) {
            r.action = 'replaced';
            r.replacement = planned[candidate]!.entry.name;
            blocks.set(candidate, { tensor: one.tensor, at: 0 });
            order.push(candidate);
            break;
          }
          // A bad candidate is reported too (it was read for this step).
          for (const c of one.bad.values()) stepRejects.push({ ...c, action: 'skipped' });
        }
        // No other image of this shape decodes: repeat one of the batch's own (as ranks' `pad` does).
        const own = tensor.indices;
        if (r.action === 'left out' && own.length > 0) {
          const repeat = own[slot % own.length]!;
          r.action = 'replaced';
          r.replacement = planned[repeat]!.entry.name;
          order.push(repeat);
        }
      }
      final = assemble(tensor, order, blocks);
    }
    rejects.push(...stepRejects);
    return {
      epoch: e,
      step: s,
      rank,
      tensor: final,
      ...(patchOptions ? { patches: toPatches(final, { ...(tensorOptions.patchSize === undefined ? {} : { patchSize: tensorOptions.patchSize }), ...patchOptions }) } : {}),
      resizeSize: size,
      texts: order.map((k) => planned[k]!.entry.text),
      sources: order.map((k) => planned[k]!.entry.name),
      meta: order.map((k) => planned[k]!.entry.meta),
      indices: order.map((k) => planned[k]!.index),
      rejects: stepRejects,
    };
  };

  /** Past an epoch's last step (a loop left at its last batch) is the next epoch's start. */
  const settle = () => {
    if (step >= planEpoch(epoch).steps.length) {
      epoch += 1;
      step = 0;
    }
  };

  async function* iterate(): AsyncGenerator<LoaderBatch, void, undefined> {
    settle();
    const epochPlan = planEpoch(epoch);
    if (!counters.startedAt) counters.startedAt = now();
    const inFlight = new Map<number, Promise<LoaderBatch>>();
    const start = (s: number) => {
      if (s >= epochPlan.steps.length || inFlight.has(s)) return;
      const p = makeStep(epochPlan, s);
      p.catch(() => {}); // handled when the consumer reaches it
      inFlight.set(s, p);
    };
    try {
      while (step < epochPlan.steps.length) {
        for (let s = step; s < step + resolved.prefetch; s++) start(s);
        const batch = await inFlight.get(step)!;
        inFlight.delete(step);
        step += 1;
        counters.images += batch.tensor.indices.length;
        report();
        yield batch;
      }
      epoch += 1;
      step = 0;
    } finally {
      // Steps made ahead and not taken are dropped; `state()` still points at the first of them.
      for (const p of inFlight.values()) p.catch(() => {});
    }
  }

  const summary = (): LoaderSummary => {
    const byCode: Partial<Record<ErrorCode, number>> = {};
    for (const r of rejects) byCode[r.code] = (byCode[r.code] ?? 0) + 1;
    return { ...progress(), seconds: counters.startedAt ? (now() - counters.startedAt) / 1000 : 0, rejectList: [...rejects], byCode };
  };

  return {
    length,
    images: planned.length,
    get epoch() {
      settle();
      return epoch;
    },
    setEpoch(next: number) {
      if (!Number.isInteger(next) || next < 0) throw new BatcherError('INVALID_OPTION', `setEpoch takes a whole number >= 0, got ${next}`, { option: 'epoch' });
      epoch = next;
      step = 0;
    },
    state: () => {
      settle();
      return { epoch, step, images: planned.length, steps: length, plan: fingerprint };
    },
    progress,
    summary,
    async close() {
      if (options.pool === undefined) await pool.close();
      return summary();
    },
    [Symbol.asyncIterator]: iterate,
  };
}

/**
 * A hash (two 32-bit FNV-1a lanes, hex) of what the loader's plans are made from: each planned
 * source's name and size, in order, and `settings` (as JSON). Names and sizes are hashed as they
 * are read, so a million sources make no large string.
 */
function planFingerprint(planned: readonly Planned[], settings: unknown): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ 0x5bd1e995;
  const text = (t: string) => {
    for (let i = 0; i < t.length; i++) {
      const c = t.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x01000193) ^ (b >>> 15);
    }
    a = Math.imul(a ^ 0x10000, 0x01000193); // ends each piece (above every char code)
    b = Math.imul(b ^ 0x10000, 0x01000193) ^ (b >>> 15);
  };
  for (const p of planned) text(`${p.entry.name}\u0000${p.image.width}x${p.image.height}`);
  text(JSON.stringify(settings));
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}


/** A tensor of the images `order` (positions in `planned`), each image's block taken from where it was made. */
function assemble(base: BatchTensor, order: number[], blocks: Map<number, { tensor: BatchTensor; at: number }>): BatchTensor {
  const [, c, h, w] = base.shape;
  const per = c * h * w;
  const data = base.dtype === 'float32' ? new Float32Array(order.length * per) : new Uint8Array(order.length * per);
  const contentBoxes: BatchTensor['contentBoxes'] = [];
  order.forEach((k, i) => {
    const { tensor, at } = blocks.get(k)!;
    data.set(tensor.data.subarray(at * per, (at + 1) * per), i * per);
    contentBoxes.push(tensor.contentBoxes[at]!);
  });
  return { ...base, shape: [order.length, c, h, w], data, indices: [...order], contentBoxes, rejects: [] } as BatchTensor;
}

/** Tensors of the same size and options, one after another (the parts of one step). */
function concatenate(parts: BatchTensor[]): BatchTensor {
  if (parts.length === 1) return parts[0]!;
  const first = parts[0]!;
  const length = parts.reduce((n, t) => n + t.data.length, 0);
  const data = first.dtype === 'float32' ? new Float32Array(length) : new Uint8Array(length);
  let at = 0;
  for (const t of parts) {
    data.set(t.data, at);
    at += t.data.length;
  }
  const [, a, b, c] = first.shape;
  return {
    ...first,
    shape: [parts.reduce((n, t) => n + t.shape[0], 0), a, b, c],
    data,
    indices: parts.flatMap((t) => t.indices),
    contentBoxes: parts.flatMap((t) => t.contentBoxes),
    rejects: parts.flatMap((t) => t.rejects),
  } as BatchTensor;
}

/** One header result per entry (sizes in place, or the reject fields), with the bytes read. */
type HeaderOutcome = SourceResult & { format?: ImageFormatName };

async function readHeaders(host: LoaderHost, entries: SourceEntry[], options: LoaderOptions, fetchImpl: FetchLike): Promise<HeaderOutcome[]> {
  const out: HeaderOutcome[] = new Array(entries.length);
  const group = (kind: SourceEntry['kind']) => entries.map((e, i) => [e, i] as const).filter(([e]) => e.kind === kind);
  const paths = group('path');
  const urls = group('url');
  const bytes = group('bytes');
  const blobs = group('blob');
  const concurrency = options.concurrency === undefined ? {} : { concurrency: options.concurrency };
  if (paths.length > 0) {
    if (!host.files) {
      throw new BatcherError('INVALID_INPUT', `file paths need the Node entry (Node, Bun, Deno); here give URLs, Files or bytes (${paths[0]![0].name})`);
    }
    const sizes = await host.files.sizes(paths.map(([e]) => e.location as string), concurrency);
    sizes.forEach((s, j) => (out[paths[j]![1]] = s as HeaderOutcome));
  }
  if (urls.length > 0) {
    const requests = { timeoutMs: options.timeoutMs, maxRedirects: options.maxRedirects, allowRedirect: options.allowRedirect };
    const sizes = await imageSizesFromUrls(urls.map(([e]) => e.location as string), { ...concurrency, ...requests, fetch: fetchImpl });
    sizes.forEach((s, j) => (out[urls[j]![1]] = s as HeaderOutcome));
  }
  if (bytes.length > 0) {
    imageSizes(bytes.map(([e]) => e.location)).forEach((s, j) => (out[bytes[j]![1]] = { ...s, bytesRead: 0 } as HeaderOutcome));
  }
  if (blobs.length > 0) {
    const read = async (k: number, limit: number, have: Uint8Array | undefined) => {
      const blob = blobs[k]![0].location as Blob;
      const start = have?.byteLength ?? 0;
      const more = new Uint8Array(await blob.slice(start, Math.min(limit, blob.size)).arrayBuffer());
      const all = new Uint8Array(start + more.byteLength);
      if (have) all.set(have);
      all.set(more, start);
      return { bytes: all, length: blob.size, transferred: more.byteLength };
    };
    const results = await readSizesInPasses(blobs.length, read, 8, readSourceOptions('files', {}).maxBytes);
    results.forEach((s, j) => (out[blobs[j]![1]] = s as HeaderOutcome));
  }
  return out;
}

