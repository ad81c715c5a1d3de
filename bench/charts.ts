// Line charts of benchmark rows as SVG, drawn with Vega-Lite (rendered headless by Vega).
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';

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
      color: { field: 'series', type: 'nominal', title: null, scale: { scheme: 'tableau10' } },
      strokeDash: { field: 'kind', type: 'nominal', title: null, scale: { domain: ['library', 'peer'], range: [[1, 0], [5, 3]] } },
    },
  };
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}
