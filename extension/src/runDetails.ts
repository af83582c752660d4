import { RunSummary } from './api';
import { formatValue, statusBadge } from './checkRunView';
import { el, emptyNote, sentence, tableHead } from './dom';
import { durationText } from './runsTableModel';

/** Metrics and parameters shown on a run's summary line before "…". */
const SUMMARY_ITEMS = 3;

/** `key=value · …` of the first few entries, for a run's summary line. */
export function summaryOf(values: Record<string, unknown>): string {
  const entries = Object.entries(values).sort(([a], [b]) => a.localeCompare(b));
  const shown = entries
    .slice(0, SUMMARY_ITEMS)
    .map(([key, value]) => `${key}=${formatValue(value)}`);
  return shown.join(' · ') + (entries.length > SUMMARY_ITEMS ? ' · …' : '');
}

function keyValueTable(
  label: string,
  values: Record<string, unknown>,
  numeric: boolean
): HTMLElement {
  const keys = Object.keys(values).sort();
  if (keys.length === 0) {
    return emptyNote(`No ${label.toLowerCase()}.`);
  }
  return el(
    'table',
    { class: 'aios-table aios-run-values', 'aria-label': label },
    tableHead(label, 'Value'),
    el(
      'tbody',
      {},
      ...keys.map(key =>
        el(
          'tr',
          { 'data-name': key },
          el('th', { scope: 'row' }, key),
          el(
            'td',
            { class: numeric ? 'aios-num' : undefined },
            formatValue(values[key])
          )
        )
      )
    )
  );
}

/**
 * A run's details: identity, parameters, metrics, the datasets it read
 * and its checks (shown when its row is expanded).
 */
export function runDetails(
  run: RunSummary,
  links: HTMLElement | null = null
): HTMLElement {
  const meta = el('dl', { class: 'aios-meta' });
  const add = (label: string, value: string | null | undefined) => {
    if (value) {
      meta.append(el('dt', {}, label), el('dd', {}, value));
    }
  };
  add('Run id', run.id);
  add('Experiment', run.experiment);
  add('Notebook', run.notebook);
  add('Duration', durationText(run));
  const checks = run.checks?.items ?? [];
  return el(
    'div',
    { class: 'aios-run-details' },
    meta,
    links,
    run.withheld
      ? el(
          'p',
          { class: 'aios-withheld', 'data-testid': 'aios-run-withheld' },
          sentence(run.withheld)
        )
      : null,
    keyValueTable('Parameters', run.params, false),
    keyValueTable('Metrics', run.metrics, true),
    el('h5', { class: 'aios-run-details-title' }, 'Datasets read'),
    run.datasets.length
      ? el(
          'ul',
          { class: 'aios-run-datasets-list' },
          ...run.datasets.map(d =>
            el(
              'li',
              {},
              el('code', {}, d.name),
              d.context ? ` (${d.context})` : '',
              d.digest
                ? el(
                    'span',
                    { class: 'aios-muted', title: d.digest },
                    ` · ${d.digest.slice(0, 10)}`
                  )
                : null
            )
          )
        )
      : emptyNote('No governed read was logged.'),
    el('h5', { class: 'aios-run-details-title' }, 'Checks'),
    checks.length
      ? el(
          'ul',
          { class: 'aios-run-checks' },
          ...checks.map(c => el('li', {}, statusBadge(c.status), ' ', c.name))
        )
      : emptyNote('No check was logged with this run.')
  );
}
