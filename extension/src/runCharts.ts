/**
 * Charts of a run comparison, as inline SVG (no chart library): parallel
 * coordinates over the parameters that differ and the metrics, and a
 * scatter of one metric against another. One colour per run, the same as
 * the comparison's legend (`aios-series-N`, theme colours).
 */
import { RunSummary } from './api';
import { SERIES_COLOURS, axisLabel, paddedRange, svg } from './lineChart';

/** One vertical axis: a parameter or a metric, with each run's value. */
export interface IParallelAxis {
  name: string;
  kind: 'param' | 'metric';
  /** Run id -> value (missing: the run has none). */
  values: Record<string, string | number | undefined>;
}

/** Every metric name the runs logged, sorted. */
export function metricNamesOf(runs: readonly RunSummary[]): string[] {
  const names = new Set<string>();
  runs.forEach(r => Object.keys(r.metrics).forEach(m => names.add(m)));
  return [...names].sort();
}

function valuesOf(
  runs: readonly RunSummary[],
  value: (run: RunSummary) => string | number | undefined
): Record<string, string | number | undefined> {
  const out: Record<string, string | number | undefined> = {};
  runs.forEach(r => (out[r.id] = value(r)));
  return out;
}

/**
 * The axes of a comparison: parameters that differ (in order), then the
 * metrics at least one run logged.
 */
export function parallelAxes(
  runs: readonly RunSummary[],
  paramsDiff: Record<string, Record<string, string | null>>
): IParallelAxis[] {
  const params = Object.keys(paramsDiff)
    .sort()
    .map((name): IParallelAxis => ({
      name,
      kind: 'param',
      values: valuesOf(runs, r => paramsDiff[name][r.id] ?? undefined)
    }));
  const metricNames = metricNamesOf(runs);
  const metrics = metricNames.map((name): IParallelAxis => ({
    name,
    kind: 'metric',
    values: valuesOf(runs, r => r.metrics[name])
  }));
  return [...params, ...metrics];
}

/** Where each value of an axis goes, 0 (bottom) to 1 (top), and its end labels. */
function axisScale(axis: IParallelAxis): {
  at: (value: string | number | undefined) => number | null;
  low: string;
  high: string;
} {
  const present = Object.values(axis.values).filter(
    (v): v is string | number => v !== undefined && v !== null && v !== ''
  );
  const numbers = present.map(v => Number(v));
  if (present.length && numbers.every(n => isFinite(n))) {
    const [lo, hi] = paddedRange(numbers);
    return {
      at: v =>
        v === undefined || v === null || v === '' || !isFinite(Number(v))
          ? null
          : (Number(v) - lo) / (hi - lo),
      low: axisLabel(Math.min(...numbers)),
      high: axisLabel(Math.max(...numbers))
    };
  }
  const categories = [...new Set(present.map(String))].sort();
  const step = 1 / (categories.length + 1);
  return {
    at: v =>
      v === undefined || v === null || v === ''
        ? null
        : (categories.indexOf(String(v)) + 1) * step,
    low: categories[0] ?? '',
    high: categories[categories.length - 1] ?? ''
  };
}

/**
 * Parallel coordinates: one vertical axis per parameter and metric, one
 * line per run through its values (a run without a value skips that axis).
 */
