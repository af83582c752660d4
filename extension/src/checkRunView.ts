import { Widget } from '@lumino/widgets';

import { CheckItem, LedgerRun } from './api';
import { el, emptyNote, sentence, tableHead } from './dom';

/** Statuses with their own badge colour; anything else is shown neutral. */
const KNOWN_STATUSES = new Set(['pass', 'warn', 'fail', 'error', 'skip']);

/** Example rows shown per item: enough to see the problem, small enough for a sidebar. */
const MAX_EXAMPLES = 5;

/**
 * A status badge coloured by the JupyterLab theme (success, warn, error).
 */
export function statusBadge(status: string): HTMLElement {
  const known = KNOWN_STATUSES.has(status) ? status : 'other';
  return el(
    'span',
    {
      class: `aios-check-status aios-check-status-${known}`,
      'data-status': status
    },
    status || '?'
  );
}

/**
 * A run's time in the user's locale; the ISO time stays in the tooltip.
 */
export function formatTime(at: string): string {
  const date = new Date(at);
  return isNaN(date.getTime()) ? at : date.toLocaleString();
}

/**
 * A metric value for display: numbers in the user's locale, fractions with
 * four significant digits, anything else as compact JSON.
 */
export function formatValue(value: unknown): string {
  if (typeof value === 'number') {
    return Number.isInteger(value)
      ? value.toLocaleString()
      : value.toLocaleString(undefined, { maximumSignificantDigits: 4 });
  }
  if (value === null || value === undefined) {
    return '—';
  }
  if (typeof value === 'string') {
    return value;
  }
  return JSON.stringify(value);
}

/** Statuses from the most to the least severe: failing items are shown first. */
const SEVERITY: Record<string, number> = { error: 0, fail: 1, warn: 2 };

/**
 * `items` with errors first, then failures, warnings and passes (the
 * service's order within each kept), as the kernel's display orders them.
 */
export function failingFirst(items: CheckItem[]): CheckItem[] {
  return items
    .map((item, index) => ({ item, index }))
    .sort(
      (a, b) =>
        (SEVERITY[a.item.status] ?? 3) - (SEVERITY[b.item.status] ?? 3) ||
        a.index - b.index
    )
    .map(({ item }) => item);
}

/** Metrics that are bookkeeping of how a number was computed, not findings. */
const BOOKKEEPING = new Set([
  'wasserstein_error_bound',
  'method',
  'sorted_values'
]);

/** Metrics an item's finding already says in words (see `itemFinding`). */
const SAID = new Set([
  'drifted',
  'statistic',
  'threshold',
  'p_value',
  'ref_count',
  'cur_count',
  'ref_nulls',
  'cur_nulls',
  'failing_rows',
  'rows',
  'failing_fraction',
  'drifted_columns',
  'columns',
  'share',
  'value'
]);

function num(value: unknown): string {
  return typeof value === 'number' ? formatValue(value) : '—';
}

/**
 * One item's finding in words, e.g. "Drifted: Wasserstein distance (normed)
 * 0.186 is at or above its threshold 0.1" or "12 of 40,000 rows fail".
 */
