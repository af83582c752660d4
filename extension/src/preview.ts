import { PreviewPage } from './api';
import { IDataClient, isMissingEndpoint } from './catalog';
import { el, emptyNote, errorBox, formatCount, loadingNote } from './dom';
import { Loader } from './loader';

/** Rows per preview page. */
export const PAGE_SIZE = 50;

/**
 * Display text of a preview cell value (JSON from the service).
 */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) {
    return '∅';
  }
  if (typeof value === 'object') {
    return JSON.stringify(value);
  }
  return String(value);
}

/**
 * A masked column's cell: the masked value as sent (a hash, `***`, the last
 * digits), or "hidden" where the mask leaves no value, styled as masked.
 */
export function maskedCell(value: unknown, column: string): HTMLElement {
  const hidden = value === null || value === undefined;
  const text = hidden ? 'hidden' : cellText(value);
  return el(
    'td',
    {
      'data-name': column,
      'data-masked': 'true',
      class: 'aios-masked-cell',
      title: hidden
        ? 'Masked for you: no value is shown'
        : `Masked for you: ${text}`
    },
    text
  );
}

/**
 * The masked preview of one dataset: a table with keyset paging
 * (Next/Previous by cursor) and sorting by clicking a column header.
 * Rows come from `GET catalog/preview`, so masks and row filters are
 * applied by the service; the browser never sees a raw masked value.
 */
export class PreviewSection {
  constructor(
    client: IDataClient,
    name: string,
    maskedColumns: ReadonlySet<string>
  ) {
    this._client = client;
    this._name = name;
    this._masked = maskedColumns;
    this.node = el('div', { class: 'aios-preview' });
    this._loader = new Loader({ busy: this.node });
  }

  readonly node: HTMLDivElement;

  /**
   * Load the first page (unsorted).
   */
  load(): Promise<void> {
    this._cursors = [null];
    return this._fetch();
  }

  private async _fetch(): Promise<void> {
    if (!this._page) {
      this.node.replaceChildren(loadingNote('Loading preview…'));
    } else {
      this._setPagerBusy(true);
    }
    const outcome = await this._loader.load(() =>
      this._client.preview({
        name: this._name,
        orderBy: this._orderBy,
        descending: this._descending,
        after: this._cursors[this._cursors.length - 1],
        limit: PAGE_SIZE
      })
    );
    if (!outcome) {
      return;
    }
    if (outcome.ok) {
      this._page = outcome.value;
      this._render(outcome.value);
    } else {
      this._page = null;
      this.node.replaceChildren(
        isMissingEndpoint(outcome.error)
          ? el(
              'div',
              {
                class: 'aios-unavailable',
                'data-testid': 'aios-preview-unavailable',
                role: 'note'
              },
              'Preview not available yet: this workbench service does not offer ',
              el('code', {}, 'catalog/preview'),
              '. Query the dataset with “Insert query” instead.'
            )
          : errorBox('Cannot load the preview', outcome.message)
      );
    }
  }

