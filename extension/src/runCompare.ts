import { Widget } from '@lumino/widgets';

import { RunComparison, RunSummary } from './api';
import { toneBadge, toneOf } from './badges';
import { formatValue } from './checkRunView';
import { el, emptyNote, errorBox, loadingNote } from './dom';
import { SERIES_COLOURS } from './lineChart';
import { Loader } from './loader';
import {
  charts,
  historyMetrics,
  parallelSection,
  scatterSection
} from './runCompareCharts';
import { VersionsByRun, runLinks } from './runLinks';
import { compareRuns } from './runsApi';
import { uniqueLabels } from './runsTableModel';
import { formatDate } from './time';

/** Where the comparison's links go: MLflow's UI, and the registered versions by run. */
export interface ICompareLinks {
  mlflowUi(): string | null;
  versions(): VersionsByRun;
}

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

function headerRow(
  runs: RunSummary[],
  first: string,
  labels: Map<string, string>
): HTMLElement {
  return el(
    'tr',
    {},
    el('th', { scope: 'col' }, first),
    ...runs.map((run, i) =>
      el(
        'th',
        { scope: 'col', title: run.id },
        swatch(i),
        ' ',
        labels.get(run.id) ?? run.id
      )
    )
  );
}

function legend(
  runs: RunSummary[],
  labels: Map<string, string>,
  links?: ICompareLinks
): HTMLElement {
  return el(
    'ul',
    { class: 'aios-compare-legend', 'aria-label': 'Compared runs' },
    ...runs.map((run, i) =>
      el(
        'li',
        { 'data-testid': 'aios-compare-run', 'data-id': run.id },
        swatch(i),
        el('span', { class: 'aios-run-name' }, labels.get(run.id) ?? run.id),
        toneBadge(run.status.toLowerCase()),
        checksBadge(run),
        el(
          'span',
          { class: 'aios-muted' },
          [run.user, run.start_time ? formatDate(run.start_time) : null]
            .filter(Boolean)
            .join(' · ')
        ),
        run.datasets.length
          ? el(
              'span',
              { class: 'aios-run-datasets' },
              `reads ${run.datasets.map(d => d.name).join(', ')}`
            )
          : null,
        links
          ? runLinks(
              run,
              labels.get(run.id) ?? run.id,
              links.mlflowUi(),
              links.versions().get(run.id)
            )
          : null
      )
    )
  );
}

function paramsTable(
  result: RunComparison,
  labels: Map<string, string>
): HTMLElement {
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
        el('thead', {}, headerRow(result.runs, 'Parameter', labels)),
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

function metricsTable(
  runs: RunSummary[],
  labels: Map<string, string>
): HTMLElement | null {
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
      el('thead', {}, headerRow(runs, 'Metric (latest)', labels)),
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

export { historyMetrics };

/**
 * A comparison of a few runs: who ran them and on what, the parameters that
 * differ, the latest metric values and a small chart per metric history.
 */
export class RunCompareView extends Widget {
  constructor(onBack: () => void, links?: ICompareLinks) {
    super();
    this._onBack = onBack;
    this._links = links;
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
   * Fetch and show the comparison of `ids` (`known`: their labels in the list).
   */
  async open(ids: string[], known?: Map<string, string>): Promise<void> {
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
      // The labels of the list the runs were picked from, so a run keeps its name here.
      const computed = uniqueLabels(result.runs);
      const labels = new Map(
        result.runs.map(r => [
          r.id,
          known?.get(r.id) ?? computed.get(r.id) ?? r.id
        ])
      );
      const metrics = metricsTable(result.runs, labels);
      const parallel = parallelSection(result, labels);
      const scatter = scatterSection(result, labels);
      body = [
        el(
          'h3',
          { class: 'aios-compare-title' },
          `Comparing ${result.runs.length} runs`
        ),
        legend(result.runs, labels, this._links),
        el('h4', { class: 'aios-subtitle' }, 'Parameters that differ'),
        paramsTable(result, labels),
        ...(metrics
          ? [el('h4', { class: 'aios-subtitle' }, 'Metrics'), metrics]
          : []),
        ...(parallel
          ? [
              el('h4', { class: 'aios-subtitle' }, 'Parallel coordinates'),
              parallel
            ]
          : []),
        ...(scatter
          ? [
              el('h4', { class: 'aios-subtitle' }, 'Metric against metric'),
              scatter
            ]
          : []),
        el('h4', { class: 'aios-subtitle' }, 'Metric histories'),
        charts(result, labels)
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
  private readonly _links: ICompareLinks | undefined;
  private readonly _loader = new Loader({ busy: this.node });
}