export function itemFinding(kind: string, item: CheckItem): string | null {
  const m = item.metrics;
  const d = item.detail;
  if (kind === 'drift' && item.name === 'dataset drift') {
    if (typeof m.share === 'number' && typeof m.threshold === 'number') {
      const whole = item.status === 'fail' ? 'drifted' : 'did not drift';
      return (
        `The dataset as a whole ${whole}: ${num(m.drifted_columns)} of ${num(m.columns)} columns drifted ` +
        `(${Math.round(m.share * 100)}%; it drifts at ${Math.round(m.threshold * 100)}%).`
      );
    }
    return null;
  }
  if (kind === 'drift' && typeof m.statistic === 'number') {
    const test = String(
      d.stattest_display ?? d.stattest ?? 'statistic'
    ).replace(' p_value', ' p-value');
    const drifted = item.status === 'fail';
    const pValue = typeof m.p_value === 'number';
    const relation = pValue
      ? drifted
        ? 'is at or below'
        : 'is above'
      : drifted
        ? 'is at or above'
        : 'is below';
    const rows =
      typeof m.ref_count === 'number' && typeof m.cur_count === 'number'
        ? ` Compared ${num(m.ref_count)} reference with ${num(m.cur_count)} current values` +
          (typeof m.cur_nulls === 'number' && m.cur_nulls > 0
            ? ` (${num(m.cur_nulls)} current rows empty).`
            : '.')
        : '';
    return (
      `${drifted ? 'Drifted' : 'No drift'}: ${test} ${num(m.statistic)} ${relation} ` +
      `its threshold ${num(m.threshold)}.${rows}`
    );
  }
  if (typeof m.failing_rows === 'number' && typeof m.rows === 'number') {
    return `${num(m.failing_rows)} of ${num(m.rows)} rows fail.`;
  }
  if (typeof m.value === 'number' && typeof m.threshold === 'number') {
    return `${sentence(item.name.replace(/_/g, ' '))} ${num(m.value)} against its threshold ${num(m.threshold)}.`;
  }
  return null;
}

function metricList(
  metrics: Record<string, unknown>,
  said: boolean
): HTMLElement | null {
  const shown = Object.entries(metrics).filter(
    ([key]) => !BOOKKEEPING.has(key) && !(said && SAID.has(key))
  );
  if (!shown.length) {
    return null;
  }
  const list = el('dl', { class: 'aios-check-metrics' });
  for (const [key, value] of shown) {
    const label = key === 'psi' ? 'PSI' : key.replace(/_/g, ' ');
    list.append(el('dt', {}, label), el('dd', {}, formatValue(value)));
  }
  return list;
}

function examplesTable(rows: Record<string, unknown>[]): HTMLElement {
  const columns: string[] = [];
  for (const row of rows) {
    for (const key of Object.keys(row)) {
      if (!columns.includes(key)) {
        columns.push(key);
      }
    }
  }
  const shown = rows.slice(0, MAX_EXAMPLES);
  return el(
    'div',
    { class: 'aios-preview-scroll' },
    el(
      'table',
      {
        class: 'aios-table aios-check-examples',
        'aria-label': 'Example failing rows',
        'data-testid': 'aios-check-examples'
      },
      el(
        'caption',
        {},
        shown.length < rows.length
          ? `Example failing rows (${shown.length} of ${rows.length}, masked as for the user who ran the check)`
          : `Example failing rows, masked as for the user who ran the check`
      ),
      tableHead(...columns),
      el(
        'tbody',
        {},
        ...shown.map(row =>
          el(
            'tr',
            {},
            ...columns.map(c =>
              el('td', { 'data-name': c }, formatValue(row[c]))
            )
          )
        )
      )
    )
  );
}

function renderItem(kind: string, item: CheckItem): HTMLElement {
  const detail = item.detail;
  const examples = Array.isArray(detail.examples)
    ? (detail.examples as unknown[]).filter(
        (r): r is Record<string, unknown> => !!r && typeof r === 'object'
      )
    : [];
  const metrics = item.metrics;
  const predicate =
    typeof detail.predicate === 'string' ? detail.predicate : null;
  const message = typeof detail.message === 'string' ? detail.message : null;
  const finding = itemFinding(kind, item);
  return el(
    'li',
    {
      class: 'aios-check-item',
      'data-testid': 'aios-check-item',
      'data-name': item.name,
      'data-status': item.status
    },
    el(
      'div',
      { class: 'aios-check-item-head' },
      statusBadge(item.status),
      el('span', { class: 'aios-check-item-name' }, item.name)
    ),
    finding
      ? el(
          'p',
          {
            class: 'aios-check-item-finding',
            'data-testid': 'aios-check-item-finding'
          },
          finding
        )
      : null,
    message ? el('p', { class: 'aios-check-item-message' }, message) : null,
    metricList(metrics, finding !== null),
    predicate
      ? el(
          'p',
          { class: 'aios-check-predicate', title: 'Failing rows match' },
          el('code', {}, predicate)
        )
      : null,
    examples.length ? examplesTable(examples) : null
  );
}

