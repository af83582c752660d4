import { CheckGroup } from './checkApi';
import { historyStrip } from './checkHistory';
import { statusBadge } from './checkStatus';
import { el } from './dom';
import { timeElement } from './time';

/**
 * One check in the list: its latest status, its name in words, datasets,
 * who ran it when (a relative time that keeps current), its history strip
 * and how many runs failed. `onOpen`: the row was activated.
 */
export function checkGroupRow(
  group: CheckGroup,
  words: Record<string, string>,
  onOpen: () => void
): HTMLElement {
  const latest = group.latest;
  const said = words[group.status] ?? group.status;
  const button = el(
    'button',
    {
      type: 'button',
      class: 'aios-check-run-button',
      'aria-label': `${group.label}: ${said}. Open it`,
      title: latest?.verdict ?? group.description ?? ''
    },
    el(
      'span',
      { class: 'aios-check-run-line' },
      statusBadge(group.status, said),
      el('span', { class: 'aios-check-run-name' }, group.label),
      latest?.required
        ? el(
            'span',
            {
              class: 'aios-badge aios-check-required',
              title: 'Required: a failure blocks promotion'
            },
            'required'
          )
        : null
    ),
    el(
      'span',
      { class: 'aios-check-run-meta' },
      el(
        'span',
        { class: 'aios-check-run-datasets' },
        group.datasets.join(', ') || 'no dataset'
      ),
      latest
        ? el(
            'span',
            {},
            `${latest.user} · `,
            timeElement(latest.at, { testid: 'aios-check-latest-time' })
          )
        : el('span', {}, 'not run yet')
    )
  );
  button.addEventListener('click', onOpen);
  return el(
    'li',
    {
      class: 'aios-check-group',
      'data-testid': 'aios-check-group',
      'data-key': group.key,
      'data-name': group.name,
      'data-status': group.status,
      'data-category': group.category,
      'data-latest-id': latest ? String(latest.id) : undefined
    },
    button,
    group.history.length
      ? el(
          'div',
          { class: 'aios-check-group-history' },
          historyStrip(group.history, { words }),
          el(
            'span',
            { class: 'aios-check-group-runs' },
            `${group.runs} run${group.runs === 1 ? '' : 's'}` +
              (group.failed_runs ? `, ${group.failed_runs} failed` : '')
          )
        )
      : null
  );
}
