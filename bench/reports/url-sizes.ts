// The URL sizes benchmark's report (bench/results/url-sizes.md) from url-sizes.json.
import { count, fixed, provenance, table } from './markdown.js';

export interface UrlSizes {
  command: string;
  node: string;
  images: number;
  meanFileBytes: number;
  rows: { server: string; library: string; imagesPerSecond: number; bytesSentPerImage: number; bytesReceivedPerImage: number | null; requestsPerImage: number }[];
}

const OURS = /^mm-tokenize-batcher/;

export function render(data: UrlSizes): string {
  const out: string[] = [];
  out.push('# Image sizes from URLs', '', provenance('url-sizes.json', 'bench/url-sizes.mjs', '`pnpm bench:url-sizes`'), '');
  const [, concurrency = '?', runs = '?'] = /--concurrency (\d+) --runs (\d+)/.exec(data.command) ?? [];
  out.push(
    "`imageSizesFromUrls` against `probe-image-size` (the usual JS choice: a plain GET whose stream is destroyed",
    `once the header is parsed), same local server, same run: ${data.images} real encoded files made by sharp`,
    `(JPEG, JPEG with EXIF and ICC metadata, PNG, WebP; sides 200 to 2400 px; ${fixed(data.meanFileBytes / 1e6, 1)} MB on average),`,
    `concurrency ${concurrency}, best of ${runs} runs, Node ${data.node} (\`${data.command}\`). Each library reads from a server that honours`,
    '`Range` and from one that ignores it. Not a timed test.',
    '',
    table(
      ['server', 'library', 'images/s', 'bytes sent per image', 'requests per image'],
      data.rows.map((r) => [
        r.server,
        OURS.test(r.library) ? '`imageSizesFromUrls`' : r.library,
        count(r.imagesPerSecond),
        `${count(r.bytesSentPerImage)}${r.bytesReceivedPerImage !== null && r.bytesReceivedPerImage !== r.bytesSentPerImage ? ` (${count(r.bytesReceivedPerImage)} received)` : ''}`,
        String(r.requestsPerImage),
      ]),
      'llrrr',
    ),
    '',
  );
  const get = (server: string, ours: boolean) => data.rows.find((r) => r.server === server && OURS.test(r.library) === ours);
  const a = get('honours Range', true);
  const b = get('honours Range', false);
  if (a && b) {
    out.push(
      `With a server that honours \`Range\` (S3, GCS, R2, most CDNs and static servers) the library sends 1/${Math.round(b.bytesSentPerImage / a.bytesSentPerImage)} of`,
      `the bytes and reads ${fixed(a.imagesPerSecond / b.imagesPerSecond, 1)}x as many images per second. The images that take a second request are the JPEGs`,
      'with metadata before the frame (a quarter of this set).',
      '',
    );
  }
  const c = get('ignores Range', true);
  const d = get('ignores Range', false);
  if (c && d) {
    out.push(
      'Against a server that ignores `Range`, "bytes sent" is what the local server pushed into loopback before the',
      "client's cancel reached it (about the whole file for both, an artefact of loopback speed);",
      `the library received ${count(c.bytesReceivedPerImage ?? 0)} bytes per image, and ${c.imagesPerSecond < d.imagesPerSecond ? 'probe-image-size is faster there' : 'is faster there too'}`,
      '(the second request of those JPEGs has to start from byte 0 again).',
      '',
    );
  }
  out.push('How the library reads sizes from URLs and files: [docs/sources.md](../../docs/sources.md).');
  return out.join('\n');
}
