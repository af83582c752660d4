/**
 * A check's history strip: one small square per run, oldest left, newest
 * right, coloured by status; each says its run's time and verdict in words.
 */
import { CheckHistoryPoint } from './checkApi';
import { el } from './dom';
import { formatDate } from './time';

export interface IHistoryStripOptions {
  /** Status code -> words ("fail" -> "failed"), the service's. */
  words?: Record<string, string>;
  /** Make each run a button that calls this (the run view); plain squares otherwise. */
  onPick?: (point: CheckHistoryPoint) => void;
  /** The run shown now, marked `aria-current`. */
  current?: number;
}

/** `points` are newest first, as the service sends them. */
export function historyStrip(
  points: readonly CheckHistoryPoint[],
  options: IHistoryStripOptions = {}
): HTMLElement {
  const words = options.words ?? {};
  const strip = el('span', {
    class: 'aios-check-history',
    'data-testid': 'aios-check-history',
    role: options.onPick ? 'group' : 'img',
    'aria-label': options.onPick
      ? 'Runs of this check, oldest first'
      : `Last ${points.length} runs, oldest first: ` +
        [...points]
          .reverse()
          .map(p => words[p.status] ?? p.status)
          .join(', ')
  });
  for (const point of [...points].reverse()) {
    const label = `Run ${point.id}, ${formatDate(point.at)}: ${words[point.status] ?? point.status}`;
    const attrs = {
      class: `aios-check-history-run aios-check-history-${point.status}`,
      'data-status': point.status,
      'data-id': String(point.id),
      title: label
    };
    if (options.onPick) {
      const pick = options.onPick;
      const button = el('button', {
        ...attrs,
        type: 'button',
        'aria-label': label,
        'aria-current': point.id === options.current ? 'true' : undefined
      });
      button.addEventListener('click', () => pick(point));
      strip.appendChild(button);
    } else {
      strip.appendChild(el('span', { ...attrs, 'aria-hidden': 'true' }));
    }
  }
  return strip;
}
