/**
 * What happened around one dataset: its lineage (who and what wrote and
 * read it) and the governance checks recorded on it. Two sections of the
 * dataset view, each loading on its own so one failing never blanks the other.
 */
import { Lineage, LineageGraph, LineageNode } from './api';
import { CHECKS_PAGE_SIZE, fetchCheckHistory } from './checks';
import { formatTime, statusBadge } from './checkRunView';
import { el, errorBox, loadingNote, messageOf, tableHead } from './dom';
import { requestAPI } from './request';

/** How many of the latest check runs the dataset view lists. */
export const DATASET_CHECKS = Math.min(10, CHECKS_PAGE_SIZE);

function nodeItem(node: LineageNode): HTMLElement {
  const item = el('li', { 'data-kind': node.kind, 'data-name': node.name });
  if (node.kind === 'dataset') {
    item.append(
      node.restricted
        ? el('span', { class: 'aios-empty' }, 'a dataset you may not read')
        : el('code', {}, node.name)
    );
    return item;
  }
  item.append(el('span', { class: 'aios-lineage-job' }, node.name));
  const facts: string[] = [`${node.runs} run${node.runs === 1 ? '' : 's'}`];
  if (node.failed_runs) {
    facts.push(`${node.failed_runs} failed`);
  }
  if (node.last_run) {
    facts.push(`last ${formatTime(node.last_run)}`);
  }
  item.append(' ', el('span', { class: 'aios-note' }, `(${facts.join(', ')})`));
  return item;
}

function direction(
  title: string,
  graph: LineageGraph,
  dataset: string,
  testid: string
): HTMLElement {
  const own = `dataset:${dataset.toLowerCase()}`;
  const others = graph.nodes.filter(n => n.id.toLowerCase() !== own);
  const body = others.length
    ? el(
        'ul',
        { class: 'aios-lineage-list', 'aria-label': title },
        ...others.map(nodeItem)
      )
    : null; // the summary says nothing was recorded
  return el(
    'div',
    { 'data-testid': testid },
    el('h4', {}, title),
    el(
      'p',
      { class: 'aios-muted', 'data-testid': 'aios-lineage-summary' },
      graph.summary
    ),
    body
  );
}

/**
 * Upstream (jobs that wrote the dataset and their inputs) and downstream
 * (queries, notebooks and jobs that read it), from the workspace lineage log.
 */
export class LineageSection {
  readonly node = el('div', {
    class: 'aios-lineage',
    'data-testid': 'aios-dataset-lineage'
  });

  constructor(private readonly _dataset: string) {}

  async load(): Promise<void> {
    this.node.replaceChildren(loadingNote('Loading lineage…'));
    try {
      // the service's default depth, as wb.catalog() asks: both show the same counts
      const params = new URLSearchParams({ name: this._dataset });
      const lineage = await requestAPI<Lineage>(`lineage?${params}`);
      this.node.replaceChildren(
        direction(
          'Upstream',
          lineage.upstream,
          lineage.dataset,
          'aios-lineage-upstream'
        ),
        direction(
          'Downstream',
          lineage.downstream,
          lineage.dataset,
          'aios-lineage-downstream'
        )
      );
    } catch (error) {
      this.node.replaceChildren(
        errorBox('Cannot load the lineage', messageOf(error))
      );
    }
  }
}

/**
 * The latest governance checks recorded on the dataset (quality suites,
 * drift, monitors), newest first, from the ledger.
 */
export class DatasetChecksSection {
  readonly node = el('div', {
    class: 'aios-dataset-checks',
    'data-testid': 'aios-dataset-checks'
  });

  constructor(private readonly _dataset: string) {}

  async load(): Promise<void> {
    this.node.replaceChildren(loadingNote('Loading check history…'));
    try {
      const runs = await fetchCheckHistory({
        dataset: this._dataset,
        limit: DATASET_CHECKS
      });
      if (!runs.length) {
        this.node.replaceChildren(
          el(
            'p',
            { class: 'aios-empty' },
            'No checks recorded on this dataset.'
          )
        );
        return;
      }
      const rows = runs.map(run =>
        el(
          'tr',
          { 'data-testid': 'aios-dataset-check', 'data-id': String(run.id) },
          el('td', {}, statusBadge(run.status)),
          el(
            'td',
            {},
            run.name,
            el('span', { class: 'aios-note' }, ` ${run.kind}`)
          ),
          el('td', {}, run.user),
          el('td', { title: run.at }, formatTime(run.at))
        )
      );
      this.node.replaceChildren(
        el(
          'table',
          {
            class: 'aios-table',
            'aria-label': 'Checks recorded on this dataset'
          },
          tableHead('Status', 'Check', 'By', 'When'),
          el('tbody', {}, ...rows)
        )
      );
    } catch (error) {
      this.node.replaceChildren(
        errorBox('Cannot load the check history', messageOf(error))
      );
    }
  }
}
