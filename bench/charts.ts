// Line charts of benchmark rows as SVG, drawn with Vega-Lite (rendered headless by Vega).
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

/** Renders a Vega-Lite spec to SVG, headless. */
async function svgOf(spec: TopLevelSpec): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

/** A line per series: the library's solid, peers' dashed. */
const seriesEncoding = {
  color: { field: 'series', type: 'nominal', title: null, scale: { scheme: 'tableau10' } },
  strokeDash: { field: 'kind', type: 'nominal', title: null, scale: { domain: ['library', 'peer'], range: [[1, 0], [5, 3]] } },
} as const;

export interface ChartPoint {
  series: string;
  /** Library strategies draw solid, peers dashed. */
  kind: 'library' | 'peer';
  bufferSize: number;
  value: number;
}

export async function lineChart(title: string, yTitle: string, points: ChartPoint[], logY = false): Promise<string> {
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 520,
    height: 300,
    background: 'white',
    data: { values: points },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'bufferSize', type: 'quantitative', scale: { type: 'log', base: 2 }, title: 'buffer size (samples)', axis: { values: [...new Set(points.map((p) => p.bufferSize))] } },
      y: { field: 'value', type: 'quantitative', title: yTitle, scale: logY ? { type: 'log', nice: false } : { zero: false } },
      ...seriesEncoding,
    },
  };
  return svgOf(spec);
}

export interface ParetoPoint {
  series: string;
  /** A knob swept (drawn as a line through its settings, in `order`) or a single plan (a mark). */
  kind: 'curve' | 'point';
  fill: number;
  p95: number;
  /** Position along a curve (the knob's setting); ignored for points. */
  order?: number;
  /** The setting, shown beside the curve's marks. */
  label?: string;
}

/**
 * Fill (x) against p95 resize waste (y, log): knobs as curves, other plans as marks. Marks above
 * `yMax` (a strategy far off the interesting range) are drawn clamped at the top, labelled with
 * their value.
 */
export async function paretoChart(title: string, points: ParetoPoint[], yMax?: number): Promise<string> {
  const series = [...new Set(points.map((p) => p.series))];
  const top = yMax ?? Math.max(...points.map((p) => p.p95));
  const bottom = Math.min(...points.map((p) => p.p95));
  // Off-scale marks get a label each, stacked down from the top edge so that they never overlap.
  let offCount = 0;
  const fills = points.map((p) => p.fill);
  const middle = (Math.min(...fills) + Math.max(...fills)) / 2;
  const values = points.map((p) => {
    if (p.p95 <= top) return { ...p, off: '' };
    offCount += 1;
    return { ...p, off: `${p.series.replace(/ \(defaults\)$/, '')}: ${p.p95.toFixed(1)} (off scale)`, offY: top / Math.pow(1.045, offCount), offRight: p.fill > middle };
  });
  const color = { field: 'series', type: 'nominal' as const, title: null, scale: { domain: series, scheme: 'tableau10' } };
  const x = { field: 'fill', type: 'quantitative' as const, title: 'fill (share of batch slots used; right is better)', scale: { zero: false } };
  const y = {
    field: 'p95',
    type: 'quantitative' as const,
    title: 'p95 resize waste r, log scale (lower is better)',
    scale: { type: 'log' as const, nice: false, domain: [bottom / 1.02, top * 1.02], clamp: true },
  };
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    width: 520,
    height: 320,
    background: 'white',
    config: { legend: { labelLimit: 0 } },
    data: { values },
    layer: [
      {
        transform: [{ filter: "datum.kind === 'curve'" }],
        mark: { type: 'line', point: true },
        encoding: { x, y, color, order: { field: 'order', type: 'quantitative' } },
      },
      {
        transform: [{ filter: "datum.kind === 'curve'" }],
        mark: { type: 'text', dx: 4, dy: -7, fontSize: 9, align: 'left' },
        encoding: { x, y, color, text: { field: 'label' } },
      },
      {
        transform: [{ filter: "datum.kind === 'point'" }],
        mark: { type: 'point', filled: true, size: 70 },
        encoding: { x, y, color, shape: { field: 'series', type: 'nominal', title: null, scale: { domain: series } } },
      },
      ...[true, false].map((right) => ({
        transform: [{ filter: `datum.off !== '' && datum.offRight === ${right}` }],
        mark: { type: 'text' as const, dx: right ? -8 : 8, fontSize: 9, align: right ? ('right' as const) : ('left' as const) },
        encoding: { x, y: { ...y, field: 'offY' }, color, text: { field: 'off' } },
      })),
    ],
  };
  return svgOf(spec);
}

export interface FacetPoint {
  /** The small multiple it belongs to (a format, say). */
  facet: string;
  series: string;
  /** Library series draw solid, peers dashed. */
  kind: 'library' | 'peer';
  x: number;
  value: number;
}

/** Small multiples (one per facet, four a row) of lines per series, both axes log. */
export async function facetedLineChart(title: string, xTitle: string, yTitle: string, points: FacetPoint[]): Promise<string> {
  const spec: TopLevelSpec = {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title,
    background: 'white',
    data: { values: points },
    facet: { field: 'facet', type: 'nominal', title: null, sort: [...new Set(points.map((p) => p.facet))] },
    columns: 4,
    spec: {
      width: 170,
      height: 150,
      mark: { type: 'line', point: true },
      encoding: {
        x: { field: 'x', type: 'quantitative', scale: { type: 'log' }, title: xTitle, axis: { values: [...new Set(points.map((p) => p.x))] } },
        y: { field: 'value', type: 'quantitative', title: yTitle, scale: { type: 'log', nice: false } },
        ...seriesEncoding,
      },
    },
  };
  return svgOf(spec);
}
