// Hostile input (issue 25): redirects (count, loops, link-local and private targets, the
// allowRedirect hook), credentials never echoed, and every network cause kept in the reject
// (connection refused, DNS, TLS, header overflow, timeout, HTTP status, scheme), against real
// servers on 127.0.0.1.
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { createServer as createNetServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BatcherError, defaultAllowRedirect, imageSizesFromUrls, type UrlReject, type UrlSize } from 'mm-tokenize-batcher';
// @ts-expect-error plain JS module shared with bench/hostile-rss.mjs
import { startHostileServer } from '../../../test/runtimes/hostile-servers.mjs';
// @ts-expect-error plain JS module shared with the runtime matrix and the bench
import { startRangeServer } from '../../../test/runtimes/range-server.mjs';
import { photo } from './helpers.js';

type Server = { origin: string; port: number; stats: { requests: number }; close(): Promise<void> };
let hostile: Server;
let images: Server;
let tls: HttpsServer;
let tlsOrigin: string;
let closedPort: number;
let imagesPort: string;

beforeAll(async () => {
  hostile = await startHostileServer({ gzipInflated: 1 << 20 });
  images = await startRangeServer(new Map([['coffee.png', new Uint8Array(photo('coffee.png'))]]));
  imagesPort = new URL(images.origin).port;
  const tlsDir = new URL('./fixtures/tls/', import.meta.url);
  tls = createHttpsServer({ key: readFileSync(new URL('key.pem', tlsDir)), cert: readFileSync(new URL('cert.pem', tlsDir)) }, (_req, res) => res.end());
  await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
  tlsOrigin = `https://127.0.0.1:${(tls.address() as { port: number }).port}`;
  // A port nothing listens on: bound once, then closed.
  const probe = createNetServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  closedPort = (probe.address() as { port: number }).port;
  await new Promise((resolve) => probe.close(resolve));
});
afterAll(async () => {
  await hostile.close();
  await images.close();
  tls.closeAllConnections();
  await new Promise((resolve) => tls.close(resolve));
});

const one = async (url: string, options = {}) => (await imageSizesFromUrls([url], options))[0]!;
const reject = async (url: string, options = {}) => {
  const entry = await one(url, options);
  expect('code' in entry).toBe(true);
  return entry as UrlReject;
};
const to = (hops: number, target: string) => `${hostile.origin}/redirect/${hops}?to=${encodeURIComponent(target)}`;

describe('a redirect policy', () => {
  it('follows redirects up to maxRedirects (default 5) to the image', async () => {
    const entry = await one(to(4, `${images.origin}/range/coffee.png`));
    expect(entry).toMatchObject({ width: 150, height: 100 });
    expect((entry as UrlSize).bytesRead).toBeGreaterThan(0);
  });

  it('one redirect more than maxRedirects is a REDIRECT_LIMIT reject naming the next target', async () => {
    const r = await reject(to(5, `${images.origin}/range/coffee.png`));
    expect(r).toMatchObject({ code: 'READ_FAILED', reason: 'REDIRECT_LIMIT' });
    expect(r.message).toContain('more than 5 redirects');
    expect(await reject(to(0, `${images.origin}/range/coffee.png`), { maxRedirects: 0 })).toMatchObject({ reason: 'REDIRECT_LIMIT' });
    expect(await one(to(7, `${images.origin}/range/coffee.png`), { maxRedirects: 8 })).toMatchObject({ width: 150 });
  });

  it('a redirect loop is named as one', async () => {
    expect(await reject(`${hostile.origin}/loop`)).toMatchObject({ code: 'READ_FAILED', reason: 'REDIRECT_LOOP' });
  });

  it('refuses link-local targets (cloud metadata) before any request to them', async () => {
    const r = await reject(to(0, 'http://169.254.169.254/latest/meta-data/'));
    expect(r).toMatchObject({ code: 'READ_FAILED', reason: 'REDIRECT_REFUSED' });
    expect(r.message).toContain('link-local');
    expect(await reject(to(0, 'http://[fe80::1]/x'))).toMatchObject({ reason: 'REDIRECT_REFUSED' });
  });

  it('refuses file:, ftp: and other schemes as targets, and as URLs', async () => {
    expect(await reject(to(0, 'file:///etc/passwd'))).toMatchObject({ reason: 'REDIRECT_REFUSED' });
    expect(await reject('file:///etc/passwd')).toMatchObject({ code: 'READ_FAILED', reason: 'SCHEME' });
    expect(await reject('ftp://127.0.0.1/x.png')).toMatchObject({ code: 'READ_FAILED', reason: 'SCHEME' });
  });

  it('the default policy: a public host may not send you to a private, loopback or link-local one', () => {
    const from = new URL('https://cdn.example.com/a.png');
    expect(defaultAllowRedirect(new URL('https://other.example.org/a.png'), from)).toBe(true);
    for (const target of ['http://10.0.0.5/', 'http://192.168.1.1/', 'http://127.0.0.1:8080/', 'http://[::1]/', 'http://localhost/', 'http://172.20.0.1/']) {
      expect(defaultAllowRedirect(new URL(target), from)).toMatch(/private|loopback/);
    }
    // From a private host (your own network) to another private one: followed.
    expect(defaultAllowRedirect(new URL('http://10.0.0.6/b.png'), new URL('http://10.0.0.5/a.png'))).toBe(true);
    expect(defaultAllowRedirect(new URL('http://169.254.169.254/'), new URL('http://10.0.0.5/a.png'))).toMatch(/link-local/);
  });

  it('allowRedirect decides instead: false, a reason, or a throw refuses; the hook sees both URLs', async () => {
    const seen: string[] = [];
    const allowRedirect = (target: URL, from: URL) => {
      seen.push(`${from.pathname} -> ${target.pathname}`);
      return target.port === imagesPort || 'only the image server';
    };
    expect(await one(to(0, `${images.origin}/range/coffee.png`), { allowRedirect })).toMatchObject({ width: 150 });
    expect(seen).toEqual(['/redirect/0 -> /range/coffee.png']);
    // Two hops: the first stays on the hostile server's port, which this hook refuses.
    const r = await reject(to(1, `${images.origin}/range/coffee.png`), { allowRedirect });
    expect(r).toMatchObject({ code: 'READ_FAILED', reason: 'REDIRECT_REFUSED' });
    expect(r.message).toContain('only the image server');
    const thrown = await reject(to(0, `${images.origin}/range/coffee.png`), {
      allowRedirect: () => {
        throw new Error('policy service down');
      },
    });
    expect(thrown).toMatchObject({ reason: 'REDIRECT_REFUSED' });
    expect(thrown.message).toContain('policy service down');
  });
});

