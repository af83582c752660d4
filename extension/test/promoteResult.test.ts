/**
 * The report of a promotion: the headline, every gate with its verdict and
 * reason (and the fix of a failed one), the next runs, and the way to the job.
 */
import { getByRole, queryByRole } from '@testing-library/dom';
import userEvent from '@testing-library/user-event';

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
      'refused Promotion refused: 2 of 6 gates failed. Nothing was stored.'
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
});
