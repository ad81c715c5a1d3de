// Hostile HTTP servers on 127.0.0.1, shared by the vitest hostile-input suite
// (packages/mm-tokenize-batcher/test/hostile-*.test.ts) and the peak-RSS measurement
// (bench/hostile-rss.mjs). Every body is a JPEG whose start marker is followed by APP1 segments
// that never reach a frame header, so a header reader climbs the ladder to "the whole file".
//
//   /endless        200, no Content-Length, ignores Range, APP1 segments forever
//   /endless-range  206 for any Range, Content-Range total `*`, APP1 segments forever
//   /huge           200 with Content-Length: 1 GiB (or `hugeBytes`), ignores Range
//   /gzip           200, Content-Encoding: gzip, a small body inflating to 256 MiB (or `gzipInflated`)
//   /slow           200, the first 1,000 bytes (SOI, the start of an APP1 segment), then nothing, never ending
//   /redirect/N?to=URL   302 to URL after N hops (/redirect/0 sends to `to`)
//   /loop           302 to itself
//   /big-header     200 with a 64 KiB response header (undici refuses it: header overflow)
//   /status/N       status N
import { createServer } from 'node:http';
import { createGzip } from 'node:zlib';

/** One APP1 segment of 65,535 bytes of padding: FF E1, length FFFF, then zeros. */
const SEGMENT = (() => {
  const s = Buffer.alloc(2 + 0xffff);
  s[0] = 0xff;
  s[1] = 0xe1;
  s[2] = 0xff;
  s[3] = 0xff;
  return s;
})();
const SOI = Buffer.from([0xff, 0xd8]);
/** 16 segments (about 1 MiB) per write: few writes, bounded server memory. */
const BLOCK = Buffer.concat(Array.from({ length: 16 }, () => SEGMENT));

/** Writes the body's bytes `offset .. total` (Infinity: forever) to `res`, honouring backpressure; stops when the client goes. */
function pour(res, total, offset = 0) {
  let at = offset;
  let closed = false;
  res.on('close', () => (closed = true));
  const write = () => {
    while (!closed && at < total) {
      // The body is SOI, then segments end to end: byte p >= 2 is SEGMENT's byte (p - 2) % its length.
      const piece = at < 2 ? Buffer.concat([SOI.subarray(at), BLOCK]) : BLOCK.subarray((at - 2) % SEGMENT.length);
      const part = total - at < piece.length ? piece.subarray(0, total - at) : piece;
      at += part.length;
      if (!res.write(part)) return void res.once('drain', write);
    }
    if (!closed) res.end();
  };
  write();
}

/** The gzip of `inflated` bytes of SOI + segments, made once as a stream (never held inflated). */
async function gzipBomb(inflated) {
  const gzip = createGzip({ level: 9 });
  const out = [];
  gzip.on('data', (c) => out.push(c));
  const done = new Promise((resolve) => gzip.on('end', resolve));
  let sent = 0;
  while (sent < inflated) {
    const piece = sent === 0 ? Buffer.concat([SOI, BLOCK]) : BLOCK;
    const part = inflated - sent < piece.length ? piece.subarray(0, inflated - sent) : piece;
    sent += part.length;
    if (!gzip.write(part)) await new Promise((r) => gzip.once('drain', r));
  }
  gzip.end();
  await done;
  return Buffer.concat(out);
}

/**
 * Starts the servers. `stats.bytesSent` counts body bytes written (the gzip body as sent,
 * compressed); `stats.requests` the requests; `stats.headers` the last request's headers per path.
 */
export async function startHostileServer({ hugeBytes = 1 << 30, gzipInflated = 256 << 20 } = {}) {
  const gzipBody = await gzipBomb(gzipInflated);
  const stats = { requests: 0, bytesSent: 0, headers: {} };
  const server = createServer((req, res) => {
    stats.requests++;
    const url = new URL(req.url, 'http://x');
    stats.headers[url.pathname] = req.headers;
    const origWrite = res.write.bind(res);
    res.write = (chunk, ...rest) => {
      stats.bytesSent += chunk.length;
      return origWrite(chunk, ...rest);
    };
    const path = url.pathname;
    if (path === '/endless') {
      res.writeHead(200, { 'content-type': 'image/jpeg' });
      pour(res, Infinity);
    } else if (path === '/endless-range') {
      const start = Number(/bytes=(\d+)-/.exec(req.headers.range ?? '')?.[1] ?? 0);
      res.writeHead(206, { 'content-type': 'image/jpeg', 'content-range': `bytes ${start}-${Number.MAX_SAFE_INTEGER}/*` });
      pour(res, Infinity, start);
    } else if (path === '/slow') {
      res.writeHead(200, { 'content-type': 'image/jpeg' });
      res.write(Buffer.concat([SOI, SEGMENT]).subarray(0, 1000));
    } else if (path === '/huge') {
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': String(hugeBytes) });
      pour(res, hugeBytes);
    } else if (path === '/gzip') {
      res.writeHead(200, { 'content-type': 'image/jpeg', 'content-encoding': 'gzip', 'content-length': String(gzipBody.length) });
      res.end(gzipBody);
      stats.bytesSent += gzipBody.length;
    } else if (path.startsWith('/redirect/')) {
      const hops = Number(path.slice('/redirect/'.length));
      const to = url.searchParams.get('to') ?? '/status/404';
      const location = hops > 0 ? `/redirect/${hops - 1}?to=${encodeURIComponent(to)}` : to;
      res.writeHead(302, { location });
      res.end();
    } else if (path === '/loop') {
      res.writeHead(302, { location: '/loop' });
      res.end();
    } else if (path === '/big-header') {
      res.writeHead(200, { 'x-padding': 'a'.repeat(64 * 1024) });
      res.end();
    } else if (path.startsWith('/status/')) {
      res.writeHead(Number(path.slice('/status/'.length)));
      res.end();
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    stats,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}
