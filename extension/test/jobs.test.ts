/**
 * The sidebar's Jobs section: a compact list (state, name, version, schedule
 * in words, next run); a job opens its page in the main area, "All runs" the
 * runs of every job.
 */
import { getByRole, waitFor } from '@testing-library/dom';
import userEvent from '@testing-library/user-event';
import { Widget } from '@lumino/widgets';

import { JobsPanel } from '../src/jobs';
import { FakeService, ok } from './fakeService';
import { jobDetail } from './fixtures';

describe('JobsPanel', () => {
  let service: FakeService;
  let panel: JobsPanel;
  let openJob: jest.Mock;
  let openRuns: jest.Mock;

  beforeEach(() => {
    service = new FakeService()
      .on(
        'GET',
        'jobs',
        ok({
          jobs: [
            jobDetail(),
            jobDetail({ name: 'weekly', paused: true, next_run: null })
          ]
        })
      )
      .install();
    openJob = jest.fn();
    openRuns = jest.fn();
    panel = new JobsPanel({ openJob, openRuns });
    Widget.attach(panel, document.body);
  });

  afterEach(() => {
    panel.dispose();
    service.uninstall();
  });

  it('lists the jobs in words and opens a job’s page and the runs of every job', async () => {
    await panel.reload();
    const rows = [
      ...panel.node.querySelectorAll<HTMLElement>('[data-testid="aios-job"]')
    ];
    expect(rows.map(r => r.dataset.state)).toEqual(['never run', 'paused']);
    expect(rows[0].textContent).toContain(
      'At 06:00 AM, Monday through Friday (Europe/Berlin)'
    );
    expect(rows[1].textContent).toContain('paused');
    expect(panel.node.textContent).not.toMatch(/\bfalse\b|\btrue\b/);

    const user = userEvent.setup();
    await user.click(
      getByRole(panel.node, 'button', { name: /^weekly: paused/ })
    );
    expect(openJob).toHaveBeenCalledWith('weekly');
    await waitFor(() =>
      expect(rows[1].classList.contains('aios-selected')).toBe(true)
    );
    await user.click(getByRole(panel.node, 'button', { name: 'All runs' }));
    expect(openRuns).toHaveBeenCalled();
  });
});