describe('credentials are never echoed', () => {
  it('a URL with a password is refused without showing it', async () => {
    const r = await reject(`http://user:s3cret-pw@127.0.0.1:${hostile.port}/status/200`);
    expect(r).toMatchObject({ code: 'READ_FAILED', reason: 'CREDENTIALS' });
    expect(r.message).not.toContain('s3cret-pw');
    expect(r.detail).not.toContain('s3cret-pw');
  });

  it('a redirect to a URL with credentials is refused without showing them', async () => {
    const r = await reject(to(0, `http://admin:hunter2@127.0.0.1:${imagesPort}/range/coffee.png`));
    expect(r).toMatchObject({ reason: 'REDIRECT_REFUSED' });
    expect(r.message).not.toContain('hunter2');
  });
});

describe('network causes are kept', () => {
  it('connection refused', async () => {
    const r = await reject(`http://127.0.0.1:${closedPort}/x.png`);
    expect(r).toMatchObject({ code: 'READ_FAILED', reason: 'ECONNREFUSED' });
    expect(r.message).toContain('connection refused');
  });

  it('DNS: a name that does not resolve', async () => {
    const r = await reject('http://no-such-host.invalid/x.png');
    expect(r.code).toBe('READ_FAILED');
    expect(['ENOTFOUND', 'EAI_AGAIN']).toContain(r.reason);
    expect(r.message).toContain('DNS lookup failed');
  });

  it('TLS: a certificate no one trusts', async () => {
    const r = await reject(`${tlsOrigin}/x.png`);
    expect(r.code).toBe('READ_FAILED');
    expect(r.reason).toMatch(/CERT|SELF_SIGNED|DEPTH_ZERO|UNABLE_TO/);
    expect(r.message).toContain('TLS failure');
  });

  it('response headers too large', async () => {
    expect(await reject(`${hostile.origin}/big-header`)).toMatchObject({ code: 'READ_FAILED', reason: 'UND_ERR_HEADERS_OVERFLOW' });
  });

  it('HTTP status and timeout', async () => {
    expect(await reject(`${hostile.origin}/status/503`)).toMatchObject({ code: 'READ_FAILED', reason: 'HTTP_STATUS', detail: 'HTTP status 503' });
    expect(await reject(`${hostile.origin}/slow`, { timeoutMs: 200 })).toMatchObject({ code: 'TIMEOUT' });
  });

  it('options are checked', async () => {
    await expect(imageSizesFromUrls([], { maxRedirects: -1 })).rejects.toSatisfy((e: unknown) => e instanceof BatcherError && e.option === 'maxRedirects');
    await expect(imageSizesFromUrls([], { allowRedirect: 'no' as never })).rejects.toSatisfy((e: unknown) => e instanceof BatcherError && e.option === 'allowRedirect');
  });
});
