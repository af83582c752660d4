import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { Dataset } from './api';
import { clickOrDoubleClick } from './catalogSearchResults';
import { el } from './dom';

/**
 * A node of the catalog tree: source > schema > dataset.
 */
export interface ITreeNode {
  id: string;
  kind: 'source' | 'schema' | 'dataset';
  label: string;
  level: number;
  parent: ITreeNode | null;
  children: ITreeNode[];
  dataset?: Dataset;
  /** Datasets below this node (1 for a dataset). */
  size: number;
}

/**
 * A row of the flattened, visible tree.
 */
export interface ITreeRow {
  node: ITreeNode;
  posinset: number;
  setsize: number;
}

const byLabel = (a: ITreeNode, b: ITreeNode) => a.label.localeCompare(b.label);

/**
 * Group datasets into source > schema > dataset, each level sorted by name.
 */
export function buildTree(datasets: Dataset[]): ITreeNode[] {
  const sources = new Map<string, ITreeNode>();
  const schemas = new Map<string, ITreeNode>();
  for (const dataset of datasets) {
    const sourceName = dataset.source || dataset.name.split('.')[0] || '?';
    const schemaName = dataset.schema || 'main';
    let source = sources.get(sourceName);
    if (!source) {
      source = {
        id: `s:${sourceName}`,
        kind: 'source',
        label: sourceName,
        level: 1,
        parent: null,
        children: [],
        size: 0
      };
      sources.set(sourceName, source);
    }
    const schemaId = `${source.id}/${schemaName}`;
    let schema = schemas.get(schemaId);
    if (!schema) {
      schema = {
        id: schemaId,
        kind: 'schema',
        label: schemaName,
        level: 2,
        parent: source,
        children: [],
        size: 0
      };
      schemas.set(schemaId, schema);
      source.children.push(schema);
    }
    schema.children.push({
      id: `d:${dataset.name}`,
      kind: 'dataset',
      label: dataset.dataset || dataset.name,
      level: 3,
      parent: schema,
      children: [],
      dataset,
      size: 1
    });
    schema.size += 1;
    source.size += 1;
  }
  const roots = [...sources.values()].sort(byLabel);
  for (const source of roots) {
    source.children.sort(byLabel);
    for (const schema of source.children) {
      schema.children.sort(byLabel);
    }
  }
  return roots;
}

/**
 * The rows a user sees: every root, and the children of expanded nodes.
 */
export function visibleRows(
  roots: ITreeNode[],
  expanded: ReadonlySet<string>
): ITreeRow[] {
  const rows: ITreeRow[] = [];
  const walk = (nodes: ITreeNode[]) => {
    nodes.forEach((node, i) => {
      rows.push({ node, posinset: i + 1, setsize: nodes.length });
      if (node.children.length > 0 && expanded.has(node.id)) {
        walk(node.children);
      }
    });
  };
  walk(roots);
  return rows;
}

/**
 * Ids of the group nodes to expand by default: all of them when the tree
 * is small enough to read at once, else sources only.
 */
export function defaultExpansion(
  roots: ITreeNode[],
  openAllUpTo = 500
): Set<string> {
  const open = new Set<string>();
  const total = roots.reduce((n, r) => n + r.size, 0);
  for (const source of roots) {
    open.add(source.id);
    if (total <= openAllUpTo || roots.length === 1) {
      for (const schema of source.children) {
        if (total <= openAllUpTo || source.children.length === 1) {
          open.add(schema.id);
        }
      }
    }
  }
  return open;
}

/** Height of one row in pixels; the CSS sets the same. */
export const ROW_HEIGHT = 24;
/** Rows rendered above and below the viewport. */
const OVERSCAN = 10;

/**
 * Options of {@link DatasetTree}.
 */
export interface IDatasetTreeOptions {
  /** Called when a dataset is opened (Enter, click). */
  onOpen: (dataset: Dataset) => void;
  /** Called when a dataset is opened full page (double-click, Shift+Enter). */
  onOpenPage?: (dataset: Dataset) => void;
}

let treeCount = 0;

/**
 * The catalog tree as an ARIA tree with windowed rendering: only the rows
 * in (and near) the viewport are in the DOM, so 10,000 datasets scroll as
 * smoothly as ten. Focus stays on the tree; the active row is tracked
 * with `aria-activedescendant`.
 */
