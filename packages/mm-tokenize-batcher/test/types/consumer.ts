// A consumer's code, compiled with `tsc --strict --noEmit` against the built declarations
// (test/types.test.ts runs it). Each `expect<T>(value)` line fails to compile if the library's
// types drift from what users write; `// @ts-expect-error` lines must stay errors.
import {
  BalancedBatcher,
  ClusteredBatcher,
  SimpleBatcher,
  SortedBatcher,
  batchForRank,
  batchStream,
  createBatcher,
  imageSizesFromFiles,
  imageSizesFromUrls,
  type Batch,
  type Batches,
  type RankBatches,
  type StreamBatch,
  type UrlSize,
  type UrlReject,
} from 'mm-tokenize-batcher';
import { batchTensors, createImagingPool, toPatches, toTensor, type BatchTensor, type ImagingPool, type PatchTensor } from 'mm-tokenize-batcher/imaging';

/** Compiles only when `value` has exactly type `T` (both ways assignable). */
type Equal<A, B> = (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
function expect<T>() {
  return <V>(value: V & (Equal<V, T> extends true ? unknown : never)) => value;
}

// ── Samples declared as interfaces, no index signature ──
interface Photo {
  image: Uint8Array;
  caption: string;
  id: number;
}
interface Captioned {
  image: { width: number; height: number };
  text: string;
  tags: readonly string[];
}
interface Untexted {
  image: ImageBitmap;
}
declare const photos: Photo[];
declare const captioned: readonly Captioned[];
declare const untexted: Untexted[];

// ── The sample type is inferred from the buffer ──
const clustered = new ClusteredBatcher({ batchSize: 32, shuffle: true, shuffleSeed: 1 });
const batches = clustered.batch(photos);
expect<Batches<Photo>>()(batches);
const first = batches[0]!;
expect<Photo[]>()(first.samples);
expect<Uint8Array[]>()(first.images);
expect<number>()(first.samples[0]!.id);
expect<[height: number, width: number]>()(first.resizeSize);

const texts = new SimpleBatcher({ batchSize: 8 }).batch(captioned)[0]!.texts;
expect<(string | undefined)[]>()(texts);
expect<undefined[]>()(new BalancedBatcher({ batchSize: 4 }).batch(untexted)[0]!.texts);
expect<Batches<Photo>>()(clustered.batch(photos, { epoch: 3 }));
expect<Batches<Photo>>()(createBatcher('sorted', { batchSize: 4 }).batch(photos));

// A sort key sees the samples it was declared for.
const byId = new SortedBatcher<Photo>({ batchSize: 4, key: (s) => s.id });
expect<Batches<Photo>>()(byId.batch(photos));
// @ts-expect-error a Captioned buffer is not Photos
byId.batch(captioned);
// @ts-expect-error a sample needs an image
new SimpleBatcher({ batchSize: 4 }).batch([{ text: 'no image' }]);
// @ts-expect-error text must be a string
new SimpleBatcher({ batchSize: 4 }).batch([{ image: { width: 1, height: 1 }, text: 5 }]);

// ── Ranks and streams keep the sample type ──
const mine = batchForRank(clustered, photos, { worldSize: 4, rank: 1, shuffle: true, epoch: 2 });
expect<RankBatches<Photo>>()(mine);
expect<number>()(mine[0]!.step);

async function* source(): AsyncGenerator<Photo> {
  yield* photos;
}
async function streaming() {
  const stream = batchStream(source(), { batcher: new ClusteredBatcher({ batchSize: 32 }), shuffle: true, epoch: 1, shuffleBuffer: 4096 });
  for await (const batch of stream) {
    expect<StreamBatch<Photo>>()(batch);
    expect<Photo[]>()(batch.samples);
  }
  const byName = batchStream(source(), { strategy: 'balanced', batchSize: 16, minFill: 0.9 });
  for await (const batch of byName) expect<Photo[]>()(batch.samples);
  // batchTensors over a stream: an async generator.
  for await (const tensor of batchTensors(batchStream(source(), { strategy: 'sorted', batchSize: 8 }), { dtype: 'uint8' })) {
    expect<BatchTensor>()(tensor);
  }
}

// ── BatchTensor is a union discriminated by dtype ──
function useTensor(batch: Batch<Photo>) {
  const t = toTensor(batch, { dtype: 'float32', normalize: 'clip' });
  if (t.dtype === 'float32') {
    expect<Float32Array>()(t.data);
    expect<'NCHW'>()(t.layout);
  } else {
    expect<Uint8Array>()(t.data);
    expect<'NHWC'>()(t.layout);
  }
  for (const tensor of batchTensors([batch])) expect<BatchTensor>()(tensor);
  // `patches: true` gives Qwen2-VL's patches, typed as such; toPatches does it afterwards.
  const p = toTensor(batch, { normalize: 'clip', patches: true, randomFlip: true, epoch: 2 });
  expect<PatchTensor>()(p);
  expect<'patches'>()(p.layout);
  expect<BigInt64Array>()(p.imageGridThw);
  expect<number>()(p.shape[1]);
  if (t.dtype === 'float32') expect<PatchTensor>()(toPatches(t, { mergeSize: 2 }));
  for (const tensor of batchTensors([batch], { patches: { patchSize: 16 } })) expect<PatchTensor>()(tensor);
}

// ── Sizes from URLs and files become samples ──
async function fromUrls(urls: string[]) {
  const sizes = await imageSizesFromUrls(urls, { concurrency: 8, timeoutMs: 5000 });
  const samples = sizes.flatMap((s) => ('code' in s ? [] : [{ image: s, url: s.url }]));
  expect<Batches<{ image: UrlSize; url: string }>>()(new SortedBatcher({ batchSize: 8 }).batch(samples));
  const failed: readonly UrlReject[] = sizes.rejects;
  const files = await imageSizesFromFiles(['a.jpg'], { concurrency: 4 });
  return [failed, files.bytesRead] as const;
}

// ── The imaging pool: the same tensors, as promises and an async iterable ──
async function pooled(source: () => AsyncIterable<{ image: Uint8Array }>) {
  const pool: ImagingPool = createImagingPool({ workers: 2 });
  for await (const t of pool.map(batchStream(source(), { strategy: 'sorted', batchSize: 8 }), { normalize: 'clip' }, { prefetch: 4 })) {
    if (t.dtype === 'float32') expect<Float32Array>()(t.data);
  }
  const one = await pool.toTensor({ images: [new Uint8Array(8)], resizeSize: [224, 224] }, { dtype: 'uint8' });
  expect<BatchTensor>()(one);
  await pool.close();
}

export { streaming, useTensor, fromUrls, pooled };
