/**
 * The runs table's column chooser: a menu of the metrics and parameters
 * the loaded runs logged, each a checkbox; its summary counts the chosen.
 */
import { RunSummary } from './api';
import { el, emptyNote } from './dom';
import { availableColumns, defaultChoice } from './runsTableModel';

/** The metric and parameter columns chosen. */
export interface IColumnChoice {
  metrics: string[];
  params: string[];
}

/**
 * The chooser; what is chosen starts from the first runs loaded.
 */
export class RunsColumnPicker {
  /** @param changed - called when the user adds or removes a column */
  constructor(changed: () => void) {
    this._changed = changed;
    this.node = el('details', {
      class: 'aios-runs-columns',
      'data-testid': 'aios-runs-columns'
    });
  }

  readonly node: HTMLDetailsElement;

  /** The columns chosen (none before any run is loaded). */
  get chosen(): IColumnChoice {
    return this._chosen ?? { metrics: [], params: [] };
  }

  /** Choose the first columns from `runs`, once: later loads keep the user's choice. */
  chooseFirst(runs: readonly RunSummary[]): void {
    if (!this._chosen) {
      this._chosen = defaultChoice(runs);
    }
  }

  /** Offer the metrics and parameters of `runs`, keeping the menu open or closed. */
  render(runs: readonly RunSummary[]): void {
    const { metrics, params } = availableColumns(runs);
    const open = this.node.open;
    this.node.replaceChildren(
      el('summary', {
        class: 'aios-button',
        'data-testid': 'aios-runs-columns-toggle'
      }),
      el(
        'div',
        { class: 'aios-runs-columns-menu' },
        this._group('Metrics', metrics, 'metrics'),
        this._group('Parameters', params, 'params')
      )
    );
    this.node.open = open;
    this._renderSummary();
  }

  private _group(
    title: string,
    names: string[],
    kind: keyof IColumnChoice
  ): HTMLElement {
    return el(
      'fieldset',
      { class: 'aios-runs-columns-group' },
      el('legend', {}, title),
      ...names.map(name => {
        const box = el('input', {
          type: 'checkbox',
          'data-column': `${kind}:${name}`
        });
        box.checked = this.chosen[kind].includes(name);
        box.addEventListener('change', () => {
          const list = this.chosen[kind];
          this._chosen = {
            ...this.chosen,
            [kind]: box.checked
              ? [...list, name].sort()
              : list.filter(n => n !== name)
          };
          this._renderSummary();
          this._changed();
        });
        return el(
          'label',
          { class: 'aios-runs-column-choice' },
          box,
          ` ${name}`
        );
      }),
      names.length ? null : emptyNote(`No ${title.toLowerCase()} logged.`)
    );
  }

  private _renderSummary(): void {
    const summary = this.node.querySelector('summary');
    if (summary) {
      const count = (n: number, word: string) =>
        `${n} ${word}${n === 1 ? '' : 's'}`;
      const { metrics, params } = this.chosen;
      summary.textContent = `Columns: ${count(metrics.length, 'metric')}, ${count(params.length, 'parameter')}`;
    }
  }

  private readonly _changed: () => void;
  private _chosen: IColumnChoice | null = null;
}
