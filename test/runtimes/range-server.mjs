// A local HTTP server for reading image sizes from URLs (imageSizesFromUrls): used by the vitest
// tests, the runtime matrix (workerd, Node, ...) and bench/url-sizes.mjs. Serves in-memory files
// on 127.0.0.1 under four behaviours:
//   /range/NAME      honours `Range: bytes=A-B` (206 + Content-Range; 416 past the end)
//   /full/NAME       ignores Range: 200 with the whole file, written in 16 KiB chunks
//   /missing/NAME    404
//   /stall/NAME      accepts the request and never answers (for timeouts)
// Every response allows any origin (browsers) and exposes Content-Range. `stats` counts requests,
// body bytes written (what the client was sent before it cancelled) and the most requests in
// flight at once.
import { createServer } from 'node:http';

/** `files`: Map name -> Uint8Array. Resolves with `{ origin, stats, reset(), close() }`. */
export function startRangeServer(files) {
  const stats = { requests: 0, bytesSent: 0, inFlight: 0, maxInFlight: 0 };
  const stalled = new Set();
  const server = createServer((req, res) => {
    const cors = {
      'access-control-allow-origin': '*',
      'access-control-allow-headers': 'range',
      'access-control-expose-headers': 'content-range, content-length',
    };
    if (req.method === 'OPTIONS') return res.writeHead(204, cors).end();
    stats.requests++;
    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    let counted = false;
    const done = () => {
      if (!counted) stats.inFlight--;
      counted = true;
    };
    res.on('close', done);
    const [, mode, ...rest] = new URL(req.url, 'http://x').pathname.split('/');
    const file = files.get(decodeURIComponent(rest.join('/')));
    if (mode === 'stall') {
      stalled.add(res);
      return;
    }
    if (mode === 'missing' || !file) return res.writeHead(404, { ...cors, 'content-type': 'text/plain' }).end('not found');
    const type = { 'content-type': 'application/octet-stream', ...cors };
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    if (mode === 'range' && range) {
      const start = Number(range[1]);
      const end = Math.min(range[2] === '' ? file.length - 1 : Number(range[2]), file.length - 1);
      if (start >= file.length) return res.writeHead(416, { ...type, 'content-range': `bytes */${file.length}` }).end();
      const body = file.subarray(start, end + 1);
      stats.bytesSent += body.length;
      return res.writeHead(206, { ...type, 'content-range': `bytes ${start}-${end}/${file.length}`, 'content-length': body.length }).end(body);
    }
    // Range ignored: the whole file, chunk by chunk, stopping when the client goes away.
    res.writeHead(200, { ...type, 'content-length': file.length });
    let at = 0;
    const write = () => {
      while (at < file.length && !res.destroyed) {
        const chunk = file.subarray(at, at + 16384);
        at += chunk.length;
        stats.bytesSent += chunk.length;
        if (!res.write(chunk)) return res.once('drain', write);
      }
      if (!res.destroyed) res.end();
    };
    write();
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        origin: `http://127.0.0.1:${server.address().port}`,
        stats,
        reset() {
          Object.assign(stats, { requests: 0, bytesSent: 0, maxInFlight: stats.inFlight });
        },
        close() {
          for (const res of stalled) res.destroy();
          server.closeAllConnections?.();
          return new Promise((ok) => server.close(() => ok()));
        },
      }),
    ),
  );
}

/**
 * A JPEG with `padding` bytes of comment segments (COM, FF FE) inserted after its SOI, so its
 * frame header (the size) lies that far in: a stand-in for a large EXIF block.
 */
export function jpegWithPadding(jpeg, padding) {
  const parts = [jpeg.subarray(0, 2)];
  let left = padding;
  while (left > 0) {
    const n = Math.min(left, 65533);
    const segment = new Uint8Array(n + 4);
    segment.set([0xff, 0xfe, (n + 2) >> 8, (n + 2) & 0xff]);
    segment.fill(0x20, 4);
    parts.push(segment);
    left -= n;
  }
  parts.push(jpeg.subarray(2));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A PNG of `width x height` whose header is real and whose body is `size` bytes of filler (never decoded). */
export function bigPng(width, height, size) {
  const out = new Uint8Array(size);
  out.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
  const view = new DataView(out.buffer);
  view.setUint32(16, width);
  view.setUint32(20, height);
  out.set([8, 2, 0, 0, 0], 24);
  view.setUint32(29, crc32(out.subarray(12, 29)));
  return out;
}

function crc32(bytes) {
  let c = ~0;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}
