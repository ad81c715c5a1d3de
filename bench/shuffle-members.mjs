// How many samples change batch per epoch with `shuffleMembers` (batches of one resizeSize trade
// members), and that the plan's resize metrics do not move: `node bench/shuffle-members.mjs`.
// Three buffers of 900: camera photos of six sizes (Qwen2-VL preset), the seed benchmark's web-like
// sizes with the CLIP and Qwen2-VL presets. Prints one line per strategy.
import { createBatcher, evaluate, presetOptions, seedBenchmarkSamples, strategyNames } from 'mm-tokenize-batcher';

const cams = [[4032, 3024], [3024, 4032], [1920, 1080], [1080, 1920], [3000, 2000], [2000, 3000]];
const photos = Array.from({ length: 900 }, (_, i) => ({ image: { width: cams[(i * 7) % 6][0], height: cams[(i * 7) % 6][1] } }));
const web = seedBenchmarkSamples(900, 4);
for (const [label, buffer, extra] of [['camera photos, qwen2-vl', photos, presetOptions('qwen2-vl')], ['web sizes, clip-vit-l-14', web, presetOptions('clip-vit-l-14')], ['web sizes, qwen2-vl', web, presetOptions('qwen2-vl')]]) {
  for (const name of strategyNames) {
    const o = { ...extra, batchSize: 16, shuffle: true, shuffleSeed: 11 };
    const x = createBatcher(name, { ...o, shuffleMembers: false }).batch(buffer);
    const y = createBatcher(name, o).batch(buffer);
    const a = evaluate(x, { batchSize: 16 }), b = evaluate(y, { batchSize: 16 });
    let m = 0; x.forEach((bx, i) => { const s = new Set(bx.indices); m += y[i].indices.filter((j) => !s.has(j)).length; });
    const sizes = new Map(); for (const bt of x) sizes.set(bt.resizeSize.join('x'), (sizes.get(bt.resizeSize.join('x')) ?? 0) + 1);
    console.log(`${label} | ${name} | batches ${x.length}, sizes ${sizes.size} | moved ${m}/900 | r.p95 ${a.resizeWaste.p95.toFixed(4)} = ${b.resizeWaste.p95.toFixed(4)} | spread ${a.aspectSpread.toFixed(4)} -> ${b.aspectSpread.toFixed(4)}`);
  }
}
