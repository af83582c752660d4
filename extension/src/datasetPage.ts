/**
 * A dataset full page in JupyterLab's main area (next to DataHub's and Unity
 * Catalog's dataset pages): what it is, what the user may see of it and why
 * (each rule in its words), the schema with what each column holds,
 * classification confidence and evidence, the masked preview with every
 * column, the profile, lineage, check history and "Insert query". The
 * sidebar keeps its compact view; this one opens from it.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { MainAreaWidget } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';
import { Widget } from '@lumino/widgets';

import { Dataset } from './api';
import { IDataClient, restDataClient } from './catalog';
import { DatasetChecksSection, LineageSection } from './datasetActivity';
import { loadSamples } from './datasetSamples';
import { accessNotes, fullSchema } from './datasetSchema';
import { section } from './datasetView';
import { el, errorBox, formatCount, loadingNote } from './dom';
import { insertBlocker, insertQueryCell } from './insert';
import { Loader } from './loader';

/**
 * Options of {@link DatasetPage}.
 */
export interface IDatasetPageOptions {
  dataset: Dataset;
  client?: IDataClient;
  notebooks: INotebookTracker | null;
  /** Show a widget in the shell (the notebook after inserting a query). */
  activate: (id: string) => void;
}

/** The main-area id of a dataset's page. */
export function datasetPageId(name: string): string {
  return `aios-dataset-page-${name.replace(/[^A-Za-z0-9_.-]/g, '_')}`;
}

/**
 * The content of a dataset's main-area page.
 */
export class DatasetPage extends Widget {
  constructor(options: IDatasetPageOptions) {
    super();
    this._options = options;
    this._client = options.client ?? restDataClient;
    this.addClass('aios-dataset-page');
    this.node.dataset.testid = 'aios-dataset-page';
    this.node.dataset.name = options.dataset.name;
    this.node.setAttribute('role', 'region');
    this.node.setAttribute('aria-label', `Dataset ${options.dataset.name}`);
    options.notebooks?.currentChanged.connect(this._updateInsert, this);
  }

  /** The dataset shown. */
  get shown(): Dataset {
    return this._options.dataset;
  }

  /**
   * Render the page and load what the user sees of the dataset.
   */
  async load(): Promise<void> {
    const dataset = this._options.dataset;
    this._insert.replaceChildren('Insert query');
    this._insert.onclick = () =>
      void insertQueryCell(
        this._options.notebooks,
        dataset.name,
        this._options.activate
      );
    this._updateInsert();
    const reload = el(
      'button',
      { type: 'button', class: 'aios-button', title: 'Load the dataset again' },
      'Reload'
    );
    reload.addEventListener('click', () => void this.load());

    const meta = el('dl', { class: 'aios-meta aios-page-meta' });
    const addMeta = (label: string, value: Node | string) => {
      meta.append(el('dt', {}, label), el('dd', {}, value));
    };
    addMeta('Kind', dataset.kind || '—');
    this._rows = el(
      'span',
      { 'data-testid': 'aios-page-rows' },
      dataset.row_count === null
        ? 'see Profile'
        : formatCount(dataset.row_count)
    );
    addMeta('Rows', this._rows);
    addMeta('Owners', dataset.owners.length ? dataset.owners.join(', ') : '—');
    addMeta(
      'Tags',
      dataset.tags.length
        ? el(
            'span',
            { class: 'aios-badges' },
            ...dataset.tags.map(t =>
              el('span', { class: 'aios-badge aios-badge-tag' }, t)
            )
          )
        : '—'
    );

    this._access = el(
      'div',
      { class: 'aios-access' },
      loadingNote('Loading what you may see…')
    );
    this._schema = el('div', {}, loadingNote('Loading the schema…'));
    this._preview = el('div', {}, loadingNote('Waiting for the schema…'));
    this._profile = el('div', {}, loadingNote('Waiting for the schema…'));
    const lineage = new LineageSection(dataset.name);
    const checks = new DatasetChecksSection(dataset.name);

    this.node.replaceChildren(
      el(
        'header',
        { class: 'aios-page-header' },
        el(
          'div',
          { class: 'aios-page-title' },
          el('h2', {}, dataset.dataset || dataset.name),
          el('code', { class: 'aios-page-fullname' }, dataset.name)
        ),
        el('div', { class: 'aios-page-actions' }, reload, this._insert)
      ),
      dataset.description
        ? el('p', { class: 'aios-dataset-description' }, dataset.description)
        : el('p', { class: 'aios-empty' }, 'No description.'),
      meta,
      section('Your access', this._access, 'aios-page-access'),
      section('Schema', this._schema, 'aios-schema'),
      section('Preview', this._preview, 'aios-page-preview'),
      section('Profile', this._profile, 'aios-page-profile'),
      section('Lineage', lineage.node, 'aios-page-lineage'),
      section('Check history', checks.node, 'aios-page-checks')
    );
    void lineage.load();
    void checks.load();

    const outcome = await this._loader.load(() =>
      this._client.dataset(dataset.name)
    );
    if (!outcome) {
      return;
    }
    if (!outcome.ok) {
      this._access.replaceChildren(
        errorBox('Cannot load what you may see', outcome.message)
      );
      this._schema.replaceChildren();
      this._preview.replaceChildren();
      this._profile.replaceChildren();
      return;
    }
    const access = outcome.value;
    this._access.replaceChildren(...accessNotes(access));
    this._schema.replaceChildren(fullSchema(access));
    await loadSamples(
      this._client,
      dataset.name,
      access,
      { preview: this._preview, profile: this._profile },
      rows => {
        this._rows.textContent = rows;
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
    this._loader.dispose();
    super.dispose();
  }

  private _updateInsert(): void {
    const blocker = insertBlocker(this._options.notebooks);
    this._insert.disabled = blocker !== null;
    this._insert.title =
      blocker ??
      'Insert a wb.sql(...) cell below the active cell of the last notebook you used';
  }

  private readonly _options: IDatasetPageOptions;
  private readonly _client: IDataClient;
  private readonly _loader = new Loader();
  private readonly _insert = el('button', {
    type: 'button',
    class: 'aios-button aios-primary',
    'data-testid': 'aios-insert-query'
  });
  private _rows: HTMLElement = el('span');
  private _access: HTMLElement = el('div');
  private _schema: HTMLElement = el('div');
  private _preview: HTMLElement = el('div');
  private _profile: HTMLElement = el('div');
}

/**
 * A function that opens (or brings forward) a dataset's page in the main area.
 */
export function datasetPageOpener(
  app: JupyterFrontEnd,
  notebooks: INotebookTracker | null
): (dataset: Dataset) => void {
  return dataset => {
    const id = datasetPageId(dataset.name);
    const open = Array.from(app.shell.widgets('main')).find(w => w.id === id);
    if (open) {
      app.shell.activateById(id);
      return;
    }
    const content = new DatasetPage({
      dataset,
      notebooks,
      activate: widgetId => app.shell.activateById(widgetId)
    });
    const widget = new MainAreaWidget({ content });
    widget.id = id;
    widget.title.label = dataset.dataset || dataset.name;
    widget.title.caption = `Dataset ${dataset.name}`;
    widget.title.closable = true;
    widget.addClass('aios-dataset-page-panel');
    app.shell.add(widget, 'main');
    app.shell.activateById(id);
    void content.load();
  };
}