export class DatasetTree extends Widget {
  constructor(options: IDatasetTreeOptions) {
    super();
    this._onOpen = options.onOpen;
    this._onOpenPage = options.onOpenPage;
    this._prefix = `aios-tree-${++treeCount}`;
    this.addClass('aios-tree');
    this.node.setAttribute('role', 'tree');
    this.node.setAttribute('aria-label', 'Datasets');
    this.node.tabIndex = 0;
    this._sizer = el('div', { class: 'aios-tree-sizer', role: 'presentation' });
    this.node.appendChild(this._sizer);
    this.node.addEventListener('scroll', () => this._scheduleRender());
    this.node.addEventListener('keydown', e => this._onKey(e));
    this._sizer.addEventListener('click', e => this._onClick(e));
    this._sizer.addEventListener('dblclick', () => this._clicks?.dblclick());
    this._resize = new ResizeObserver(() => this._scheduleRender());
    this._resize.observe(this.node);
  }

  /**
   * Show `datasets`. `expandAll` opens every group (used for search
   * results); otherwise {@link defaultExpansion} applies.
   */
  setDatasets(datasets: Dataset[], expandAll = false): void {
    const activeId = this._rows[this._active]?.node.id;
    this._roots = buildTree(datasets);
    this._expanded = expandAll
      ? new Set(this._groupIds(this._roots))
      : defaultExpansion(this._roots);
    this.node.scrollTop = 0;
    this._refreshRows(activeId);
    this._setActive(this._active);
  }

  /** Number of rows currently visible (expanded) in the tree. */
  get rowCount(): number {
    return this._rows.length;
  }

  dispose(): void {
    this._resize.disconnect();
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._render();
  }

  private _groupIds(nodes: ITreeNode[]): string[] {
    const ids: string[] = [];
    for (const n of nodes) {
      if (n.children.length && n.kind !== 'dataset') {
        ids.push(n.id, ...this._groupIds(n.children));
      }
    }
    return ids;
  }

  private _refreshRows(keepActiveId?: string): void {
    this._rows = visibleRows(this._roots, this._expanded);
    const index = keepActiveId
      ? this._rows.findIndex(r => r.node.id === keepActiveId)
      : -1;
    this._active = Math.max(0, Math.min(index, this._rows.length - 1));
    this._sizer.style.height = `${this._rows.length * ROW_HEIGHT}px`;
    this._render();
  }

  private _scheduleRender(): void {
    if (this._frame === null) {
      this._frame = requestAnimationFrame(() => {
        this._frame = null;
        this._render();
      });
    }
  }

  private _render(): void {
    const height = this.node.clientHeight || 40 * ROW_HEIGHT;
    const first = Math.max(
      0,
      Math.floor(this.node.scrollTop / ROW_HEIGHT) - OVERSCAN
    );
    const last = Math.min(
      this._rows.length,
      Math.ceil((this.node.scrollTop + height) / ROW_HEIGHT) + OVERSCAN
    );
    const nodes: HTMLElement[] = [];
    for (let i = first; i < last; i++) {
      nodes.push(this._renderRow(this._rows[i], i));
    }
    this._sizer.replaceChildren(...nodes);
    if (this._rows.length > 0) {
      this.node.setAttribute(
        'aria-activedescendant',
        this._rowId(this._active)
      );
    } else {
      this.node.removeAttribute('aria-activedescendant');
    }
  }

  private _rowId(index: number): string {
    return `${this._prefix}-row-${index}`;
  }

  private _renderRow(row: ITreeRow, index: number): HTMLElement {
    const { node } = row;
    const isGroup = node.kind !== 'dataset';
    const open = isGroup && this._expanded.has(node.id);
    const item = el(
      'div',
      {
        id: this._rowId(index),
        class: `aios-tree-row aios-tree-${node.kind}`,
        role: 'treeitem',
        'aria-level': String(node.level),
        'aria-posinset': String(row.posinset),
        'aria-setsize': String(row.setsize),
        'aria-expanded': isGroup ? String(open) : undefined,
        'aria-selected': String(index === this._active),
        'data-index': String(index),
        'data-testid': isGroup ? 'aios-tree-group' : 'aios-dataset-item',
        'data-name': node.dataset?.name ?? node.label,
        title: node.dataset?.description || node.dataset?.name || node.label
      },
      el(
        'span',
        { class: 'aios-tree-caret', 'aria-hidden': 'true' },
        isGroup ? (open ? '▾' : '▸') : ''
      ),
      el('span', { class: 'aios-tree-label' }, node.label),
      isGroup
        ? el('span', { class: 'aios-tree-count' }, String(node.size))
        : node.dataset?.kind
          ? el('span', { class: 'aios-tree-kind' }, node.dataset.kind)
          : null
    );
    item.style.top = `${index * ROW_HEIGHT}px`;
    item.style.paddingLeft = `${4 + (node.level - 1) * 14}px`;
    return item;
  }

