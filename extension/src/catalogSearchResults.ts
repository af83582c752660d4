/**
 * Search results of the Data section: a ranked list (best first, as the
 * service ranked them), each hit with its matching text highlighted and
 * why it matched (name, column, tag, description, owner).
 */
import { Widget } from '@lumino/widgets';

import { Dataset, SearchHit } from './api';
import { el, formatCount } from './dom';

/** One place a dataset matched, as `GET catalog/search` reports it. */
export type MatchReason = SearchHit['reasons'][number];

/** A dataset found, with the reasons it was found for. */
export interface IFoundDataset {
  dataset: Dataset;
  reasons: MatchReason[];
  why: string;
}

/** Hits rendered at most; the rest are counted, not shown. */
export const MAX_SHOWN = 200;

/**
 * How long a click waits for a second one before it counts as a single
 * click (a single click replaces the list by the compact view, so a
 * double-click could never reach the list otherwise).
 */
export const DOUBLE_CLICK_MS = 250;

/**
 * Call `single` on a click, or only `double` on a double-click; without
 * `double`, `single` runs at once.
 */
export function clickOrDoubleClick(
  single: () => void,
  double?: () => void
): { click: () => void; dblclick: () => void } {
  let timer: number | null = null;
  return {
    click: () => {
      if (!double) {
        single();
        return;
      }
      if (timer === null) {
        timer = window.setTimeout(() => {
          timer = null;
          single();
        }, DOUBLE_CLICK_MS);
      }
    },
    dblclick: () => {
      if (timer !== null) {
        window.clearTimeout(timer);
        timer = null;
      }
      double?.();
    }
  };
}

const FIELD_LABELS: Record<MatchReason['field'], string> = {
  name: 'name',
  column: 'column',
  tag: 'tag',
  description: 'description',
  owner: 'owner',
  source: 'source'
};

/**
 * `text` with the [start, end) `ranges` wrapped in `<mark>`; text stays text
 * (never HTML), so catalog content cannot inject markup.
 */
export function highlighted(text: string, ranges: number[][]): Node[] {
  const nodes: Node[] = [];
  let at = 0;
  const sorted = [...ranges]
    .filter(r => r.length === 2 && r[0] < r[1])
    .sort((a, b) => a[0] - b[0]);
  for (const [start, end] of sorted) {
    if (start < at) {
      continue; // overlapping ranges: the first wins
    }
    if (start > at) {
      nodes.push(document.createTextNode(text.slice(at, start)));
    }
    nodes.push(el('mark', { class: 'aios-match' }, text.slice(start, end)));
    at = end;
  }
  if (at < text.length) {
    nodes.push(document.createTextNode(text.slice(at)));
  }
  return nodes;
}

function substringRanges(text: string, words: string[]): number[][] {
  const lower = text.toLowerCase();
  const ranges: number[][] = [];
  for (const word of words) {
    let at = lower.indexOf(word);
    while (at >= 0) {
      ranges.push([at, at + word.length]);
      at = lower.indexOf(word, at + word.length);
    }
  }
  return ranges;
}

/**
 * Why `dataset` matches `text` when the browser filters the catalog itself
 * (a service without `catalog/search`): every place a word occurs.
 */
export function localReasons(dataset: Dataset, text: string): MatchReason[] {
  const words = text.toLowerCase().split(/\s+/).filter(Boolean);
  const reasons: MatchReason[] = [];
  const add = (field: MatchReason['field'], value: string) => {
    const highlights = substringRanges(value, words);
    if (highlights.length) {
      reasons.push({ field, text: value, highlights });
    }
  };
  add('name', dataset.dataset || dataset.name);
  dataset.columns.slice(0, 500).forEach(c => {
    if (substringRanges(c.name, words).length || !c.description) {
      add('column', c.name);
      return;
    }
    // found by what its description says, told with it (as the service's search does)
    const said = `${c.name}: "${c.description}"`;
    const highlights = substringRanges(c.description, words).map(([a, b]) => [
      a + c.name.length + 3,
      b + c.name.length + 3
    ]);
    if (highlights.length) {
      reasons.push({ field: 'column', text: said, highlights });
    }
  });
  dataset.tags.forEach(t => add('tag', t));
  if (dataset.description) {
    add('description', dataset.description);
  }
  dataset.owners.forEach(o => add('owner', o));
  return reasons;
}

/**
 * "Matched: name and column contact_email", from reasons (used for the
 * browser's own matches; the service words its hits itself).
 */
export function whyText(reasons: MatchReason[]): string {
  const parts: string[] = [];
  for (const field of Object.keys(FIELD_LABELS) as MatchReason['field'][]) {
    const texts = reasons.filter(r => r.field === field).map(r => r.text);
    if (!texts.length) {
      continue;
    }
    if (field === 'name' || field === 'description' || field === 'source') {
      parts.push(field);
    } else if (texts.length === 1) {
      parts.push(`${field} ${texts[0]}`);
    } else {
      parts.push(`${texts.length} ${field}s`);
    }
  }
  if (!parts.length) {
    return 'Matched';
  }
  const last = parts.pop() as string;
  return `Matched: ${parts.length ? `${parts.join(', ')} and ${last}` : last}`;
}