/**
 * One ledger run: what ran, on what, by whom, and each item with its
 * metrics and (for the user who ran it) a few masked failing rows.
 */
export class CheckRunView extends Widget {
  constructor(onBack: () => void) {
    super();
    this._onBack = onBack;
    this.addClass('aios-check-run-view');
    this.node.dataset.testid = 'aios-check-run-view';
    this.node.setAttribute('role', 'region');
    this.node.setAttribute('aria-label', 'Check run');
    this.node.tabIndex = -1;
    this.node.addEventListener('keydown', event => {
      if (event.key === 'Escape') {
        event.preventDefault();
        this._onBack();
      }
    });
  }

  /**
   * Show `run`.
   */
  open(run: LedgerRun): void {
    this.node.dataset.name = run.name;
    this.node.dataset.status = run.status;
    this.node.setAttribute('aria-label', `Check run: ${run.label}`);
    const back = el(
      'button',
      {
        type: 'button',
        class: 'aios-button aios-back',
        'data-testid': 'aios-checks-back',
        title: 'Back to the check runs (Escape)'
      },
      '‹ Checks'
    );
    back.addEventListener('click', () => this._onBack());

    const meta = el('dl', { class: 'aios-meta' });
    const add = (label: string, value: Node | string | null | undefined) => {
      if (value !== null && value !== undefined && value !== '') {
        meta.append(el('dt', {}, label), el('dd', {}, value));
      }
    };
    add('Kind', run.kind);
    add(
      'Result',
      `${run.passed ? 'passed' : 'did not pass'}${run.required ? ' (required)' : ''}`
    );
    add('Severity', run.severity);
    add('Datasets', run.datasets.length ? run.datasets.join(', ') : '—');
    add('Run by', run.user);
    add(
      'At',
      el('time', { datetime: run.at, title: run.at }, formatTime(run.at))
    );
    add(
      'Duration',
      typeof run.duration_s === 'number'
        ? `${formatValue(run.duration_s)} s`
        : null
    );
    add('Notebook', run.notebook);
    add('Job run', run.job_run_id !== null ? String(run.job_run_id) : null);
    add('MLflow run', run.mlflow_run_id);

    const items = failingFirst(run.items ?? []);
    const parts: (Node | null)[] = [
      el('div', { class: 'aios-dataset-bar' }, back),
      el(
        'h3',
        { class: 'aios-check-run-title', title: run.name },
        statusBadge(run.status),
        ' ',
        run.label
      ),
      el(
        'p',
        {
          class: 'aios-check-verdict',
          'data-testid': 'aios-check-verdict'
        },
        run.verdict
      ),
      meta,
      run.withheld
        ? el(
            'p',
            { class: 'aios-withheld', 'data-testid': 'aios-check-withheld' },
            sentence(run.withheld)
          )
        : null,
      run.error
        ? el(
            'div',
            { class: 'aios-error', role: 'alert' },
            el('p', { class: 'aios-error-title' }, 'The check could not run'),
            el('p', { class: 'aios-error-message' }, run.error)
          )
        : null,
      el('h4', { class: 'aios-check-items-title' }, `Items (${items.length})`),
      items.length
        ? el(
            'ul',
            { class: 'aios-check-items', 'aria-label': 'Check items' },
            ...items.map(item => renderItem(run.kind, item))
          )
        : emptyNote('This run recorded no items.')
    ];
    this.node.replaceChildren(...parts.filter((n): n is Node => n !== null));
    this.node.scrollTop = 0;
  }

  private readonly _onBack: () => void;
}
