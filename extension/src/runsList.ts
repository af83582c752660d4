/**
 * The sidebar's list of runs, newest first. Each run has a checkbox to compare it and a
 * summary (status, name, checks, who and when, key metrics and params)
 * that opens on the run's details, built the first time it opens.
 */
import { RunSummary } from './api';
import { toneBadge } from './badges';
import { el, emptyNote, errorBox, loadingNote } from './dom';
import { checksBadge } from './runCompare';
import { runDetails, summaryOf } from './runDetails';
import { runLinks } from './runLinks';
import { RunsLoader, loadMoreButton } from './runsLoader';
import { RunSelection } from './runsSelection';
import { uniqueLabels } from './runsTableModel';
import { timeElement } from './time';

/**
 * The body of the sidebar's Runs section: a message (loading, empty, an
 * error), the runs, and "Load more". Re-rendering keeps the scroll
 * position and which runs are open.
 */
export class RunsList {
  constructor(loader: RunsLoader, selection: RunSelection) {
    this._loader = loader;
    this._selection = selection;
    this._message = el('div', { class: 'aios-runs-message' });
    this._list = el('ul', { class: 'aios-runs', 'aria-label': 'Runs' });
    this._more = loadMoreButton(loader, this._message, 'aios-runs-more');
    this.node = el(
      'div',
      { class: 'aios-runs-body' },
      this._message,
      this._list,
      this._more
    );
    this.loading();
  }

  /** Scrolls; holds the message, the runs and "Load more". */
  readonly node: HTMLDivElement;

  /** Say the runs are loading (what is listed stays until they come). */
  loading(): void {
    this._more.hidden = true;
    this._message.replaceChildren(loadingNote('Loading runs…'));
  }

  /**
   * Show the loaded runs, or why they could not load.
   *
   * @param notebook - the notebook whose runs are shown (null: every notebook)
   */
  render(notebook: string | null): void {
    const error = this._loader.error;
    if (error !== null) {
      this._list.replaceChildren();
      this._more.hidden = true;
      this._message.replaceChildren(errorBox('Cannot load the runs', error));
      return;
    }
    const runs = this._loader.runs;
    const scroll = this.node.scrollTop;
    const open = new Set(
      [...this._list.querySelectorAll<HTMLElement>('li.aios-run')]
        .filter(li => li.querySelector('details')?.open)
        .map(li => li.dataset.id ?? '')
    );
    const labels = uniqueLabels(runs);
    this._list.replaceChildren(
      ...runs.map(run => {
        const label = labels.get(run.id) ?? run.id;
        const select = this._selection.checkbox(run.id, label, {
          testid: 'aios-run-select',
          class: 'aios-run-select'
        });
        return runListItem(run, label, select, open.has(run.id), () =>
          runLinks(
            run,
            label,
            this._loader.mlflowUi,
            this._loader.versions.get(run.id)
          )
        );
      })
    );
    this.node.scrollTop = scroll;
    this._more.hidden = !this._loader.next;
    this._message.replaceChildren(
      ...(runs.length === 0
        ? [
            emptyNote(
              notebook
                ? `No run was tracked from ${notebook}. Wrap training code in \`with wb.run("name"):\` and run it.`
                : 'No run was tracked yet. Use `with wb.run("name"):` in a notebook.'
            )
          ]
        : [])
    );
  }

  private readonly _loader: RunsLoader;
  private readonly _selection: RunSelection;
  private readonly _message: HTMLDivElement;
  private readonly _list: HTMLUListElement;
  private readonly _more: HTMLButtonElement;
}

/**
 * The list item of `run`, shown as `label`.
 *
 * @param select - its checkbox for comparison
 * @param opened - whether it starts open (it was open before a re-render)
 * @param links - where the run goes on (MLflow, registered versions)
 */
function runListItem(
  run: RunSummary,
  label: string,
  select: HTMLInputElement,
  opened: boolean,
  links: () => HTMLElement | null
): HTMLLIElement {
  const details = el(
    'details',
    { class: 'aios-run-more' },
    runSummaryLine(run, label)
  );
  let filled = false;
  const fill = () => {
    if (details.open && !filled) {
      filled = true;
      details.appendChild(runDetails(run, links()));
    }
  };
  details.addEventListener('toggle', fill);
  if (opened) {
    details.open = true;
    fill();
  }
  return el(
    'li',
    {
      class: 'aios-run',
      'data-testid': 'aios-run',
      'data-id': run.id,
      'data-name': run.name ?? '',
      'data-status': run.status
    },
    select,
    details
  );
}

/** What a closed run shows: status, name and checks; who and when; key metrics and params. */
function runSummaryLine(run: RunSummary, label: string): HTMLElement {
  const when = run.start_time ? timeElement(run.start_time) : null;
  return el(
    'summary',
    {
      class: 'aios-run-summary',
      'aria-label': `${label}: ${run.status}. Show details`
    },
    el(
      'span',
      { class: 'aios-check-run-line' },
      toneBadge(run.status.toLowerCase()),
      el('span', { class: 'aios-check-run-name aios-run-name' }, label),
      checksBadge(run)
    ),
    el(
      'span',
      { class: 'aios-check-run-meta' },
      el('span', {}, run.user ?? ''),
      when
    ),
    Object.keys(run.metrics).length
      ? el(
          'span',
          { class: 'aios-run-line aios-run-metrics' },
          summaryOf(run.metrics)
        )
      : null,
    Object.keys(run.params).length
      ? el('span', { class: 'aios-run-line aios-muted' }, summaryOf(run.params))
      : null
  );
}
