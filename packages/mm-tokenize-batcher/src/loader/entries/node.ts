// `mm-tokenize-batcher/loader` for Node.js, Bun and Deno: both wasm modules are instantiated at
// import (by the planning and imaging Node entries); files are read with node:fs, the imaging
// pool runs worker_threads.
import { readFile } from 'node:fs/promises';
// Named, not bare: the planning entry instantiates its wasm at import, and a bare import of a
// module the package marks free of side effects is dropped by bundlers.
import { init as initPlanning } from '../../planning/entries/node.js';
import { createImagingPool } from '../../imaging/entries/node.js';
import { imageSizesFromFiles, readWholeFile } from '../../headers/files.js';
import { createLoaderWith, type Loader, type LoaderHost, type LoaderOptions } from '../loader.js';
import { readManifestWith, type Manifest } from '../sources.js';
import type { FetchLike } from '../../headers/urls.js';

const host: LoaderHost = {
  ready: initPlanning,
  createPool: createImagingPool,
  async readText(location, fetchImpl) {
    if (/^https?:/i.test(location)) {
      const response = await fetchImpl(location, { headers: {}, signal: new AbortController().signal });
      if (!response.ok) throw new Error(`HTTP status ${response.status}`);
      return response.text();
    }
    return readFile(location.startsWith('file:') ? new URL(location) : location, 'utf8');
  },
  files: {
    sizes: (paths, options) => imageSizesFromFiles(paths, options),
    read: (path, maxBytes, option) => readWholeFile(path.startsWith('file:') ? new URL(path) : path, maxBytes, option),
  },
};

/**
 * A data loader: reads the sources' headers, plans the batches (one plan per epoch; ranks and
 * shuffle in Rust), then yields one step at a time, its images read and decoded in an imaging
 * pool while you train on the step before. `for await (const batch of loader)` runs one epoch.
 */
export function createLoader(options: LoaderOptions): Promise<Loader> {
  return createLoaderWith(host, options);
}

/**
 * A `.jsonl` or `.csv` manifest (a path or URL), read as `createLoader` reads it: each line's image
 * (`path`, `file`, `file_name`, `image` or `url`; relative paths against the manifest's folder),
 * caption (`text` or `caption`) and other fields, and the lines that name no image.
 */
export function readManifest(location: string | URL, options: { fetch?: FetchLike } = {}): Promise<Manifest> {
  const fetchImpl: FetchLike = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  return readManifestWith(String(location), (at) => host.readText(at, fetchImpl));
}

export type { Manifest } from '../sources.js';
export * from '../api.js';