  private _onClick(event: MouseEvent): void {
    const target = (event.target as HTMLElement).closest<HTMLElement>(
      '.aios-tree-row'
    );
    if (!target) {
      return;
    }
    this._setActive(Number(target.dataset.index));
    this.node.focus({ preventScroll: true });
    const dataset = this._rows[this._active]?.node.dataset;
    const openPage = this._onOpenPage;
    if (!dataset || !openPage) {
      this._activate(); // a group toggles at once
      return;
    }
    if (this._clicksFor !== dataset) {
      this._clicksFor = dataset;
      this._clicks = clickOrDoubleClick(
        () => this._onOpen(dataset),
        () => openPage(dataset)
      );
    }
    this._clicks?.click();
  }

  private _onKey(event: KeyboardEvent): void {
    const row = this._rows[this._active];
    if (!row) {
      return;
    }
    const node = row.node;
    const isGroup = node.kind !== 'dataset';
    const open = isGroup && this._expanded.has(node.id);
    const page = Math.max(
      1,
      Math.floor(this.node.clientHeight / ROW_HEIGHT) - 1
    );
    switch (event.key) {
      case 'ArrowDown':
        this._setActive(this._active + 1);
        break;
      case 'ArrowUp':
        this._setActive(this._active - 1);
        break;
      case 'PageDown':
        this._setActive(this._active + page);
        break;
      case 'PageUp':
        this._setActive(this._active - page);
        break;
      case 'Home':
        this._setActive(0);
        break;
      case 'End':
        this._setActive(this._rows.length - 1);
        break;
      case 'ArrowRight':
        if (isGroup && !open) {
          this._toggle(node);
        } else if (isGroup) {
          this._setActive(this._active + 1);
        }
        break;
      case 'ArrowLeft':
        if (open) {
          this._toggle(node);
        } else if (node.parent) {
          const parent = this._rows.findIndex(r => r.node === node.parent);
          this._setActive(parent);
        }
        break;
      case 'Enter':
        if (event.shiftKey && node.dataset && this._onOpenPage) {
          this._onOpenPage(node.dataset);
        } else {
          this._activate();
        }
        break;
      case ' ':
        this._activate();
        break;
      default:
        return;
    }
    event.preventDefault();
    event.stopPropagation();
  }

  private _activate(): void {
    const node = this._rows[this._active]?.node;
    if (!node) {
      return;
    }
    if (node.dataset) {
      this._onOpen(node.dataset);
    } else {
      this._toggle(node);
    }
  }

  private _toggle(node: ITreeNode): void {
    if (this._expanded.has(node.id)) {
      this._expanded.delete(node.id);
    } else {
      this._expanded.add(node.id);
    }
    this._refreshRows(node.id);
  }

  private _setActive(index: number): void {
    if (this._rows.length === 0) {
      return;
    }
    this._active = Math.max(0, Math.min(index, this._rows.length - 1));
    const top = this._active * ROW_HEIGHT;
    const view = this.node;
    if (top < view.scrollTop) {
      view.scrollTop = top;
    } else if (top + ROW_HEIGHT > view.scrollTop + view.clientHeight) {
      view.scrollTop = top + ROW_HEIGHT - view.clientHeight;
    }
    this._render();
  }

  private readonly _onOpen: (dataset: Dataset) => void;
  private readonly _onOpenPage?: (dataset: Dataset) => void;
  /** Tells a click on a dataset row from a double-click (see clickOrDoubleClick). */
  private _clicks: ReturnType<typeof clickOrDoubleClick> | null = null;
  private _clicksFor: Dataset | null = null;
  private readonly _prefix: string;
  private readonly _sizer: HTMLDivElement;
  private readonly _resize: ResizeObserver;
  private _roots: ITreeNode[] = [];
  private _rows: ITreeRow[] = [];
  private _expanded = new Set<string>();
  private _active = 0;
  private _frame: number | null = null;
}
