import { Widget } from '@lumino/widgets';

import {
  CheckGroup,
  CheckItemRow,
  CheckReport,
  fetchCheckReport
} from './checkApi';
import { driftReportView } from './checkDrift';
import { historyStrip } from './checkHistory';
import { formatValue, statusBadge } from './checkStatus';
import {
  el,
  emptyNote,
  errorBox,
  loadingNote,
  sentence,
  tableHead
} from './dom';
import { Loader } from './loader';
import { formatDate, formatDuration, timeElement } from './time';

export { formatValue, statusBadge };

/** Example rows shown per item: enough to see the problem, small enough for a sidebar. */
const MAX_EXAMPLES = 5;

/**
 * A time in the sidebar's one date format ("6 Dec 2026, 14:05"); kept for
 * the sections that import it from here (time.ts holds the formatters).
 */
export function formatTime(at: string): string {
  return formatDate(at);
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
    {
      class: 'aios-preview-scroll',
      // it may scroll sideways: keyboard users reach it (axe: scrollable-region-focusable)
      tabindex: '0',
      role: 'region',
      'aria-label': 'Example failing rows'
    },
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

/** One item of a quality, fairness or explanation run, in the service's words. */
function itemRow(
  row: CheckItemRow,
  words: Record<string, string>
): HTMLElement {
  const facts = el('dl', { class: 'aios-drift-facts' });
  if (row.test) {
    facts.append(el('dt', {}, 'Rule or test'), el('dd', {}, row.test));
  }
  if (row.value) {
    facts.append(el('dt', {}, 'Value'), el('dd', {}, row.value));
  }
  return el(
    'li',
    {
      class: 'aios-check-item',
      'data-testid': 'aios-check-item',
      'data-name': row.name,
      'data-status': row.status
    },
    el(
      'div',
      { class: 'aios-check-item-head' },
      statusBadge(row.status, words[row.status]),
      el('span', { class: 'aios-check-item-name' }, row.name)
    ),
    row.why
      ? el(
          'p',
          {
            class: 'aios-check-item-finding',
            'data-testid': 'aios-check-item-finding'
          },
          sentence(row.why)
        )
      : null,
    facts.childElementCount ? facts : null,
    row.examples.length ? examplesTable(row.examples) : null
  );
}

/**
 * One check opened: its label, history strip (each run opens), and the run
 * shown as a person reads it: its verdict, who ran it when, and a drift
 * run's summary and columns with distributions, or the items in words.
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

  /** The check shown, if any. */
  get group(): CheckGroup | null {
    return this._group;
  }

  /**
   * Show `group`, on its run `runId` (default: its newest).
   */
  async open(
    group: CheckGroup,
    runId?: number,
    words: Record<string, string> = {}
  ): Promise<void> {
    this._group = group;
    this._words = words;
    const id = runId ?? group.latest?.id;
    this.node.dataset.name = group.name;
    this.node.dataset.key = group.key;
    this.node.setAttribute('aria-label', `Check: ${group.label}`);
    const back = el(
      'button',
      {
        type: 'button',
        class: 'aios-button aios-back',
        'data-testid': 'aios-checks-back',
        title: 'Back to the checks (Escape)'
      },
      '‹ Checks'
    );
    back.addEventListener('click', () => this._onBack());
    this._report = el('div', { class: 'aios-check-report' });
    this._newer = el('div', { class: 'aios-check-newer-slot' });
    const parts: (Node | null)[] = [
      el('div', { class: 'aios-dataset-bar' }, back),
      this._newer,
      el(
        'h3',
        { class: 'aios-check-run-title', title: group.name },
        statusBadge(group.status, words[group.status]),
        ' ',
        group.label
      ),
      group.description
        ? el('p', { class: 'aios-check-description' }, group.description)
        : null,
      group.history.length > 1
        ? el(
            'div',
            { class: 'aios-check-history-row' },
            el('span', { class: 'aios-check-history-label' }, 'History'),
            historyStrip(group.history, {
              words,
              current: id,
              onPick: point => void this.open(group, point.id, words)
            })
          )
        : null,
      this._report
    ];
    this.node.replaceChildren(...parts.filter((n): n is Node => n !== null));
    this.node.scrollTop = 0;
    if (id === undefined) {
      this._report.replaceChildren(emptyNote('This check has not run yet.'));
      return;
    }
    this._report.replaceChildren(loadingNote('Loading the run…'));
    const outcome = await this._loader.load(() => fetchCheckReport(id));
    if (!outcome) {
      return;
    }
    this.node.dataset.status = outcome.ok ? outcome.value.run.status : 'error';
    this._report.replaceChildren(
      outcome.ok
        ? this._renderReport(outcome.value)
        : errorBox('Cannot load this run', outcome.message)
    );
  }

  /**
   * A newer run of the open check was recorded: offer it, without
   * replacing what the user reads.
   */
  offerNewer(group: CheckGroup): void {
    if (!this._group || group.key !== this._group.key) {
      return;
    }
    const shown = this._group.latest?.id;
    if (!group.latest || group.latest.id === shown) {
      return;
    }
    const show = el(
      'button',
      {
        type: 'button',
        class: 'aios-button aios-check-newer',
        'data-testid': 'aios-check-newer'
      },
      'Show the newest run'
    );
    show.addEventListener(
      'click',
      () => void this.open(group, undefined, this._words)
    );
    this._newer.replaceChildren(
      el(
        'p',
        { class: 'aios-check-newer-note', role: 'status' },
        `A newer run was recorded (${this._words[group.status] ?? group.status}). `,
        show
      )
    );
  }

  dispose(): void {
    this._loader.dispose();
    super.dispose();
  }

  private _renderReport(report: CheckReport): HTMLElement {
    const run = report.run;
    const meta = el('dl', { class: 'aios-meta' });
    const add = (label: string, value: Node | string | null | undefined) => {
      if (value !== null && value !== undefined && value !== '') {
        meta.append(el('dt', {}, label), el('dd', {}, value));
      }
    };
    add(
      'Run',
      `${run.id}${run.required ? ' (required: a failure blocks promotion)' : ''}`
    );
    add('Datasets', run.datasets.length ? run.datasets.join(', ') : '—');
    add('Run by', run.user);
    add('When', timeElement(run.at));
    add(
      'Took',
      typeof run.duration_s === 'number' ? formatDuration(run.duration_s) : null
    );
    add('Notebook', run.notebook);
    add('Job run', run.job_run_id !== null ? String(run.job_run_id) : null);
    add('MLflow run', run.mlflow_run_id);
    const body: (Node | null)[] = [
      el(
        'p',
        {
          class: 'aios-check-verdict',
          'data-testid': 'aios-check-verdict'
        },
        statusBadge(run.status, this._words[run.status]),
        ' ',
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
        : null
    ];
    if (report.drift) {
      body.push(driftReportView(report.drift));
    } else {
      const rows = report.rows ?? [];
      body.push(
        el(
          'h4',
          { class: 'aios-check-items-title' },
          `Items (${rows.length}), failing first`
        ),
        rows.length
          ? el(
              'ul',
              { class: 'aios-check-items', 'aria-label': 'Check items' },
              ...rows.map(row => itemRow(row, this._words))
            )
          : emptyNote('This run recorded no items.')
      );
    }
    return el(
      'div',
      {
        class: 'aios-check-run',
        'data-testid': 'aios-check-report',
        'data-id': String(run.id)
      },
      ...body.filter((n): n is Node => n !== null)
    );
  }

  private readonly _onBack: () => void;
  private readonly _loader = new Loader({ busy: this.node });
  private _group: CheckGroup | null = null;
  private _words: Record<string, string> = {};
  private _report: HTMLElement = el('div');
  private _newer: HTMLElement = el('div');
}
