import { INotebookTracker } from '@jupyterlab/notebook';
import { Message } from '@lumino/messaging';
import { Panel, Widget } from '@lumino/widgets';

import { reloadButton } from './buttons';
import { LedgerRun } from './api';
import {
  CheckGroup,
  CheckOverview,
  ICheckFilters,
  fetchCheckOverview,
  fetchNewestCheckId
} from './checkApi';
import { checkGroupRow } from './checkGroupRow';
import { CheckRunView } from './checkRunView';

// the ledger's history, read by the dataset view too
export { CHECKS_PAGE_SIZE, fetchCheckHistory } from './checkApi';
export type { ICheckHistoryQuery } from './checkApi';
import { el, emptyNote, errorBox, loadingNote } from './dom';
import { IVisiblePoll, Loader, pollWhileVisible } from './loader';

/** Delay between the last keystroke in the dataset filter and the request, in milliseconds. */
const FILTER_DELAY = 300;

/** How often the open tab asks whether a newer run was recorded, in milliseconds. */
export const CHECKS_POLL_INTERVAL = 2500;

/** Check kinds the filter offers (monitors are drift checks). */
const KINDS: [string, string][] = [
  ['quality', 'Quality suites'],
  ['drift', 'Drift checks and monitors'],
  ['fairness', 'Fairness checks'],
  ['explain', 'Model explanations']
];

/** Options of {@link ChecksPanel}. */
export interface IChecksPanelOptions {
  /** How often to ask for newer runs while shown (default {@link CHECKS_POLL_INTERVAL}); 0: never. */
  pollInterval?: number;
}

/**
 * The Checks section, next to Evidently's report: every check the user may
 * see grouped by kind (quality suites, drift checks, monitors, fairness,
 * explanations), each with its latest verdict and a history strip; a check
 * opens on its newest run in words. Filtered by dataset, kind or the active
 * notebook (by the service). While shown it asks every few seconds whether
 * a newer run was recorded (by a job, a notebook, the CLI) and redraws in
 * place, keeping the scroll position, the focus and an open check.
 */
export class ChecksPanel extends Panel {
  constructor(
    notebooks: INotebookTracker | null = null,
    options: IChecksPanelOptions = {}
  ) {
    super();
    this.addClass('aios-checks-panel');
    this.node.dataset.testid = 'aios-checks-tab';
    this._notebooks = notebooks;

    this._thisNotebook = el('input', {
      type: 'checkbox',
      'data-testid': 'aios-checks-this-notebook'
    });
    this._thisNotebook.addEventListener('change', () => void this.reload());
    this._notebookLabel = el('span', { class: 'aios-checks-notebook-path' });
    this._dataset = el('input', {
      type: 'search',
      class: 'aios-search jp-mod-styled',
      placeholder: 'Dataset (source.schema.table)',
      'aria-label': 'Filter by dataset',
      'data-testid': 'aios-checks-dataset'
    });
    this._dataset.addEventListener('input', () => this._scheduleReload());
    this._kind = el(
      'select',
      {
        class: 'aios-checks-kind',
        'aria-label': 'Filter by kind',
        'data-testid': 'aios-checks-kind'
      },
      el('option', { value: '' }, 'All checks'),
      ...KINDS.map(([kind, label]) => el('option', { value: kind }, label))
    );
    this._kind.addEventListener('change', () => void this.reload());
    const refresh = reloadButton(
      'the checks',
      () => void this.reload(),
      'aios-checks-refresh'
    );

    this._summary = el('p', {
      class: 'aios-checks-summary',
      'data-testid': 'aios-checks-summary',
      'aria-live': 'polite'
    });
    this._message = el('div', { class: 'aios-checks-message' });
    this._groups = el('div', { class: 'aios-check-groups' });

    this._filters = new Widget({
      node: el(
        'div',
        {
          class: 'aios-checks-filters',
          role: 'group',
          'aria-label': 'Check filters'
        },
        el(
          'div',
          { class: 'aios-data-toolbar' },
          this._dataset,
          this._kind,
          refresh
        ),
        el(
          'label',
          {
            class: 'aios-checks-notebook',
            title: 'Only checks recorded by the active notebook'
          },
          this._thisNotebook,
          ' This notebook ',
          this._notebookLabel
        )
      )
    });
    this._body = new Widget({
      node: el(
        'div',
        { class: 'aios-checks-body' },
        this._summary,
        this._message,
        this._groups
      )
    });
    this._view = new CheckRunView(() => this.showList());
    this.addWidget(this._filters);
    this.addWidget(this._body);
    this.addWidget(this._view);
    this._view.hide();
    this._message.replaceChildren(loadingNote('Loading checks…'));

    notebooks?.currentChanged.connect(this._onNotebookChanged, this);
    this._onNotebookChanged();
    const interval = options.pollInterval ?? CHECKS_POLL_INTERVAL;
    this._poll =
      interval > 0
        ? pollWhileVisible(this, interval, () => this._refreshIfChanged())
        : null;
  }

