/**
 * The sidebar's two kinds of buttons: a section's reload button and the
 * small action buttons of a list item (acknowledge, cancel, re-run, ...).
 */
import { refreshIcon } from '@jupyterlab/ui-components';

import { Attrs, el } from './dom';

/**
 * The round reload button of a section's header; `what` says what it
 * reloads ("the alerts"), for its label and tooltip.
 */
export function reloadButton(
  what: string,
  onClick: () => void,
  testid?: string
): HTMLButtonElement {
  const label = `Reload ${what}`;
  const node = el(
    'button',
    {
      type: 'button',
      class: 'aios-status-refresh',
      'aria-label': label,
      title: label,
      'data-testid': testid
    },
    refreshIcon.element({ tag: 'span' })
  );
  node.addEventListener('click', onClick);
  return node;
}

/**
 * A small action button labelled `label`; `attrs` adds its test id and
 * accessible name, `primary` marks the action most people take.
 */
export function smallButton(
  label: string,
  attrs: Attrs,
  onClick: () => void,
  primary = false
): HTMLButtonElement {
  const node = el(
    'button',
    {
      type: 'button',
      class: `aios-button aios-small${primary ? ' aios-primary' : ''}`,
      ...attrs
    },
    label
  );
  node.addEventListener('click', onClick);
  return node;
}
