// The stream throughput benchmark's report (bench/results/stream-throughput.md) from stream-throughput.json.
import { count, fixed, provenance, table } from './markdown.js';

export interface StreamThroughput {
  count: number;
  batchSize: number;
  node: string;
  rows: {
    strategy: string;
    bufferSize: number;
    carry: boolean;
    samples: number;
    seconds: number;
    samplesPerSecond: number;
    usPerSample: number;
    fill: number;
    peakBuffered: number;
    heapPeakMB: number;
    heapAfterMB: number;
  }[];
}

const mb = (x: number) => `${x < 0 ? '' : '+'}${fixed(x, 1)} MB`;

export function render(data: StreamThroughput): string {
  const out: string[] = [];
  out.push('# Stream throughput', '', provenance('stream-throughput.json', 'bench/stream-throughput.mjs', '`pnpm bench:stream`'), '');
  out.push(
    `\`batchStream\` over ${count(data.count)} dimension-only samples (sides uniform in 224..1024) from an async generator that never holds them,`,
    `batch size ${data.batchSize}, Node ${data.node}. Heap after GC is the memory the stream kept when done (bounded memory: it stays flat);`,
    'the peak is garbage between GCs. Not a timed test.',
    '',
    table(
      ['strategy', 'buffer', 'carry', 'samples / s', 'us / sample', 'fill', 'peak buffered', 'heap peak', 'heap after GC'],
      data.rows.map((r) => [r.strategy, String(r.bufferSize), r.carry ? 'on' : 'off', count(r.samplesPerSecond), fixed(r.usPerSample), String(r.fill), count(r.peakBuffered), mb(r.heapPeakMB), mb(r.heapAfterMB)]),
      'lrlrrrrrr',
    ),
    '',
  );
  const pairs = [...new Set(data.rows.map((r) => `${r.strategy}|${r.bufferSize}`))]
    .map((key) => {
      const [strategy, buffer] = key.split('|');
      const off = data.rows.find((r) => r.strategy === strategy && String(r.bufferSize) === buffer && !r.carry);
      const on = data.rows.find((r) => r.strategy === strategy && String(r.bufferSize) === buffer && r.carry);
      if (!off || !on) return undefined;
      return off.fill === on.fill ? `${strategy}'s stays at ${on.fill}` : `${strategy}'s at buffer ${buffer} from ${off.fill} to ${on.fill}`;
    })
    .filter(Boolean);
  if (pairs.length) out.push(`Carry-over (\`carry: true\`) moves fill: ${pairs.join('; ')}.`, '');
  out.push('Streaming, carry-over and stopping: [docs/streaming.md](../../docs/streaming.md).');
  return out.join('\n');
}
