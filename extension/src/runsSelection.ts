/**
 * Which runs the user picked to compare, shared by both runs views: a
 * checkbox per run, a status line ("2 selected") and a Compare button
 * enabled for 2 to {@link MAX_COMPARE_RUNS} runs.
 */
import { el } from './dom';
import { MAX_COMPARE_RUNS } from './runsApi';

/**
 * The selected run ids and the controls that show them.
 */
export class RunSelection {
  /**
   * @param compareTestid - the Compare button's `data-testid`
   * @param compare - what Compare does
   */
  constructor(compareTestid: string, compare: () => void) {
    this.status = el('span', {
      class: 'aios-runs-selection',
      role: 'status',
      'aria-live': 'polite'
    });
    this.compareButton = el(
      'button',
      {
        type: 'button',
        class: 'aios-button aios-primary',
        'data-testid': compareTestid
      },
      'Compare'
    );
    this.compareButton.addEventListener('click', compare);
    this.sync();
  }

  /** Says how many runs are selected, or how to select. */
  readonly status: HTMLSpanElement;
  readonly compareButton: HTMLButtonElement;

  has(id: string): boolean {
    return this._ids.has(id);
  }

  /**
   * A checkbox that selects run `id` (labelled by the run's `label`); it
   * follows the selection until it leaves the page.
   */
  checkbox(
    id: string,
    label: string,
    attrs: { testid: string; class?: string }
  ): HTMLInputElement {
    const box = el('input', {
      type: 'checkbox',
      class: attrs.class,
      'aria-label': `Select ${label} for comparison`,
      'data-testid': attrs.testid
    });
    box.checked = this._ids.has(id);
    box.addEventListener('change', () => {
      if (box.checked) {
        this._ids.add(id);
      } else {
        this._ids.delete(id);
      }
      this.sync();
    });
    this._boxes.set(id, box); // the newest box of a run replaces its last
    return box;
  }

  /** Keep only the runs among `ids` (the others are no longer shown). */
  keepOnly(ids: Iterable<string>): void {
    const known = new Set(ids);
    for (const id of [...this._ids]) {
      if (!known.has(id)) {
        this._ids.delete(id);
      }
    }
    for (const id of [...this._boxes.keys()]) {
      if (!known.has(id)) {
        this._boxes.delete(id);
      }
    }
    this.sync();
  }

  clear(): void {
    this._ids.clear();
    this.sync();
  }

  /** Bring the status, Compare and the checkboxes in line with the selection. */
  sync(): void {
    const n = this._ids.size;
    this.compareButton.disabled = n < 2 || n > MAX_COMPARE_RUNS;
    this.compareButton.textContent = n >= 2 ? `Compare ${n}` : 'Compare';
    this.status.textContent =
      n === 0
        ? 'Select 2 or more runs to compare'
        : n > MAX_COMPARE_RUNS
          ? `${n} selected: compare at most ${MAX_COMPARE_RUNS}`
          : `${n} selected`;
    for (const [id, box] of this._boxes) {
      box.checked = this._ids.has(id);
    }
  }

  private readonly _ids = new Set<string>();
  private readonly _boxes = new Map<string, HTMLInputElement>();
}
