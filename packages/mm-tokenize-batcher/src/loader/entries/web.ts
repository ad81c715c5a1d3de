// `mm-tokenize-batcher/loader` for browsers and Web Workers: URLs, Files and Blobs, bytes; both
// wasm modules are fetched next to this file (or set up before with `init` / `initImaging`) on the
// first `createLoader`; the imaging pool runs module Web Workers.
import { init } from '../../planning/entries/web.js';
import { createImagingPool, initImaging } from '../../imaging/entries/web.js';
import { createLoaderWith, type Loader, type LoaderHost, type LoaderOptions } from '../loader.js';

const host: LoaderHost = {
  ready: async () => {
    await Promise.all([init(), initImaging()]);
  },
  createPool: createImagingPool,
  async readText(location, fetchImpl) {
    const response = await fetchImpl(location, { headers: {}, signal: new AbortController().signal });
    if (!response.ok) throw new Error(`HTTP status ${response.status}`);
    return response.text();
  },
};

/**
 * A data loader: reads the sources' headers, plans the batches (one plan per epoch; ranks and
 * shuffle in Rust), then yields one step at a time, its images fetched and decoded in an imaging
 * pool while you train on the step before. `for await (const batch of loader)` runs one epoch.
 * Here sources are URLs, Files / Blobs or bytes (file paths need the Node entry).
 */
export function createLoader(options: LoaderOptions): Promise<Loader> {
  return createLoaderWith(host, options);
}

export * from '../api.js';
