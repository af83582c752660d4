/**
 * The "Which runs" choice of both runs views: the runs of one notebook, or
 * of every notebook; and the notebook filter it sends to the service.
 */
import { reloadButton } from './buttons';
import { el } from './dom';

/**
 * The choice, and the notebook it means.
 */
export class RunsScope {
  /**
   * @param testid - the select's `data-testid`
   * @param notebook - the notebook "This notebook" means (none: every notebook)
   * @param reload - loads the runs again: the choice changed, or Refresh
   */
  constructor(
    testid: string,
    notebook: () => string | null,
    reload: () => void
  ) {
    this._notebook = notebook;
    this._reload = reload;
    this.select = el(
      'select',
      {
        class: 'aios-select',
        'aria-label': 'Which runs',
        'data-testid': testid
      },
      el('option', { value: 'notebook' }, 'This notebook'),
      el('option', { value: 'all' }, 'All notebooks')
    );
    this.select.addEventListener('change', () => reload());
  }

  readonly select: HTMLSelectElement;

  /** The choice, then a Refresh button (`data-testid` `refreshTestid`). */
  controls(refreshTestid: string): HTMLElement[] {
    return [
      this.select,
      reloadButton('the runs', () => this._reload(), refreshTestid)
    ];
  }

  /** Whether "This notebook" is chosen (rather than "All notebooks"). */
  get oneNotebook(): boolean {
    return this.select.value === 'notebook';
  }

  set oneNotebook(value: boolean) {
    this.select.value = value ? 'notebook' : 'all';
  }

  /** The notebook filter sent to the service: null for every notebook's runs. */
  filter(): string | null {
    return this.oneNotebook ? this._notebook() || null : null;
  }

  private readonly _notebook: () => string | null;
  private readonly _reload: () => void;
}
