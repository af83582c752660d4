import { ColumnProfile, DatasetProfile, HistogramBin } from './api';
import { IDataClient, isMissingEndpoint } from './catalog';
import {
  el,
  errorBox,
  formatCount,
  loadingNote,
  messageOf,
  tableHead
} from './dom';

const SVG_NS = 'http://www.w3.org/2000/svg';

function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Record<string, string>
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attrs)) {
    node.setAttribute(key, value);
  }
  return node;
}

function short(value: unknown): string {
  if (value === null || value === undefined) {
    return '—';
  }
  if (typeof value === 'number') {
    return Number.isInteger(value)
      ? value.toLocaleString()
      : value.toLocaleString(undefined, { maximumSignificantDigits: 4 });
  }
  const text =
    typeof value === 'object' ? JSON.stringify(value) : String(value);
  return text.length > 24 ? `${text.slice(0, 23)}…` : text;
}

/**
 * A small inline SVG histogram; each bar has a tooltip with its range
 * and count. Bars use a CSS class so the theme colours them.
 */
export function histogramSvg(
  bins: HistogramBin[],
  width = 96,
  height = 22
): SVGSVGElement {
  const max = Math.max(1, ...bins.map(b => b.count || 0));
  const bar = width / Math.max(1, bins.length);
  const chart = svg('svg', {
    class: 'aios-histogram',
    width: String(width),
    height: String(height),
    viewBox: `0 0 ${width} ${height}`,
    role: 'img',
    'aria-label': `Histogram with ${bins.length} bins`
  });
  bins.forEach((bin, i) => {
    const h = Math.max(
      bin.count > 0 ? 1 : 0,
      ((bin.count || 0) / max) * height
    );
    const rect = svg('rect', {
      x: (i * bar + 0.5).toFixed(2),
      y: (height - h).toFixed(2),
      width: Math.max(0.5, bar - 1).toFixed(2),
      height: h.toFixed(2)
    });
    const title = svg('title', {});
    title.textContent = `${short(bin.low)} – ${short(bin.high)}: ${formatCount(bin.count)}`;
    rect.appendChild(title);
    chart.appendChild(rect);
  });
  return chart;
}

/** The statistics of a column that is not masked. */
type ColumnStatistics = Extract<ColumnProfile, { masked: false }>;

function distribution(column: ColumnStatistics): Node | null {
  if (column.histogram && column.histogram.length > 0) {
    return histogramSvg(column.histogram);
  }
  const top = column.top;
  if (top && top.length > 0) {
    return el(
      'span',
      { class: 'aios-profile-top' },
      top
        .slice(0, 3)
        .map(t => `${short(t.value)} (${formatCount(t.count)})`)
        .join(', ')
    );
  }
  return null;
}

/**
 * The compact profile of one dataset from `GET catalog/profile`: per
 * column nulls, distinct values, range and a histogram or top values.
 * Masked columns show only "masked": their statistics would leak values.
 */
export class ProfileSection {
  /**
   * `onRows` hears the row count in words once profiled ("73 rows you can
   * see (row filter: …)"), for a header that shows it too.
   */
  constructor(
    client: IDataClient,
    name: string,
    onRows?: (rows: string) => void
  ) {
    this._client = client;
    this._name = name;
    this._onRows = onRows;
    this.node = el('div', {
      class: 'aios-profile',
      'data-testid': 'aios-profile'
    });
  }

  readonly node: HTMLDivElement;

  async load(): Promise<void> {
    this.node.replaceChildren(loadingNote('Profiling…'));
    this.node.setAttribute('aria-busy', 'true');
    try {
      this._render(await this._client.profile(this._name));
    } catch (error) {
      this.node.replaceChildren(
        isMissingEndpoint(error)
          ? el(
              'div',
              { class: 'aios-unavailable', role: 'note' },
              'Profile not available yet: this workbench service does not offer ',
              el('code', {}, 'catalog/profile'),
              '.'
            )
          : errorBox('Cannot profile the dataset', messageOf(error))
      );
    } finally {
      this.node.removeAttribute('aria-busy');
    }
  }

  private _render(profile: DatasetProfile): void {
    this._onRows?.(profile.rows_label);
    const body = el('tbody');
    for (const column of profile.columns) {
      const cells: Node[] = column.masked
        ? [
            el(
              'td',
              { colspan: '3' },
              el(
                'span',
                {
                  class: 'aios-badge aios-badge-mask',
                  title: 'Nothing derived from a masked column is shown'
                },
                column.mask ? `masked (${column.mask})` : 'masked'
              )
            )
          ]
        : [
            el(
              'td',
              { class: 'aios-num', title: 'nulls / distinct' },
              `${formatCount(column.nulls)} / ${formatCount(column.distinct)}`
            ),
            el(
              'td',
              {
                class: 'aios-profile-range',
                title: `${short(column.min)} … ${short(column.max)}`
              },
              column.min === null && column.max === null
                ? '—'
                : `${short(column.min)} … ${short(column.max)}`
            ),
            el('td', {}, distribution(column))
          ];
      body.appendChild(
        el(
          'tr',
          {
            'data-testid': 'aios-profile-row',
            'data-name': column.name,
            'data-masked': String(column.masked)
          },
          el('th', { scope: 'row' }, column.name),
          ...cells
        )
      );
    }
    this.node.replaceChildren(
      el(
        'p',
        { class: 'aios-muted', 'data-testid': 'aios-profile-rows' },
        `${profile.rows_label}${profile.approximate ? '; statistics approximate' : ''}`
      ),
      el(
        'div',
        {
          class: 'aios-preview-scroll',
          // it may scroll sideways: keyboard users reach it (axe: scrollable-region-focusable)
          tabindex: '0',
          role: 'region',
          'aria-label': 'Column profile'
        },
        el(
          'table',
          { class: 'aios-table aios-profile-table' },
          tableHead('Column', 'Nulls / distinct', 'Range', 'Distribution'),
          body
        )
      )
    );
  }

  private readonly _client: IDataClient;
  private readonly _name: string;
  private readonly _onRows?: (rows: string) => void;
}
