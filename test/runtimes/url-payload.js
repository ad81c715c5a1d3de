// Sizes from URLs against a real HTTP server on 127.0.0.1 (test/runtimes/range-server.mjs), run
// by the matrix in every runtime that reaches loopback from its own process (Node, Bun, Deno,
// workerd, worker_threads). Returns, per URL, the size and bytes received, or the reject code.
export async function run(lib, { origin, names }) {
  const urls = [
    ...names.map((n) => `${origin}/range/${n}`),
    ...names.map((n) => `${origin}/full/${n}`),
    `${origin}/missing/coffee.png`,
    `${origin}/stall/coffee.png`,
  ];
  const sizes = await lib.imageSizesFromUrls(urls, { timeoutMs: 1500, concurrency: 4 });
  return sizes.map((s) => ('code' in s ? [s.code, s.message] : [s.width, s.height, s.bytesRead]));
}
