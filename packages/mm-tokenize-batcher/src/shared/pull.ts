// One way to read any source of items (an Iterable, an AsyncIterable or a web ReadableStream) one
// at a time and stop it: the stream, the imaging pool and `batchTensors` all read through it.

/** The next item, and stopping the source early (an iterator's `return()`, a stream's `cancel()`). */
export interface Pull<T> {
  next(): Promise<IteratorResult<T>>;
  stop(): Promise<void>;
}

/**
 * `source` as a `Pull`, or `undefined` when it is none of the three. A ReadableStream is read
 * through its reader even where it is also async iterable: `reader.cancel()` settles a pending
 * read, while its iterator's `return()` waits for that read (forever, if the stream stalls).
 */
export function pullFrom<T>(source: unknown): Pull<T> | undefined {
  const s = source as Partial<Iterable<T> & AsyncIterable<T> & ReadableStream<T>> | null | undefined;
  if (typeof s?.getReader === 'function') {
    const reader = (s as ReadableStream<T>).getReader();
    return {
      next: () => reader.read() as Promise<IteratorResult<T>>,
      stop: async () => {
        await reader.cancel();
        reader.releaseLock();
      },
    };
  }
  const make = (s?.[Symbol.asyncIterator] ?? s?.[Symbol.iterator]) as ((this: unknown) => AsyncIterator<T> | Iterator<T>) | undefined;
  if (typeof make !== 'function') return undefined;
  const iterator = make.call(s);
  return {
    next: async () => iterator.next(),
    stop: async () => {
      await iterator.return?.();
    },
  };
}
