// createLoader from the packed tarball (issue 26), run by the matrix in Node, worker_threads, Bun,
// Deno and Chromium against a real HTTP server on 127.0.0.1: URLs with captions, the same images
// as Blobs (File), a 404 where the runtime allows one (Chromium's page reports a 404 as a console
// error, so it is left out there); one epoch, shuffled, bad images replaced; then a run stopped
// mid-epoch and resumed from its state, which must give the same steps. Returns, per step, its
// indices, captions, shape and a checksum of the tensor: every runtime must return Node's.
export async function run(_lib, { origin, names, missing }) {
  const { createLoader } = await import('mm-tokenize-batcher/loader');
  const urls = names.map((n, i) => ({ url: `${origin}/range/${n}`, text: `caption ${i}`, id: i }));
  const blobs = await Promise.all(
    names.map(async (n, i) => {
      const bytes = new Uint8Array(await (await fetch(`${origin}/range/${n}`)).arrayBuffer());
      return { bytes: new File([bytes], n), text: `blob caption ${i}` };
    }),
  );
  const sources = [...urls, ...blobs, ...(missing ? [{ url: `${origin}/missing/x.jpg`, text: 'gone' }] : [])];
  const options = { sources, batchSize: 3, strategy: 'sorted', planning: { multipleOf: 14 }, workers: 2, onBadImage: 'replace', shuffle: true, shuffleSeed: 3 };
  const digest = (b) => {
    let sum = 0;
    for (let i = 0; i < b.tensor.data.length; i += 7) sum = (sum * 31 + Math.round(b.tensor.data[i] * 1e4)) % 1_000_000_007;
    return [b.epoch, b.step, b.indices, b.texts, b.tensor.shape, sum];
  };
  const loader = await createLoader(options);
  const steps = [];
  for await (const b of loader) steps.push(digest(b));
  const summary = await loader.close();
  // Stopped after two steps, resumed by a new loader from the saved state.
  const first = await createLoader(options);
  const again = [];
  for await (const b of first) {
    again.push(digest(b));
    if (again.length === 2) break;
  }
  const state = JSON.parse(JSON.stringify(first.state()));
  await first.close();
  const resumed = await createLoader({ ...options, resume: state });
  for await (const b of resumed) again.push(digest(b));
  await resumed.close();
  return {
    steps,
    length: loader.length,
    images: summary.images,
    rejects: summary.rejectList.map((r) => [r.stage, r.code, r.source.replace(origin, 'ORIGIN')]),
    resumedSame: JSON.stringify(again) === JSON.stringify(steps),
  };
}