  /** The checks shown, as the service grouped them (null before the first load). */
  get overview(): CheckOverview | null {
    return this._overview;
  }

  /**
   * Load the checks again with the current filters. `quiet`: keep showing
   * the current ones until the answer arrives (a poll found a newer run).
   */
  async reload(quiet = false): Promise<void> {
    if (!quiet || !this._overview) {
      this._message.replaceChildren(loadingNote('Loading checks…'));
    }
    const filters = this._filters_();
    const outcome = await this._loader.load(() =>
      Promise.all([fetchCheckOverview(filters), fetchNewestCheckId(filters)])
    );
    if (!outcome) {
      return;
    }
    if (outcome.ok) {
      [this._overview, this._seenNewest] = outcome.value;
      const open = this._view.group?.key;
      const now = this._overview.checks.find(g => g.key === open);
      if (now && this._view.isVisible) {
        this._view.offerNewer(now);
      }
    } else if (!quiet) {
      this._overview = null;
    }
    this._render(quiet && !outcome.ok ? null : this._loader.error);
  }

  /**
   * Show a check on its newest run (or `runId`) in place of the list.
   */
  openCheck(group: CheckGroup, runId?: number): void {
    this._filters.hide();
    this._body.hide();
    this._view.show();
    void this._view.open(group, runId, this._overview?.words ?? {});
    this._view.node.focus();
  }

  /**
   * Show the check of ledger run `run` on that run (an alert's cause opens here).
   */
  openRun(run: LedgerRun): void {
    const key = `${run.kind}:${run.name}`;
    const known = this._overview?.checks.find(g => g.key === key);
    const category = run.name.startsWith('monitor:') ? 'monitor' : run.kind;
    const group: CheckGroup = known ?? {
      key,
      category: ([
        'quality',
        'drift',
        'monitor',
        'fairness',
        'explain'
      ].includes(category)
        ? category
        : 'quality') as CheckGroup['category'],
      label: run.label,
      name: run.name,
      datasets: run.datasets,
      latest: {
        id: run.id,
        at: run.at,
        status: run.status,
        user: run.user,
        verdict: run.verdict,
        notebook: run.notebook,
        kind: run.kind,
        required: run.required
      },
      status: run.status,
      history: [{ id: run.id, at: run.at, status: run.status }],
      runs: 1,
      failed_runs: run.passed ? 0 : 1,
      description: ''
    };
    this.openCheck(group, run.id);
  }

  /**
   * Back to the filters and the list, focus on the check that was open.
   */
  showList(): void {
    const key = this._view.group?.key;
    this._view.hide();
    this._filters.show();
    this._body.show();
    this._groupButton(key)?.focus();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._notebooks?.currentChanged.disconnect(this._onNotebookChanged, this);
    if (this._timer !== null) {
      window.clearTimeout(this._timer);
    }
    this._poll?.dispose();
    this._loader.dispose();
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    if (this._loader.stale) {
      void this.reload();
    }
  }

  /** A poll: reload quietly when a run newer than the ones shown was recorded. */
  private async _refreshIfChanged(): Promise<void> {
    if (this._loader.stale || this.node.hasAttribute('aria-busy')) {
      return; // the first load, or a load in flight, answers anyway
    }
    const newest = await fetchNewestCheckId(this._filters_());
    if (newest !== this._seenNewest) {
      await this.reload(true);
    }
  }

