import { JobVersion } from './api';
import { toneBadge } from './badges';
import { smallButton } from './buttons';
import { el } from './dom';
import { formatInZone } from './time';

/**
 * Options of {@link versionsView}.
 */
export interface IVersionsOptions {
  /** Whether the caller may roll the job back (the job's controllers). */
  canControl: boolean;
  /** Roll the job back to `version`. */
  rollback: (version: number) => void;
}

function who(version: JobVersion): string {
  const when = version.promoted_at
    ? `, ${formatInZone(version.promoted_at)}`
    : '';
  const approved = version.approved_by
    ? `; approved by ${version.approved_by}`
    : '';
  return `promoted by ${version.promoted_by}${when}${approved}`;
}

/**
 * A job's version history, newest first: each version's status, who
 * promoted (and approved) it and when, what it changed against the one
 * before, and a Rollback action on every earlier active version.
 */
export function versionsView(
  versions: readonly JobVersion[],
  options: IVersionsOptions
): HTMLElement {
  const items = [...versions].reverse().map(version => {
    const changes = version.changes.length
      ? el(
          'ul',
          { class: 'aios-job-version-changes', 'aria-label': 'What changed' },
          ...version.changes.map(change => el('li', {}, change))
        )
      : el(
          'p',
          { class: 'aios-muted aios-job-version-changes' },
          version.version === versions[0]?.version
            ? 'The first version.'
            : 'Nothing changed but the promotion.'
        );
    const rollbackable =
      !version.current && version.status === 'active' && options.canControl;
    const action = rollbackable
      ? smallButton(
          'Rollback',
          {
            'data-testid': 'aios-job-rollback',
            'aria-label': `Roll back to version ${version.version}`,
            title: `Run version ${version.version} again (its notebook, parameters and schedule)`
          },
          () => options.rollback(version.version)
        )
      : null;
    return el(
      'li',
      {
        class: 'aios-job-version',
        'data-testid': 'aios-job-version',
        'data-version': String(version.version),
        'data-current': String(version.current)
      },
      el(
        'div',
        { class: 'aios-check-run-line' },
        el('span', { class: 'aios-run-name' }, `Version ${version.version}`),
        version.current
          ? el(
              'span',
              { class: 'aios-job-current', 'data-testid': 'aios-job-current' },
              'current'
            )
          : null,
        version.status === 'active' ? null : toneBadge(version.status),
        action
      ),
      el('div', { class: 'aios-check-run-meta' }, who(version)),
      changes
    );
  });
  return el(
    'ol',
    {
      class: 'aios-job-versions',
      'data-testid': 'aios-job-versions',
      'aria-label': 'Versions, newest first'
    },
    ...items
  );
}
