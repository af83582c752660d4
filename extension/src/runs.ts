import { INotebookTracker } from '@jupyterlab/notebook';
import { Message } from '@lumino/messaging';
import { Panel, Widget } from '@lumino/widgets';

import { RunSummary } from './api';
import { el } from './dom';
import { RunCompareView } from './runCompare';
import { RunsList } from './runsList';
import { RunsLoader } from './runsLoader';
import { RunsScope } from './runsScope';
import { RunSelection } from './runsSelection';
import { uniqueLabels } from './runsTableModel';

/**
 * The Runs section: the MLflow runs of the active notebook (or of every
 * notebook), newest first and paged; each opens on its parameters,
 * metrics, datasets and checks; two or more selected are compared.
 * While visible it polls for new or changed runs and shows them in place;
 * `openTable` opens the full runs table in the main area.
 */
export class RunsPanel extends Panel {
  constructor(
    notebooks: INotebookTracker | null = null,
    openTable?: (notebook: string | null) => void
  ) {
    super();
    this.addClass('aios-runs-panel');
    this.node.dataset.testid = 'aios-runs-tab';
    this._notebooks = notebooks;
    this._loader = new RunsLoader({
      widget: this,
      notebook: () => this._scope.filter(),
      show: () => this._render(),
      paused: () => this._view.isVisible
    });
    this._selection = new RunSelection('aios-runs-compare', () =>
      this.compareSelected()
    );

    this._scope = new RunsScope(
      'aios-runs-scope',
      () => this._notebookPath(),
      () => void this.reload()
    );
    this._scopeNote = el('p', {
      class: 'aios-runs-scope-note',
      'data-testid': 'aios-runs-notebook'
    });
    this._runsList = new RunsList(this._loader, this._selection);

    this._header = new Widget({
      node: el(
        'div',
        {
          class: 'aios-runs-filters',
          role: 'group',
          'aria-label': 'Run filters'
        },
        el(
          'div',
          { class: 'aios-data-toolbar' },
          ...this._scope.controls('aios-runs-refresh'),
          openTableButton(openTable, () => this._scope.filter())
        ),
        this._scopeNote
      )
    });
    this._body = new Widget({ node: this._runsList.node });
    const clear = el(
      'button',
      { type: 'button', class: 'aios-button' },
      'Clear'
    );
    clear.addEventListener('click', () => this._selection.clear());
    this._footer = new Widget({
      node: el(
        'div',
        { class: 'aios-runs-actions' },
        this._selection.status,
        clear,
        this._selection.compareButton
      )
    });
    this._view = new RunCompareView(() => this.showList(), {
      mlflowUi: () => this._loader.mlflowUi,
      versions: () => this._loader.versions
    });
    this.addWidget(this._header);
    this.addWidget(this._body);
    this.addWidget(this._footer);
    this.addWidget(this._view);
    this._view.hide();

    notebooks?.currentChanged.connect(this._onNotebookChanged, this);
  }

  /** Runs loaded so far, newest first (none after a failed load). */
  get runs(): readonly RunSummary[] {
    return this._shown();
  }

  /**
   * Load the first page again for the current scope; a quiet reload keeps
   * what is shown until the answer comes.
   */
  async reload(quiet = false): Promise<void> {
    if (!quiet) {
      this._runsList.loading();
    }
    this._updateScopeNote();
    await this._loader.reload(quiet);
  }

  /**
   * Compare the selected runs (2 to 10) in place of the list.
   */
  compareSelected(): void {
    const runs = this._shown();
    const ids = runs.filter(r => this._selection.has(r.id)).map(r => r.id);
    if (ids.length < 2) {
      return;
    }
    this._header.hide();
    this._body.hide();
    this._footer.hide();
    this._view.show();
    this._view.node.focus();
    void this._view.open(ids, uniqueLabels(runs));
  }

  /**
   * Back to the list.
   */
  showList(): void {
    this._view.hide();
    this._header.show();
    this._body.show();
    this._footer.show();
    this._selection.compareButton.focus();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._notebooks?.currentChanged.disconnect(this._onNotebookChanged, this);
    this._loader.dispose();
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    if (this._loader.stale) {
      void this.reload();
    }
  }

  /** The runs listed: none while the newest load failed. */
  private _shown(): RunSummary[] {
    return this._loader.error === null ? this._loader.runs : [];
  }

  private _notebookPath(): string {
    return this._notebooks?.currentWidget?.context.path ?? '';
  }

  private _updateScopeNote(): void {
    const path = this._notebookPath();
    if (!this._scope.oneNotebook) {
      this._scopeNote.textContent = 'Runs of every notebook and script.';
    } else if (path) {
      this._scopeNote.textContent = `Runs of ${path}`;
    } else {
      this._scopeNote.textContent =
        'No notebook is open: showing the runs of every notebook.';
    }
  }

  private _onNotebookChanged(): void {
    if (!this._scope.oneNotebook) {
      return;
    }
    if (this.isVisible) {
      void this.reload();
    } else {
      this._loader.markStale();
    }
  }

  private _render(): void {
    this._selection.keepOnly(this._shown().map(r => r.id));
    this._runsList.render(this._scope.filter());
  }

  private readonly _notebooks: INotebookTracker | null;
  private readonly _loader: RunsLoader;
  private readonly _selection: RunSelection;
  private readonly _scope: RunsScope;
  private readonly _scopeNote: HTMLParagraphElement;
  private readonly _runsList: RunsList;
  private readonly _header: Widget;
  private readonly _body: Widget;
  private readonly _footer: Widget;
  private readonly _view: RunCompareView;
}

/** "Open table": the runs as a table in the main area; hidden without `open`. */
function openTableButton(
  open: ((notebook: string | null) => void) | undefined,
  notebook: () => string | null
): HTMLButtonElement {
  const button = el(
    'button',
    {
      type: 'button',
      class: 'aios-button',
      title: 'Open the runs as a table in the main area',
      'data-testid': 'aios-runs-open-table'
    },
    'Open table'
  );
  button.addEventListener('click', () => open?.(notebook()));
  button.hidden = !open;
  return button;
}
