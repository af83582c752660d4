/**
 * The report of a promotion: the headline, every gate with its verdict and
 * reason (and the fix of a failed one), the next runs, and the way to the job.
 */
import { getByRole, queryByRole } from '@testing-library/dom';
import userEvent from '@testing-library/user-event';

import { PromotionGate } from '../src/api';
import { reportView } from '../src/promoteResult';
import { gate, passingGates, report } from './fixtures';

function gates(view: HTMLElement): HTMLElement[] {
  return [
    ...getByRole(view, 'list', {
      name: 'Promotion gates'
    }).querySelectorAll<HTMLElement>(':scope > li')
  ];
}

describe('reportView', () => {
  it('announces a promotion and lists every gate as passed, with its reason', () => {
    const view = reportView(report(), null);
    document.body.replaceChildren(view);

    expect(view.getAttribute('role')).toBe('status');
    expect(
      view.querySelector('[data-testid="aios-promote-headline"]')!.textContent
    ).toBe(
      'active Promoted notebooks/nightly_sales.ipynb as job nightly_sales, version 3.'
    );
    const items = gates(view);
    expect(items.map(i => i.dataset.name)).toEqual([
      'parameters_cell',
      'parameters',
      'validation_run',
      'required_checks',
      'grants',
      'approval'
    ]);
    expect(items.every(i => i.dataset.state === 'pass')).toBe(true);
    // screen readers hear the verdict after the title; the mark is decoration
    expect(items[2].querySelector('.aios-gate-title')!.textContent).toBe(
      'a validation run in a fresh kernel succeeds: passed'
    );
    expect(items[2].querySelector('.aios-gate-reason')!.textContent).toBe(
      'ran 12 of 12 cells in 3.1 s'
    );
    expect(
      items[2].querySelector('.aios-gate-mark')!.getAttribute('aria-hidden')
    ).toBe('true');
    expect(view.textContent).toContain(
      'Schedule: At 06:00 AM, Monday through Friday (Europe/Berlin)'
    );
    expect(
      [...view.querySelectorAll('.aios-promote-next time')].map(t =>
        t.getAttribute('datetime')
      )
    ).toEqual(['2026-11-27T05:00:00+00:00', '2026-11-30T05:00:00+00:00']);
  });

  it('says how many gates refused a promotion, and each failed gate’s reason and fix', () => {
    const refused = report({
      status: 'refused',
      passed: false,
      version: null,
      summary: '2 failed, 4 passed',
      cause:
        'gate 3 (a validation run in a fresh kernel succeeds) failed: cell 4 raised ZeroDivisionError: division by zero',
      gates: [
        ...passingGates().slice(0, 2),
        gate({
          name: 'validation_run',
          title: 'a validation run in a fresh kernel succeeds',
          passed: false,
          reason: 'cell 4 raised ZeroDivisionError: division by zero',
          detail: {
            failing_cell: 4,
            fix: 'run the notebook top to bottom in a fresh kernel and fix cell 4'
          }
        }),
        gate({
          name: 'required_checks',
          title: "the notebook's required check suites pass",
          passed: true,
          reason: '1 required suite passed'
        }),
        gate({
          name: 'grants',
          title: "the job's identity may read every dataset the run read",
          passed: false,
          reason: 'svc-reporting has no grant on warehouse.public.customers',
          detail: {
            fix: 'grant svc-reporting read on warehouse.public.customers in governance/grants.yaml'
          }
        }),
        gate({
          name: 'approval',
          title: 'approval by a second user',
          passed: true,
          reason: 'no approval required'
        })
      ]
    });
    const view = reportView(refused, jest.fn());
    document.body.replaceChildren(view);

    expect(
      view.querySelector('[data-testid="aios-promote-headline"]')!.textContent
    ).toBe(
      'refused Promotion refused: 2 failed, 4 passed. Nothing was stored.'
    );
    expect(
      view.querySelector('[data-testid="aios-promote-cause"]')!.textContent
    ).toBe(
      'Cause: gate 3 (a validation run in a fresh kernel succeeds) failed: cell 4 raised ZeroDivisionError: division by zero'
    );
    const [, , run, checks, grants] = gates(view);
    expect(run.dataset.state).toBe('fail');
    expect(run.querySelector('.aios-gate-title')!.textContent).toMatch(
      /: failed$/
    );
    expect(run.querySelector('.aios-gate-reason')!.textContent).toBe(
      'cell 4 raised ZeroDivisionError: division by zero'
    );
    expect(run.querySelector('.aios-gate-fix')!.textContent).toBe(
      'Fix: run the notebook top to bottom in a fresh kernel and fix cell 4'
    );
    expect(grants.querySelector('.aios-gate-fix')!.textContent).toContain(
      'governance/grants.yaml'
    );
    expect(checks.querySelector('.aios-gate-fix')).toBeNull();
    // nothing was stored: no next runs, no job to open
    expect(view.querySelector('.aios-promote-next')).toBeNull();
    expect(queryByRole(view, 'button')).toBeNull();
  });

  it('shows a version waiting for approval as stored, with the approval gate waiting', () => {
    const pending = report({
      status: 'pending_approval',
      gates: [
        ...passingGates().slice(0, 5),
        gate({
          name: 'approval',
          title: 'approval by a second user',
          passed: true,
          pending: true,
          reason: 'waits for bob'
        })
      ]
    });
    const view = reportView(pending, jest.fn());
    expect(
      view.querySelector('[data-testid="aios-promote-headline"]')!.textContent
    ).toBe(
      'pending approval Job nightly_sales version 3 is stored and waits for approval; it runs once approved.'
    );
    const approval = gates(view)[5];
    expect(approval.dataset.state).toBe('pending');
    expect(approval.textContent).toContain(
      'approval by a second user: waiting'
    );
  });

  it('opens the new job in the Jobs section from a focusable button', async () => {
    const openJob = jest.fn();
    document.body.replaceChildren(reportView(report(), openJob));
    const user = userEvent.setup();

    await user.tab();
    const button = getByRole(document.body, 'button', {
      name: 'Open job nightly_sales in the Jobs section'
    });
    expect(document.activeElement).toBe(button);
    await user.keyboard('{Enter}');
    expect(openJob).toHaveBeenCalledWith('nightly_sales');
  });

  it('shows gates behind a failed one as not run (neutral), names the one cause and counts them apart', () => {
    const notRun = (name: PromotionGate['name'], title: string) =>
      gate({
        name,
        title,
        passed: false,
        verdict: 'not_run',
        reason: `not run because gate 1 failed: ${name} needs the parameters cell`,
        detail: { ran: false, blocked_by: 'parameters_cell', fix: 'not this' }
      });
    const refused = report({
      status: 'refused',
      passed: false,
      version: null,
      summary: '1 failed, 3 not run, 1 passed, 1 not required',
      cause:
        'gate 1 (a cell tagged `parameters` exists) failed: no cell is tagged `parameters`',
      gates: [
        gate({
          name: 'parameters_cell',
          title: 'a cell tagged `parameters` exists',
          passed: false,
          reason: 'no cell is tagged `parameters`',
          detail: { fix: 'tag the cell that holds the defaults' }
        }),
        notRun('parameters', 'typed parameters and supplied values are valid'),
        notRun('validation_run', 'a validation run in a fresh kernel succeeds'),
        passingGates()[3],
        notRun(
          'grants',
          "the job's identity may read every dataset the run read"
        ),
        gate({
          name: 'approval',
          title: 'approval by a second user',
          verdict: 'not_required',
          reason: 'not required: no approver is named',
          detail: { required: false }
        })
      ]
    });
    const view = reportView(refused, null);
    document.body.replaceChildren(view);

    expect(
      view.querySelector('[data-testid="aios-promote-headline"]')!.textContent
    ).toBe(
      'refused Promotion refused: 1 failed, 3 not run, 1 passed, 1 not required. Nothing was stored.'
    );
    const items = gates(view);
    expect(items.map(i => i.dataset.verdict)).toEqual([
      'failed',
      'not_run',
      'not_run',
      'passed',
      'not_run',
      'not_required'
    ]);
    // only the failed gate is red; the others say why they did not run, without a fix of their own
    expect(view.querySelectorAll('[data-state="fail"]')).toHaveLength(1);
    const validation = items[2];
    expect(validation.dataset.state).toBe('not-run');
    expect(validation.querySelector('.aios-gate-title')!.textContent).toBe(
      'a validation run in a fresh kernel succeeds — not run'
    );
    expect(validation.querySelector('.aios-gate-reason')!.textContent).toBe(
      'not run because gate 1 failed: validation_run needs the parameters cell'
    );
    expect(validation.querySelector('.aios-gate-fix')).toBeNull();
    const approval = items[5];
    expect(approval.dataset.state).toBe('not-required');
    expect(approval.textContent).toContain('approval by a second user');
    expect(approval.textContent).toContain('not required');
    expect(approval.textContent).not.toContain('passed');
  });

  it('says when a promotion changed nothing, and what a new version changes', () => {
    const unchanged = reportView(
      report({
        status: 'unchanged',
        version: 3,
        previous_version: 3,
        gates: [],
        summary: ''
      }),
      null
    );
    expect(
      unchanged.querySelector('[data-testid="aios-promote-headline"]')!
        .textContent
    ).toBe(
      'unchanged Nothing to promote: job nightly_sales version 3 already runs this notebook with these settings. Nothing was stored.'
    );
    expect(
      unchanged.querySelector('[data-testid="aios-promote-gates"]')
    ).toBeNull();

    const changed = reportView(
      report({
        version: 4,
        previous_version: 3,
        changes: ['retries: 2 → 3', 'schedule: manual only → At 06:00 AM (UTC)']
      }),
      null
    );
    expect(
      changed.querySelector('[data-testid="aios-promote-changes"]')!.textContent
    ).toBe(
      'Changes against version 3:retries: 2 → 3schedule: manual only → At 06:00 AM (UTC)'
    );
  });
});
