// The browser entry of the planning module: the presets (a table in Rust) import without a loaded
// module and are read at their first use, after `init()`.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { BatcherError, init, preset, presetNames, presetOptions, presets } from '../dist/web.js';

it('imports the presets before init() and reads them from Rust at first use', async () => {
  let error: unknown;
  try {
    void presetNames.length;
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(BatcherError);
  expect(error).toMatchObject({ code: 'NOT_INITIALIZED' });
  await init(readFileSync(new URL('../dist/mm_batcher_bg.wasm', import.meta.url)));
  expect([...presetNames]).toEqual(['clip-vit-l-14', 'clip-vit-l-14-336', 'siglip-so400m-14-384', 'qwen2-vl']);
  expect(Object.keys(presets)).toEqual([...presetNames]);
  expect(Object.isFrozen(presets) && Object.isFrozen(presetNames) && Object.isFrozen(presets['qwen2-vl'].sources)).toBe(true);
  expect(preset('qwen2-vl')).toBe(presets['qwen2-vl']);
  expect(presetOptions('qwen2-vl')).toEqual({ patchSize: 14, multipleOf: 28, minPixels: 3136, maxPixels: 1003520, sizing: 'smart-resize' });
  expect(() => preset('qwen')).toThrow(expect.objectContaining({ code: 'INVALID_OPTION', option: 'preset' }));
  expect(Reflect.set(presets, 'mine', presets['qwen2-vl'])).toBe(false);
});