  private _render(page: PreviewPage): void {
    const { columns, rows } = page;

    const head = el('tr');
    for (const column of columns) {
      const sorted = this._orderBy === column.name;
      const isMasked = this._masked.has(column.name);
      const button = el(
        'button',
        {
          type: 'button',
          class: 'aios-preview-sort',
          title: `Sort by ${column.name}${isMasked ? ' (sorts by masked values)' : ''}`
        },
        column.name,
        isMasked
          ? el('span', { class: 'aios-badge aios-badge-mask' }, 'masked')
          : null,
        el(
          'span',
          { class: 'aios-preview-arrow', 'aria-hidden': 'true' },
          sorted ? (this._descending ? '▼' : '▲') : ''
        )
      );
      button.addEventListener('click', () => this._sortBy(column.name));
      head.appendChild(
        el(
          'th',
          {
            scope: 'col',
            'data-name': column.name,
            'data-masked': String(isMasked),
            'aria-sort': sorted
              ? this._descending
                ? 'descending'
                : 'ascending'
              : 'none'
          },
          button
        )
      );
    }
    const body = el('tbody');
    for (const row of rows) {
      const tr = el('tr');
      for (const column of columns) {
        if (this._masked.has(column.name)) {
          tr.appendChild(maskedCell(row[column.name], column.name));
          continue;
        }
        const text = cellText(row[column.name]);
        tr.appendChild(
          el(
            'td',
            {
              'data-name': column.name,
              class: row[column.name] === null ? 'aios-null' : undefined,
              title: text.length > 40 ? text : undefined
            },
            text
          )
        );
      }
      body.appendChild(tr);
    }

    const pageIndex = this._cursors.length - 1;
    const first = pageIndex * PAGE_SIZE + 1;
    const last = pageIndex * PAGE_SIZE + rows.length;
    const total =
      typeof page.row_count === 'number'
        ? ` of ${formatCount(page.row_count)}`
        : '';
    this._prev = el(
      'button',
      {
        type: 'button',
        class: 'aios-button',
        'data-testid': 'aios-preview-prev',
        'aria-label': 'Previous page'
      },
      '‹ Previous'
    );
    this._next = el(
      'button',
      {
        type: 'button',
        class: 'aios-button',
        'data-testid': 'aios-preview-next',
        'aria-label': 'Next page'
      },
      'Next ›'
    );
    this._prev.disabled = pageIndex === 0;
    this._next.disabled = !page.next_cursor;
    this._prev.addEventListener('click', () => this._previous());
    this._next.addEventListener('click', () => this._advance());

    const pager = el(
      'div',
      { class: 'aios-preview-pager' },
      this._prev,
      el(
        'span',
        { class: 'aios-preview-range', role: 'status', 'aria-live': 'polite' },
        rows.length
          ? `Rows ${formatCount(first)}–${formatCount(last)}${total}`
          : 'No rows'
      ),
      this._next
    );

    const parts: (Node | null)[] = [
      page.applied
        ? el(
            'p',
            { class: 'aios-muted', 'data-testid': 'aios-preview-applied' },
            page.applied
          )
        : null,
      pager,
      columns.length === 0
        ? emptyNote('This dataset has no columns you may see.')
        : el(
            'div',
            {
              class: 'aios-preview-scroll',
              // it may scroll sideways: keyboard users reach it (axe: scrollable-region-focusable)
              tabindex: '0',
              role: 'region',
              'aria-label': `Preview of ${this._name}`
            },
            el(
              'table',
              {
                class: 'aios-table aios-preview-table',
                'data-testid': 'aios-preview-table',
                'aria-label': `Preview of ${this._name}`
              },
              el('thead', {}, head),
              body
            )
          ),
      rows.length === 0 && pageIndex === 0
        ? emptyNote('No rows visible to you.')
        : null
    ];
    this.node.replaceChildren(...parts.filter((p): p is Node => p !== null));
  }

  private _setPagerBusy(busy: boolean): void {
    if (busy) {
      if (this._prev) {
        this._prev.disabled = true;
      }
      if (this._next) {
        this._next.disabled = true;
      }
    }
  }

  private _advance(): void {
    const cursor = this._page?.next_cursor;
    if (cursor) {
      this._cursors.push(cursor);
      void this._fetch();
    }
  }

  private _previous(): void {
    if (this._cursors.length > 1) {
      this._cursors.pop();
      void this._fetch();
    }
  }

  private _sortBy(column: string): void {
    if (this._orderBy === column) {
      this._descending = !this._descending;
    } else {
      this._orderBy = column;
      this._descending = false;
    }
    this._cursors = [null];
    void this._fetch();
  }

  private readonly _client: IDataClient;
  private readonly _name: string;
  private readonly _masked: ReadonlySet<string>;
  private readonly _loader: Loader;
  private _page: PreviewPage | null = null;
  private _cursors: (string | null)[] = [null];
  private _orderBy: string | null = null;
  private _descending = false;
  private _prev: HTMLButtonElement | null = null;
  private _next: HTMLButtonElement | null = null;
}