  private _filters_(): ICheckFilters {
    const path = this._notebookPath();
    return {
      dataset: this._dataset.value.trim() || undefined,
      kind: this._kind.value || undefined,
      notebook: this._thisNotebook.checked && path ? path : undefined
    };
  }

  private _scheduleReload(): void {
    if (this._timer !== null) {
      window.clearTimeout(this._timer);
    }
    this._timer = window.setTimeout(() => {
      this._timer = null;
      void this.reload();
    }, FILTER_DELAY);
  }

  private _notebookPath(): string {
    return this._notebooks?.currentWidget?.context.path ?? '';
  }

  private _onNotebookChanged(): void {
    const path = this._notebookPath();
    const was = this._thisNotebook.checked;
    this._thisNotebook.disabled = !path;
    if (!path) {
      this._thisNotebook.checked = false;
    }
    this._notebookLabel.textContent = path ? `(${path})` : '(no notebook open)';
    if (was && !this._loader.stale) {
      void this.reload();
    }
  }

  private _groupButton(key: string | undefined): HTMLElement | null {
    if (!key) {
      return null;
    }
    return (
      [...this._groups.querySelectorAll<HTMLElement>('.aios-check-group')]
        .find(row => row.dataset.key === key)
        ?.querySelector('button') ?? null
    );
  }

  /** Draw the checks; the scroll position and the focused check survive a redraw. */
  private _render(error: string | null): void {
    if (error !== null) {
      this._groups.replaceChildren();
      this._summary.textContent = '';
      this._message.replaceChildren(errorBox('Cannot load the checks', error));
      return;
    }
    const overview = this._overview;
    if (!overview) {
      return;
    }
    const focused = (
      document.activeElement?.closest('.aios-check-group') as HTMLElement | null
    )?.dataset.key;
    const scrolled = [this.node, this._body.node].map(n => n.scrollTop);

    const titles = overview.titles;
    const sections: HTMLElement[] = [];
    let current: HTMLUListElement | null = null;
    let category = '';
    for (const group of overview.checks) {
      if (group.category !== category || !current) {
        category = group.category;
        const count = overview.summary.by_category[category];
        const failing = count?.failed ? `, ${count.failed} failing` : '';
        current = el('ul', {
          class: 'aios-check-group-list',
          'aria-label': titles[category] ?? category
        });
        sections.push(
          el(
            'section',
            { class: 'aios-check-category', 'data-category': category },
            el(
              'h3',
              { class: 'aios-check-category-title' },
              `${titles[category] ?? category} (${count?.checks ?? 0}${failing})`
            ),
            current
          )
        );
      }
      current.appendChild(
        checkGroupRow(group, overview.words, () => this.openCheck(group))
      );
    }
    this._groups.replaceChildren(...sections);
    this._summary.textContent = overview.checks.length
      ? overview.summary.sentence
      : '';
    const filtered =
      this._dataset.value.trim() ||
      this._kind.value ||
      this._thisNotebook.checked;
    this._message.replaceChildren(
      ...(overview.checks.length
        ? []
        : [
            emptyNote(
              this._thisNotebook.checked
                ? `No check was recorded by ${this._notebookPath()}.`
                : filtered
                  ? 'No check matches these filters. Dataset names are exact (source.schema.table).'
                  : 'No checks have run yet. Run `aios check quality` or wb.quality(...) in a notebook.'
            )
          ])
    );
    [this.node, this._body.node].forEach((n, i) => (n.scrollTop = scrolled[i]));
    if (focused) {
      this._groupButton(focused)?.focus();
    }
  }

  private readonly _notebooks: INotebookTracker | null;
  private readonly _thisNotebook: HTMLInputElement;
  private readonly _notebookLabel: HTMLSpanElement;
  private readonly _dataset: HTMLInputElement;
  private readonly _kind: HTMLSelectElement;
  private readonly _summary: HTMLParagraphElement;
  private readonly _message: HTMLDivElement;
  private readonly _groups: HTMLDivElement;
  private readonly _filters: Widget;
  private readonly _body: Widget;
  private readonly _view: CheckRunView;
  private readonly _loader = new Loader({ busy: this.node });
  private readonly _poll: IVisiblePoll | null;
  private _overview: CheckOverview | null = null;
  private _seenNewest: number | null = null;
  private _timer: number | null = null;
}
