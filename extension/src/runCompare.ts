import { Widget } from '@lumino/widgets';

import { RunComparison, RunSummary } from './api';
import { toneBadge, toneOf } from './badges';
import { formatTime, formatValue } from './checkRunView';
import { el, emptyNote, errorBox, loadingNote } from './dom';
import { SERIES_COLOURS, lineChart } from './lineChart';
import { Loader } from './loader';
import { compareRuns, runLabel } from './runsApi';

function swatch(index: number): HTMLElement {
  return el('span', {
    class: `aios-swatch aios-series-${index % SERIES_COLOURS}`,
    'aria-hidden': 'true'
  });
}

/** A run's check status as a badge ("no checks" when it logged none); the items are in its tooltip. */
export function checksBadge(run: RunSummary): HTMLElement {
  const checks = run.checks ?? {
    status: 'none',
    passed: 0,
    failed: 0,
    items: []
  };
  const none = checks.status === 'none';
  const badge = toneBadge(
    none ? 'no checks' : `checks ${checks.status}`,
    none ? 'other' : toneOf(checks.status)
  );
  badge.dataset.status = checks.status;
  badge.classList.add('aios-run-checks-badge');
  badge.title = checks.items.length
    ? checks.items.map(i => `${i.name}: ${i.status}`).join('\n')
    : 'No check was logged with this run';
  return badge;
}

function headerRow(runs: RunSummary[], first: string): HTMLElement {
  return el(
    'tr',
    {},
    el('th', { scope: 'col' }, first),
    ...runs.map((run, i) =>
      el('th', { scope: 'col', title: run.id }, swatch(i), ' ', runLabel(run))
    )
  );
}

function legend(runs: RunSummary[]): HTMLElement {
  return el(
    'ul',
    { class: 'aios-compare-legend', 'aria-label': 'Compared runs' },
    ...runs.map((run, i) =>
      el(
        'li',
        { 'data-testid': 'aios-compare-run', 'data-id': run.id },
        swatch(i),
        el('span', { class: 'aios-run-name' }, runLabel(run)),
        toneBadge(run.status.toLowerCase()),
        checksBadge(run),
        el(
          'span',
          { class: 'aios-muted' },
          [run.user, run.start_time ? formatTime(run.start_time) : null]
            .filter(Boolean)
            .join(' · ')
        ),
        run.datasets.length
          ? el(
              'span',
              { class: 'aios-run-datasets' },
              `reads ${run.datasets.map(d => d.name).join(', ')}`
            )
          : null
      )
    )
  );
}

function paramsTable(result: RunComparison): HTMLElement {
  const keys = Object.keys(result.params_diff).sort();
  const same =
    result.params_same > 0
      ? emptyNote(
          `${result.params_same} parameter${result.params_same === 1 ? ' is' : 's are'} the same in every run.`
        )
      : null;
  if (keys.length === 0) {
    return el(
      'div',
      {},
      emptyNote('No parameter differs between these runs.'),
      same
    );
  }
  return el(
    'div',
    {},
    el(
      'div',
      { class: 'aios-preview-scroll' },
      el(
        'table',
        {
          class: 'aios-table aios-compare-params',
          'aria-label': 'Parameters that differ',
          'data-testid': 'aios-compare-params'
        },
        el('thead', {}, headerRow(result.runs, 'Parameter')),
        el(
          'tbody',
          {},
          ...keys.map(key =>
            el(
              'tr',
              { 'data-name': key },
              el('th', { scope: 'row' }, key),
              ...result.runs.map(run => {
                const value = result.params_diff[key][run.id];
                return el(
                  'td',
                  {
                    class:
                      value === null || value === undefined
                        ? 'aios-null'
                        : undefined
                  },
                  value === null || value === undefined ? '—' : value
                );
              })
            )
          )
        )
      )
    ),
    same
  );
}