export function parallelCoordinates(
  runs: readonly RunSummary[],
  axes: readonly IParallelAxis[],
  labels: Map<string, string>
): SVGSVGElement {
  const spacing = 120;
  const left = 40;
  const top = 34;
  const bottom = 26;
  const plotH = 160;
  const width = left * 2 + Math.max(1, axes.length - 1) * spacing;
  const height = top + plotH + bottom;
  const root = svg('svg', {
    class: 'aios-chart aios-parallel',
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': `Parallel coordinates of ${runs.length} runs over ${axes.map(a => a.name).join(', ')}`
  });
  const scales = axes.map(axisScale);
  const x = (i: number) => left + i * spacing;
  const y = (t: number) => top + (1 - t) * plotH;
  axes.forEach((axis, i) => {
    root.appendChild(
      svg('line', {
        class: 'aios-chart-axis',
        x1: x(i),
        x2: x(i),
        y1: top,
        y2: top + plotH
      })
    );
    root.appendChild(
      svg(
        'text',
        {
          class: 'aios-chart-label aios-parallel-axis',
          x: x(i),
          y: 12,
          'text-anchor': 'middle',
          'data-axis': axis.name
        },
        axis.name
      )
    );
    root.appendChild(
      svg(
        'text',
        { class: 'aios-chart-label', x: x(i), y: 26, 'text-anchor': 'middle' },
        scales[i].high
      )
    );
    root.appendChild(
      svg(
        'text',
        {
          class: 'aios-chart-label',
          x: x(i),
          y: top + plotH + 16,
          'text-anchor': 'middle'
        },
        scales[i].low
      )
    );
  });
  runs.forEach((run, r) => {
    const points = axes
      .map((axis, i) => {
        const t = scales[i].at(axis.values[run.id]);
        return t === null ? null : [x(i), y(t)];
      })
      .filter((p): p is number[] => p !== null);
    const group = svg('g', {
      class: `aios-chart-series aios-series-${r % SERIES_COLOURS}`,
      'data-label': labels.get(run.id) ?? run.id
    });
    const text = `${labels.get(run.id) ?? run.id}: ${axes
      .map(a => `${a.name} ${format(a.values[run.id])}`)
      .join(', ')}`;
    if (points.length > 1) {
      const line = svg('polyline', {
        fill: 'none',
        points: points
          .map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`)
          .join(' ')
      });
      line.appendChild(svg('title', {}, text));
      group.appendChild(line);
    }
    for (const [px, py] of points) {
      const dot = svg('circle', { cx: px.toFixed(1), cy: py.toFixed(1), r: 3 });
      dot.appendChild(svg('title', {}, text));
      group.appendChild(dot);
    }
    root.appendChild(group);
  });
  return root;
}

function format(value: string | number | undefined): string {
  if (value === undefined || value === null) {
    return '—';
  }
  return typeof value === 'number' ? axisLabel(value) : value;
}

/**
 * One dot per run at (its `xMetric`, its `yMetric`); runs missing either
 * are left out and named under the chart by the caller.
 */
export function scatterPlot(
  runs: readonly RunSummary[],
  xMetric: string,
  yMetric: string,
  labels: Map<string, string>
): SVGSVGElement {
  const width = 360;
  const height = 240;
  const left = 56;
  const right = 12;
  const top = 10;
  const bottom = 36;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const plotted = runs.filter(
    r => isFinite(r.metrics[xMetric]) && isFinite(r.metrics[yMetric])
  );
  const [x0, x1] = paddedRange(plotted.map(r => r.metrics[xMetric]));
  const [y0, y1] = paddedRange(plotted.map(r => r.metrics[yMetric]));
  const sx = (v: number) => left + ((v - x0) / (x1 - x0)) * plotW;
  const sy = (v: number) => top + (1 - (v - y0) / (y1 - y0)) * plotH;
  const root = svg('svg', {
    class: 'aios-chart aios-scatter',
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': `${yMetric} against ${xMetric} for ${plotted.length} runs`
  });
  root.appendChild(
    svg('path', {
      class: 'aios-chart-axis',
      d: `M${left},${top}V${top + plotH}H${left + plotW}`,
      fill: 'none'
    })
  );
  const label = (text: string, attrs: Record<string, string | number>) =>
    root.appendChild(
      svg('text', { class: 'aios-chart-label', ...attrs }, text)
    );
  label(axisLabel(y1), { x: left - 4, y: top + 8, 'text-anchor': 'end' });
  label(axisLabel(y0), { x: left - 4, y: top + plotH, 'text-anchor': 'end' });
  label(yMetric, {
    x: 12,
    y: top + plotH / 2,
    'text-anchor': 'middle',
    transform: `rotate(-90 12 ${top + plotH / 2})`
  });
  label(axisLabel(x0), { x: left, y: top + plotH + 14 });
  label(axisLabel(x1), {
    x: left + plotW,
    y: top + plotH + 14,
    'text-anchor': 'end'
  });
  label(xMetric, {
    x: left + plotW / 2,
    y: height - 4,
    'text-anchor': 'middle'
  });
  runs.forEach((run, i) => {
    if (!plotted.includes(run)) {
      return;
    }
    const group = svg('g', {
      class: `aios-chart-series aios-series-${i % SERIES_COLOURS}`,
      'data-label': labels.get(run.id) ?? run.id
    });
    const dot = svg('circle', {
      cx: sx(run.metrics[xMetric]).toFixed(1),
      cy: sy(run.metrics[yMetric]).toFixed(1),
      r: 5
    });
    dot.appendChild(
      svg(
        'title',
        {},
        `${labels.get(run.id) ?? run.id}: ${xMetric} ${axisLabel(run.metrics[xMetric])}, ${yMetric} ${axisLabel(run.metrics[yMetric])}`
      )
    );
    group.appendChild(dot);
    root.appendChild(group);
  });
  return root;
}
