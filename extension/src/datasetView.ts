import { INotebookTracker } from '@jupyterlab/notebook';
import { Widget } from '@lumino/widgets';

import { Dataset, DatasetView as DatasetAccess } from './api';
import { IDataClient } from './catalog';
import { DatasetChecksSection, LineageSection } from './datasetActivity';
import { loadSamples } from './datasetSamples';
import { accessNotes, compactSchema } from './datasetSchema';
import { el, errorBox, formatCount, loadingNote } from './dom';
import { insertBlocker, insertQueryCell } from './insert';
import { Loader } from './loader';

/**
 * Options of {@link DatasetView}.
 */
export interface IDatasetViewOptions {
  client: IDataClient;
  notebooks: INotebookTracker | null;
  /** Show a widget in the shell (the notebook after inserting a query). */
  activate: (id: string) => void;
  /** Go back to the dataset list. */
  onBack: () => void;
  /** Open the dataset full page in the main area (absent: no button). */
  openPage?: (dataset: Dataset) => void;
}

function badge(text: string, kind: string, title?: string): HTMLElement {
  return el('span', { class: `aios-badge aios-badge-${kind}`, title }, text);
}

/** A collapsible section of a dataset view (sidebar and full page). */
export function section(
  title: string,
  body: Node,
  testid?: string
): HTMLElement {
  return el(
    'details',
    { class: 'aios-section', open: '', 'data-testid': testid },
    el('summary', { class: 'aios-section-title' }, title),
    body
  );
}

/**
 * One dataset: what it is (description, owners, tags), what the user sees
 * of it (schema with classification and mask badges, the row filter),
 * a masked preview, a profile, its lineage, the checks recorded on it and
 * "Insert query".
 */
export class DatasetView extends Widget {
  constructor(options: IDatasetViewOptions) {
    super();
    this._options = options;
    this.addClass('aios-dataset-view');
    this.node.dataset.testid = 'aios-dataset-view';
    this.node.setAttribute('role', 'region');
    this.node.setAttribute('aria-label', 'Dataset');
    this.node.tabIndex = -1;
    options.notebooks?.currentChanged.connect(this._updateInsert, this);
  }

  /** The dataset shown, if any. */
  get current(): Dataset | null {
    return this._dataset;
  }

  /**
   * Show `dataset` and load what the user sees of it.
   */
  async open(dataset: Dataset): Promise<void> {
    this._dataset = dataset;
    this.node.dataset.name = dataset.name;

    const back = el(
      'button',
      {
        type: 'button',
        class: 'aios-button aios-back',
        'data-testid': 'aios-data-back',
        title: 'Back to the dataset list (Escape)'
      },
      '‹ Datasets'
    );
    back.addEventListener('click', () => this._options.onBack());
    this._insert = el(
      'button',
      {
        type: 'button',
        class: 'aios-button aios-primary',
        'data-testid': 'aios-insert-query'
      },
      'Insert query'
    );
    this._insert.addEventListener('click', () => this._insertQuery());
    this._updateInsert();
    const openPage = this._options.openPage;
    const full = openPage
      ? el(
          'button',
          {
            type: 'button',
            class: 'aios-button',
            'data-testid': 'aios-open-dataset-page',
            title:
              'Open this dataset in the main area: every column, wider tables'
          },
          'Open full page'
        )
      : null;
    full?.addEventListener('click', () => openPage?.(dataset));

    const meta = el('dl', { class: 'aios-meta' });
    const addMeta = (label: string, value: Node | string) => {
      meta.append(el('dt', {}, label), el('dd', {}, value));
    };
    addMeta('Kind', dataset.kind || '—');
    // a row filter's count comes with the profile, in its words ("73 rows you can see (row filter: …)")
    const rows = el(
      'span',
      { 'data-testid': 'aios-view-rows' },
      dataset.row_count === null
        ? 'see Profile'
        : formatCount(dataset.row_count)
    );
    addMeta('Rows', rows);
    addMeta('Owners', dataset.owners.length ? dataset.owners.join(', ') : '—');
    const tags = el('span', { class: 'aios-badges' });
    for (const tag of dataset.tags) {
      tags.appendChild(badge(tag, 'tag'));
    }
    addMeta('Tags', dataset.tags.length ? tags : '—');

    this._access = el(
      'div',
      { class: 'aios-access' },
      loadingNote('Loading schema…')
    );
    this._previewBox = el('div', {}, loadingNote('Waiting for the schema…'));
    this._profileBox = el('div', {}, loadingNote('Waiting for the schema…'));

    const lineage = new LineageSection(dataset.name);
    const checks = new DatasetChecksSection(dataset.name);
    this.node.replaceChildren(
      el('div', { class: 'aios-dataset-bar' }, back, full, this._insert),
      el(
        'h3',
        { class: 'aios-dataset-title', title: dataset.name },
        dataset.name
      ),
      dataset.description
        ? el('p', { class: 'aios-dataset-description' }, dataset.description)
        : el('p', { class: 'aios-empty' }, 'No description.'),
      meta,
      section('Schema', this._access, 'aios-schema'),
      section('Preview', this._previewBox),
      section('Profile', this._profileBox),
      section('Lineage', lineage.node),
      section('Checks', checks.node)
    );
    this.node.scrollTop = 0;
    // Lineage and check history need no schema: they load beside it.
    void lineage.load();
    void checks.load();

    const outcome = await this._schema.load(() =>
      this._options.client.dataset(dataset.name)
    );
    if (!outcome) {
      return; // another dataset was opened meanwhile
    }
    if (!outcome.ok) {
      this._access.replaceChildren(
        errorBox('Cannot load the schema', outcome.message)
      );
      this._previewBox.replaceChildren();
      this._profileBox.replaceChildren();
      return;
    }
    const access = outcome.value;
    this._renderAccess(access);
    await loadSamples(
      this._options.client,
      dataset.name,
      access,
      { preview: this._previewBox, profile: this._profileBox },
      label => {
        rows.textContent = label;
      }
    );
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._options.notebooks?.currentChanged.disconnect(
      this._updateInsert,
      this
    );
    this._schema.dispose();
    super.dispose();
  }

  private _renderAccess(access: DatasetAccess): void {
    this._access.replaceChildren(...accessNotes(access), compactSchema(access));
  }

  private _updateInsert(): void {
    if (!this._insert) {
      return;
    }
    const blocker = insertBlocker(this._options.notebooks);
    this._insert.disabled = blocker !== null;
    this._insert.title =
      blocker ?? 'Insert a wb.sql(...) cell below the active cell';
  }

  private _insertQuery(): void {
    if (this._dataset) {
      void insertQueryCell(
        this._options.notebooks,
        this._dataset.name,
        this._options.activate
      );
    }
  }

  private readonly _options: IDatasetViewOptions;
  private readonly _schema = new Loader();
  private _dataset: Dataset | null = null;
  private _insert: HTMLButtonElement | null = null;
  private _access: HTMLElement = el('div');
  private _previewBox: HTMLElement = el('div');
  private _profileBox: HTMLElement = el('div');
}
