import { JobDetail } from './api';
import { el } from './dom';

/**
 * What the job page's buttons do.
 */
export interface IJobControlActions {
  runNow: () => void;
  setPaused: (paused: boolean) => void;
  /** Open the Promote dialog from the job's current definition (absent: no Edit button). */
  edit?: () => void;
  /** Delete the job, once confirmed. */
  remove: () => void;
}

function button(
  label: string,
  testid: string,
  why: string | undefined,
  onClick: () => void,
  extra = ''
): HTMLButtonElement {
  const node = el(
    'button',
    {
      type: 'button',
      class: `aios-button${extra ? ` ${extra}` : ''}`,
      'data-testid': testid,
      title: why
    },
    label
  );
  node.disabled = why !== undefined;
  node.addEventListener('click', onClick);
  return node;
}

/**
 * The confirmation of Delete: it names the job and says what goes (its runs,
 * their output notebooks and logs) and what stays (its versions, the audit log).
 */
export function deleteConfirmation(
  name: string,
  onConfirm: () => void,
  onCancel: () => void
): HTMLElement {
  const confirm = button(
    `Delete job ${name}`,
    'aios-job-delete-confirm',
    undefined,
    onConfirm,
    'aios-danger'
  );
  const cancel = button('Keep it', 'aios-job-delete-cancel', undefined, () =>
    onCancel()
  );
  const box = el(
    'div',
    {
      class: 'aios-job-delete-box',
      role: 'alertdialog',
      'aria-label': `Delete job ${name}?`,
      'data-testid': 'aios-job-delete-box'
    },
    el('p', {}, el('strong', {}, `Delete job ${name}?`)),
    el(
      'p',
      {},
      'This removes the job, every run of it with its output notebooks and logs, and stops a queued or ' +
        'running run. Its versions (the promoted notebook snapshots) and the audit log stay; promoting the ' +
        'notebook again under this name continues its version numbers.'
    ),
    el('div', { class: 'aios-job-actions' }, confirm, cancel)
  );
  box.addEventListener('keydown', event => {
    if (event.key === 'Escape') {
      event.stopPropagation();
      onCancel();
    }
  });
  return box;
}

/**
 * The job's controls: Run now, Pause or Resume, Edit, Delete. Disabled, with
 * the reason as their tooltip, for a user who may not control the job.
 */
export function jobControls(
  job: JobDetail,
  actions: IJobControlActions
): HTMLElement {
  const why =
    job.can_control !== false
      ? undefined
      : `Only ${job.created_by}, ${job.identity} or an auditor may control this job`;
  const runnable =
    why ??
    (job.version_status && job.version_status !== 'active'
      ? `Version ${job.version} is ${job.version_status.replace(/_/g, ' ')}`
      : undefined);
  const group = el('div', {
    class: 'aios-job-actions',
    role: 'group',
    'aria-label': 'Job controls'
  });
  const confirmBox = el('div', { class: 'aios-job-delete-slot' });
  group.append(
    button(
      'Run now',
      'aios-job-run-now',
      runnable,
      actions.runNow,
      'aios-primary'
    ),
    button(
      job.paused ? 'Resume' : 'Pause',
      job.paused ? 'aios-job-resume' : 'aios-job-pause',
      why,
      () => actions.setPaused(!job.paused)
    )
  );
  if (actions.edit) {
    const edit = button('Edit…', 'aios-job-edit', why, actions.edit);
    edit.setAttribute(
      'aria-label',
      `Edit job ${job.name}: the Promote dialog with its current settings`
    );
    group.append(edit);
  }
  const remove = button('Delete…', 'aios-job-delete', why, () => {
    const box = deleteConfirmation(
      job.name,
      () => {
        confirmBox.replaceChildren();
        actions.remove();
      },
      () => {
        confirmBox.replaceChildren();
        remove.focus();
      }
    );
    confirmBox.replaceChildren(box);
    box.querySelector<HTMLButtonElement>('button')?.focus();
  });
  remove.setAttribute('aria-label', `Delete job ${job.name}…`);
  group.append(remove);
  return el('div', {}, group, confirmBox);
}
