/**
 * A drift run as a person reads it, next to Evidently's report: a summary
 * (how many columns drifted, the share at which the dataset drifts, the
 * verdict and why), then per column its test, statistic, threshold and
 * verdict in the service's words, with the reference and current
 * distributions overlaid in a small SVG.
 */
import { DriftColumn, DriftReport } from './checkApi';
import { el, emptyNote, sentence } from './dom';
import { statusBadge } from './checkStatus';
import { formatDate } from './time';

const SVG_NS = 'http://www.w3.org/2000/svg';
const PLOT_WIDTH = 200;
const PLOT_HEIGHT = 48;

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | number>
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) {
    node.setAttribute(key, String(value));
  }
  return node;
}

function percent(share: number): string {
  const value = share * 100;
  return `${value > 0 && value < 1 ? value.toFixed(1) : Math.round(value)}%`;
}

function numberText(value: number): string {
  return Math.abs(value) >= 1000 || Number.isInteger(value)
    ? value.toLocaleString('en-GB', { maximumFractionDigits: 0 })
    : value.toLocaleString('en-GB', { maximumSignificantDigits: 3 });
}

interface IDistribution {
  kind: string;
  ref: number[];
  cur: number[];
  labels?: string[];
  lo?: number;
  hi?: number;
}

function asDistribution(value: unknown): IDistribution | null {
  const dist = value as IDistribution | null;
  if (
    !dist ||
    !Array.isArray(dist.ref) ||
    !Array.isArray(dist.cur) ||
    !dist.ref.length ||
    dist.ref.length !== dist.cur.length
  ) {
    return null;
  }
  return dist;
}

/** What bin or value `i` of `dist` covers, e.g. "12–15" or "DHL". */
function binLabel(dist: IDistribution, i: number): string {
  if (dist.kind === 'histogram' && typeof dist.lo === 'number') {
    const hi = typeof dist.hi === 'number' ? dist.hi : dist.lo;
    const step = (hi - dist.lo) / dist.ref.length;
    return `${numberText(dist.lo + i * step)}–${numberText(dist.lo + (i + 1) * step)}`;
  }
  return dist.labels?.[i] ?? `#${i + 1}`;
}

/**
 * Reference (filled bars) and current (outlined bars) shares of rows per
 * bin or value, overlaid; each bar pair's shares in its tooltip and the
 * whole in the figure's accessible description.
 */
export function distributionOverlay(
  column: string,
  value: unknown
): HTMLElement | null {
  const dist = asDistribution(value);
  if (!dist) {
    return null;
  }
  const n = dist.ref.length;
  const top = Math.max(...dist.ref, ...dist.cur, 1e-9);
  const step = PLOT_WIDTH / n;
  const plot = svg('svg', {
    class: 'aios-drift-plot',
    width: PLOT_WIDTH,
    height: PLOT_HEIGHT + 1,
    viewBox: `0 0 ${PLOT_WIDTH} ${PLOT_HEIGHT + 1}`,
    role: 'img',
    'aria-label':
      `${column}: share of rows per ${dist.kind === 'histogram' ? 'range' : 'value'}, reference vs current: ` +
      dist.ref
        .map(
          (r, i) =>
            `${binLabel(dist, i)} ${percent(r)} → ${percent(dist.cur[i])}`
        )
        .join('; ')
  });
  dist.ref.forEach((r, i) => {
    const c = dist.cur[i];
    const group = svg('g', {});
    const title = svg('title', {});
    title.textContent = `${binLabel(dist, i)}: reference ${percent(r)}, current ${percent(c)}`;
    const refHeight = (PLOT_HEIGHT * r) / top;
    const curHeight = (PLOT_HEIGHT * c) / top;
    group.append(
      title,
      svg('rect', {
        class: 'aios-drift-ref',
        x: (i * step + 0.5).toFixed(1),
        y: (PLOT_HEIGHT - refHeight).toFixed(1),
        width: Math.max(step - 1, 1).toFixed(1),
        height: refHeight.toFixed(1)
      }),
      svg('rect', {
        class: 'aios-drift-cur',
        x: (i * step + step * 0.2).toFixed(1),
        y: (PLOT_HEIGHT - curHeight).toFixed(1),
        width: Math.max(step * 0.6, 1).toFixed(1),
        height: curHeight.toFixed(1)
      })
    );
    plot.appendChild(group);
  });
  plot.appendChild(
    svg('line', {
      class: 'aios-drift-axis',
      x1: 0,
      x2: PLOT_WIDTH,
      y1: PLOT_HEIGHT + 0.5,
      y2: PLOT_HEIGHT + 0.5
    })
  );
  const axis =
    dist.kind === 'histogram' && typeof dist.lo === 'number'
      ? el(
          'div',
          { class: 'aios-drift-axis-labels' },
          el('span', {}, numberText(dist.lo)),
          el('span', {}, numberText(dist.hi ?? dist.lo))
        )
      : el(
          'div',
          { class: 'aios-drift-axis-labels aios-drift-categories' },
          (dist.labels ?? []).slice(0, n).join(' · ')
        );
  return el(
    'figure',
    { class: 'aios-drift-figure', 'data-testid': 'aios-drift-plot' },
    plot as unknown as Node,
    axis
  );
}