/**
 * Options of {@link SearchResults}.
 */
export interface ISearchResultsOptions {
  /** A hit was chosen (click, Enter): show it in the sidebar. */
  onOpen: (dataset: Dataset) => void;
  /** A hit was opened full page (double-click, Shift+Enter). */
  onOpenPage?: (dataset: Dataset) => void;
}

/**
 * The ranked hits as an ARIA listbox: arrow keys move, Enter opens,
 * Shift+Enter (or a double-click) opens the full-page view.
 */
export class SearchResults extends Widget {
  constructor(options: ISearchResultsOptions) {
    super();
    this._options = options;
    this.addClass('aios-search-results');
    this.node.setAttribute('role', 'listbox');
    this.node.setAttribute('aria-label', 'Search results, best first');
    this.node.tabIndex = 0;
    this.node.dataset.testid = 'aios-search-results';
    this.node.addEventListener('keydown', e => this._onKey(e));
  }

  /** The hits shown, best first. */
  get found(): readonly IFoundDataset[] {
    return this._found;
  }

  /** Show `found` in its order (the service's ranking). */
  setResults(found: IFoundDataset[]): void {
    this._found = found;
    this._active = 0;
    const items = found
      .slice(0, MAX_SHOWN)
      .map((hit, i) => this._renderHit(hit, i));
    if (found.length > MAX_SHOWN) {
      items.push(
        el(
          'p',
          { class: 'aios-note', role: 'note' },
          `Showing the best ${formatCount(MAX_SHOWN)} of ${formatCount(found.length)}; add words to narrow the search.`
        )
      );
    }
    this.node.replaceChildren(...items);
    this._markActive();
  }

  private _renderHit(hit: IFoundDataset, index: number): HTMLElement {
    const { dataset, reasons } = hit;
    const nameReason = reasons.find(r => r.field === 'name');
    const shortName = dataset.dataset || dataset.name;
    const title = el(
      'span',
      { class: 'aios-hit-name' },
      ...(nameReason && nameReason.text === shortName
        ? highlighted(shortName, nameReason.highlights)
        : [shortName])
    );
    const details = reasons
      .filter(r => r.field !== 'name')
      .slice(0, 4)
      .map(r =>
        el(
          'li',
          { 'data-field': r.field },
          el('span', { class: 'aios-hit-field' }, `${FIELD_LABELS[r.field]}: `),
          ...highlighted(r.text, r.highlights)
        )
      );
    const item = el(
      'div',
      {
        id: `aios-hit-${index}`,
        class: 'aios-hit',
        role: 'option',
        'aria-selected': 'false',
        'data-testid': 'aios-dataset-item',
        'data-name': dataset.name,
        'data-rank': String(index + 1),
        title: 'Enter: show here · Shift+Enter or double-click: open full page'
      },
      el(
        'div',
        { class: 'aios-hit-head' },
        title,
        el('span', { class: 'aios-hit-source' }, dataset.name)
      ),
      el(
        'p',
        { class: 'aios-hit-why', 'data-testid': 'aios-hit-why' },
        hit.why
      ),
      details.length
        ? el('ul', { class: 'aios-hit-reasons' }, ...details)
        : null
    );
    const page = this._options.onOpenPage;
    const clicks = clickOrDoubleClick(
      () => this._options.onOpen(dataset),
      page ? () => page(dataset) : undefined
    );
    item.addEventListener('click', () => {
      this._active = index;
      this._markActive();
      clicks.click();
    });
    item.addEventListener('dblclick', clicks.dblclick);
    return item;
  }

  private _onKey(event: KeyboardEvent): void {
    const count = Math.min(this._found.length, MAX_SHOWN);
    if (!count) {
      return;
    }
    if (event.key === 'ArrowDown') {
      this._active = Math.min(count - 1, this._active + 1);
    } else if (event.key === 'ArrowUp') {
      this._active = Math.max(0, this._active - 1);
    } else if (event.key === 'Home') {
      this._active = 0;
    } else if (event.key === 'End') {
      this._active = count - 1;
    } else if (event.key === 'Enter') {
      const dataset = this._found[this._active].dataset;
      if (event.shiftKey && this._options.onOpenPage) {
        this._options.onOpenPage(dataset);
      } else {
        this._options.onOpen(dataset);
      }
    } else {
      return;
    }
    event.preventDefault();
    this._markActive();
  }

  private _markActive(): void {
    const items = this.node.querySelectorAll<HTMLElement>('.aios-hit');
    items.forEach((item, i) => {
      const active = i === this._active;
      item.setAttribute('aria-selected', String(active));
      item.classList.toggle('aios-mod-active', active);
      if (active) {
        item.scrollIntoView?.({ block: 'nearest' });
      }
    });
    if (items.length) {
      this.node.setAttribute(
        'aria-activedescendant',
        `aios-hit-${this._active}`
      );
    } else {
      this.node.removeAttribute('aria-activedescendant');
    }
  }

  private readonly _options: ISearchResultsOptions;
  private _found: IFoundDataset[] = [];
  private _active = 0;
}
