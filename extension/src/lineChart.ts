/**
 * A small line chart as inline SVG, built with DOM calls (no chart library,
 * no markup strings): one line per series, min/max labels on both axes.
 * Series colours come from CSS classes (`aios-series-0` ... `aios-series-7`)
 * mapped to JupyterLab theme variables, so light and dark themes both work.
 */

const SVG_NS = 'http://www.w3.org/2000/svg';

/** Distinct series colours before they repeat. */
export const SERIES_COLOURS = 8;

/** Points per series above which dots are left out (the line says enough). */
const MAX_DOTS = 40;

/**
 * One line: a label (shown in tooltips) and its `[x, y]` points.
 */
export interface IChartSeries {
  label: string;
  points: [number, number][];
}

/**
 * Size and labels of a chart.
 */
export interface IChartOptions {
  title: string;
  width?: number;
  height?: number;
  xLabel?: string;
}

/** An SVG element with `attrs` (and text), built with DOM calls. */
export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>,
  text?: string
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) {
    node.setAttribute(key, String(value));
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

/**
 * The numeric range `[lo, hi]` of `values`, widened so a flat series still
 * gets a visible band.
 */
export function paddedRange(values: number[]): [number, number] {
  const finite = values.filter(v => isFinite(v));
  if (finite.length === 0) {
    return [0, 1];
  }
  let lo = Math.min(...finite);
  let hi = Math.max(...finite);
  if (lo === hi) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    return [lo - pad, hi + pad];
  }
  const pad = (hi - lo) * 0.05;
  lo -= pad;
  hi += pad;
  return [lo, hi];
}

/**
 * A number short enough for an axis label.
 */
export function axisLabel(value: number): string {
  if (!isFinite(value)) {
    return String(value);
  }
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude >= 1e6 || magnitude < 1e-3)) {
    return value.toExponential(2);
  }
  return value.toLocaleString(undefined, { maximumSignificantDigits: 4 });
}

/**
 * Draw `series` as an SVG line chart (role `img`, labelled by `title`).
 */
export function lineChart(
  series: IChartSeries[],
  options: IChartOptions
): SVGSVGElement {
  const width = options.width ?? 320;
  const height = options.height ?? 150;
  const left = 48;
  const right = 10;
  const top = 8;
  const bottom = 22;
  const plotW = width - left - right;
  const plotH = height - top - bottom;

  const all = ([] as [number, number][]).concat(...series.map(s => s.points));
  const xs = all.map(p => p[0]);
  const ys = all.map(p => p[1]);
  const [x0, x1] =
    xs.length && Math.min(...xs) !== Math.max(...xs)
      ? [Math.min(...xs), Math.max(...xs)]
      : [(xs[0] ?? 0) - 1, (xs[0] ?? 0) + 1];
  const [y0, y1] = paddedRange(ys);
  const sx = (x: number) => left + ((x - x0) / (x1 - x0)) * plotW;
  const sy = (y: number) => top + (1 - (y - y0) / (y1 - y0)) * plotH;

  const root = svg('svg', {
    class: 'aios-chart',
    width,
    height,
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': `${options.title}: ${series.length} series`
  });
  root.appendChild(svg('title', {}, options.title));

  // Axes and their extreme labels.
  root.appendChild(
    svg('path', {
      class: 'aios-chart-axis',
      d: `M${left},${top}V${top + plotH}H${left + plotW}`,
      fill: 'none'
    })
  );
  root.appendChild(
    svg('line', {
      class: 'aios-chart-grid',
      x1: left,
      x2: left + plotW,
      y1: top + plotH / 2,
      y2: top + plotH / 2
    })
  );
  const yLabels: [number, number][] = [
    [y1, top + 4],
    [(y0 + y1) / 2, top + plotH / 2 + 4],
    [y0, top + plotH]
  ];
  for (const [value, y] of yLabels) {
    root.appendChild(
      svg(
        'text',
        { class: 'aios-chart-label', x: left - 4, y, 'text-anchor': 'end' },
        axisLabel(value)
      )
    );
  }
  const xLabel = options.xLabel ?? 'step';
  root.appendChild(
    svg(
      'text',
      { class: 'aios-chart-label', x: left, y: height - 6 },
      axisLabel(x0)
    )
  );
  root.appendChild(
    svg(
      'text',
      {
        class: 'aios-chart-label',
        x: left + plotW / 2,
        y: height - 6,
        'text-anchor': 'middle'
      },
      xLabel
    )
  );
  root.appendChild(
    svg(
      'text',
      {
        class: 'aios-chart-label',
        x: left + plotW,
        y: height - 6,
        'text-anchor': 'end'
      },
      axisLabel(x1)
    )
  );

  series.forEach((line, i) => {
    const colour = `aios-series-${i % SERIES_COLOURS}`;
    const points = line.points.filter(p => isFinite(p[0]) && isFinite(p[1]));
    const group = svg('g', {
      class: `aios-chart-series ${colour}`,
      'data-label': line.label
    });
    if (points.length > 1) {
      group.appendChild(
        svg('polyline', {
          fill: 'none',
          points: points
            .map(([x, y]) => `${sx(x).toFixed(1)},${sy(y).toFixed(1)}`)
            .join(' ')
        })
      );
    }
    if (points.length <= MAX_DOTS) {
      for (const [x, y] of points) {
        const dot = svg('circle', {
          cx: sx(x).toFixed(1),
          cy: sy(y).toFixed(1),
          r: 2.5
        });
        dot.appendChild(
          svg(
            'title',
            {},
            `${line.label} · ${xLabel} ${axisLabel(x)}: ${axisLabel(y)}`
          )
        );
        group.appendChild(dot);
      }
    }
    root.appendChild(group);
  });
  return root;
}