/** The legend shared by every column's overlay. */
function legend(): HTMLElement {
  return el(
    'p',
    { class: 'aios-drift-legend' },
    el('span', { class: 'aios-drift-key aios-drift-key-ref' }),
    ' reference  ',
    el('span', { class: 'aios-drift-key aios-drift-key-cur' }),
    ' current (share of rows)'
  );
}

function driftColumn(column: DriftColumn): HTMLElement {
  const facts = el('dl', { class: 'aios-drift-facts' });
  const add = (label: string, value: string | null | undefined) => {
    if (value) {
      facts.append(el('dt', {}, label), el('dd', {}, value));
    }
  };
  add('Test', column.test);
  add('Statistic', column.statistic);
  add(
    'Threshold',
    typeof column.threshold === 'number' ? numberText(column.threshold) : null
  );
  return el(
    'li',
    {
      class: 'aios-drift-column',
      'data-testid': 'aios-drift-column',
      'data-column': column.column,
      'data-status': column.status
    },
    el(
      'div',
      { class: 'aios-check-item-head' },
      statusBadge(column.status),
      el('span', { class: 'aios-check-item-name' }, column.column),
      el('span', { class: 'aios-drift-verdict' }, column.verdict)
    ),
    facts,
    column.why
      ? el(
          'p',
          { class: 'aios-check-item-finding', 'data-testid': 'aios-drift-why' },
          sentence(column.why)
        )
      : null,
    distributionOverlay(column.column, column.distribution)
  );
}

/**
 * The summary and the columns of a drift run.
 */
export function driftReportView(report: DriftReport): HTMLElement {
  const figures = el('dl', {
    class: 'aios-drift-summary',
    'data-testid': 'aios-drift-summary'
  });
  const add = (label: string, value: string) =>
    figures.append(el('dt', {}, label), el('dd', {}, value));
  add(
    'Drifted columns',
    `${report.drifted.length} of ${report.tested}` +
      (typeof report.share === 'number' ? ` (${percent(report.share)})` : '')
  );
  if (typeof report.share_needed === 'number') {
    add('Dataset drifts at', percent(report.share_needed));
  }
  add(
    'Dataset',
    report.dataset_drifted ? 'drifted' : 'did not drift as a whole'
  );
  const windows = report.windows as Record<string, string> | null;
  const when = (value: string | undefined) =>
    value && value.includes('T') ? formatDate(value) : (value ?? '?');
  const skipped = Object.entries(report.skipped ?? {});
  const plotted = report.columns.some(c => asDistribution(c.distribution));
  return el(
    'section',
    { class: 'aios-drift-report', 'aria-label': 'Drift report' },
    figures,
    windows?.cur_from
      ? el(
          'p',
          { class: 'aios-drift-windows' },
          `Current: ${when(windows.cur_from)} to ${when(windows.cur_to)}; reference: ${when(windows.ref_from)} to ${when(windows.ref_to)}.`
        )
      : null,
    skipped.length
      ? el(
          'p',
          { class: 'aios-drift-skipped' },
          `Not tested: ${skipped.map(([c, why]) => `${c} (${String(why)})`).join(', ')}.`
        )
      : null,
    el(
      'h4',
      { class: 'aios-check-items-title' },
      `Columns (${report.columns.length}), drifted first`
    ),
    plotted ? legend() : null,
    report.columns.length
      ? el(
          'ul',
          { class: 'aios-check-items', 'aria-label': 'Drift columns' },
          ...report.columns.map(driftColumn)
        )
      : emptyNote('This run recorded no columns.')
  );
}