function metricsTable(runs: RunSummary[]): HTMLElement | null {
  const names = [
    ...new Set(
      ([] as string[]).concat(...runs.map(r => Object.keys(r.metrics)))
    )
  ].sort();
  if (names.length === 0) {
    return null;
  }
  return el(
    'div',
    { class: 'aios-preview-scroll' },
    el(
      'table',
      {
        class: 'aios-table aios-compare-metrics',
        'aria-label': 'Latest metric values',
        'data-testid': 'aios-compare-metrics'
      },
      el('thead', {}, headerRow(runs, 'Metric (latest)')),
      el(
        'tbody',
        {},
        ...names.map(name =>
          el(
            'tr',
            { 'data-name': name },
            el('th', { scope: 'row' }, name),
            ...runs.map(run =>
              el('td', { class: 'aios-num' }, formatValue(run.metrics[name]))
            )
          )
        )
      )
    )
  );
}

function charts(result: RunComparison): HTMLElement {
  const names = Object.keys(result.histories);
  if (names.length === 0) {
    return emptyNote('These runs logged no metrics to plot.');
  }
  const figures = names.map(metric => {
    const histories = result.histories[metric];
    const series = result.runs.map(run => ({
      label: runLabel(run),
      points: histories[run.id] ?? []
    }));
    return el(
      'figure',
      {
        class: 'aios-compare-chart',
        'data-testid': 'aios-compare-chart',
        'data-metric': metric
      },
      el('figcaption', {}, metric),
      lineChart(series, { title: `${metric} by step` })
    );
  });
  return el(
    'div',
    { class: 'aios-compare-charts' },
    ...figures,
    result.truncated
      ? emptyNote(
          `Plotted the first ${names.length} of ${result.metrics.length} metrics; the table above lists them all.`
        )
      : null
  );
}

/**
 * A comparison of a few runs: who ran them and on what, the parameters that
 * differ, the latest metric values and a small chart per metric history.
 */
export class RunCompareView extends Widget {
  constructor(onBack: () => void) {
    super();
    this._onBack = onBack;
    this.addClass('aios-run-compare');
    this.node.dataset.testid = 'aios-run-compare';
    this.node.setAttribute('role', 'region');
    this.node.setAttribute('aria-label', 'Run comparison');
    this.node.tabIndex = -1;
    this.node.addEventListener('keydown', event => {
      if (event.key === 'Escape') {
        event.preventDefault();
        this._onBack();
      }
    });
  }

  /**
   * Fetch and show the comparison of `ids`.
   */
  async open(ids: string[]): Promise<void> {
    this.node.replaceChildren(
      this._bar(),
      loadingNote(`Comparing ${ids.length} runs…`)
    );
    const outcome = await this._loader.load(() => compareRuns(ids));
    if (!outcome) {
      return;
    }
    let body: Node[];
    if (outcome.ok) {
      const result = outcome.value;
      const metrics = metricsTable(result.runs);
      body = [
        el(
          'h3',
          { class: 'aios-compare-title' },
          `Comparing ${result.runs.length} runs`
        ),
        legend(result.runs),
        el('h4', { class: 'aios-subtitle' }, 'Parameters that differ'),
        paramsTable(result),
        ...(metrics
          ? [el('h4', { class: 'aios-subtitle' }, 'Metrics'), metrics]
          : []),
        el('h4', { class: 'aios-subtitle' }, 'Metric histories'),
        charts(result)
      ];
    } else {
      body = [errorBox('Cannot compare these runs', outcome.message)];
    }
    this.node.replaceChildren(this._bar(), ...body);
    this.node.scrollTop = 0;
  }

  private _bar(): HTMLElement {
    const back = el(
      'button',
      {
        type: 'button',
        class: 'aios-button aios-back',
        'data-testid': 'aios-compare-back',
        title: 'Back to the runs (Escape)'
      },
      '‹ Runs'
    );
    back.addEventListener('click', () => this._onBack());
    return el('div', { class: 'aios-dataset-bar' }, back);
  }

  private readonly _onBack: () => void;
  private readonly _loader = new Loader({ busy: this.node });
}
