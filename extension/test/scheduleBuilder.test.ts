/**
 * The Promote dialog's schedule builder: a preset or raw cron, a time zone,
 * and the live preview the service computes (`GET schedule/preview`): the
 * schedule in words and its next runs; a schedule the service rejects
 * shows its reason on the field to fix.
 */
import {
  fireEvent,
  getByLabelText,
  getByTestId,
  waitFor
} from '@testing-library/dom';
import userEvent from '@testing-library/user-event';

import { ScheduleBuilder } from '../src/scheduleBuilder';
import {
  FakeService,
  ISentRequest,
  deferred,
  failure,
  ok,
  IReply
} from './fakeService';

/** The service's preview of a cron expression (next_runs in UTC and in the job's zone). */
function preview(request: ISentRequest): IReply {
  const cron = request.query.cron;
  const words: Record<string, string> = {
    '0 6 * * *': 'At 06:00 AM (Europe/Berlin)',
    '0 6 * * 1-5': 'At 06:00 AM, Monday through Friday (Europe/Berlin)',
    '30 7 * * 1-5': 'At 07:30 AM, Monday through Friday (Europe/Berlin)',
    '30 7 * * 3': 'At 07:30 AM, only on Wednesday (Europe/Berlin)',
    '*/15 9-17 * * 1-5':
      'Every 15 minutes, between 09:00 AM and 05:59 PM, Monday through Friday (Europe/Berlin)'
  };
  return ok({
    schedule: {
      kind: 'cron',
      cron,
      timezone: request.query.timezone,
      at: null,
      description: words[cron] ?? cron
    },
    next_runs: [1, 2, 3, 4, 5].map(day => ({
      utc: `2026-12-0${day}T05:00:00+00:00`,
      local: `2026-12-0${day}T06:00:00+01:00`
    }))
  });
}

describe('ScheduleBuilder', () => {
  let service: FakeService;
  let builder: ScheduleBuilder;
  let validityChanged: jest.Mock;

  beforeEach(() => {
    service = new FakeService()
      .on('GET', 'schedule/preview', preview)
      .install();
    validityChanged = jest.fn();
    builder = new ScheduleBuilder('p', 'Europe/Berlin', validityChanged);
    document.body.replaceChildren(builder.node);
  });

  afterEach(() => {
    builder.dispose();
    service.uninstall();
  });

  const control = (label: string) =>
    getByLabelText(document.body, label) as HTMLInputElement;
  const previewNode = () => getByTestId(document.body, 'aios-schedule-preview');

  it('starts as a manual job: no time fields, no request, and says how it runs', () => {
    expect(control('Runs').value).toBe('manual');
    expect(previewNode().textContent).toBe(
      'Runs only when started by hand (Run now) or by a trigger.'
    );
    expect(
      control('At').closest('.aios-schedule-when')!.hasAttribute('hidden')
    ).toBe(true);
    expect(control('Time zone').value).toBe('Europe/Berlin');
    expect(builder.read()).toEqual({
      cron: null,
      timezone: 'Europe/Berlin',
      at: null
    });
    expect(service.requests).toEqual([]);
  });

  it('previews a daily schedule in words with its next five runs', async () => {
    const user = userEvent.setup();
    await user.selectOptions(control('Runs'), 'Daily at…');

    await waitFor(() =>
      expect(
        getByTestId(document.body, 'aios-schedule-words').textContent
      ).toBe('At 06:00 AM (Europe/Berlin)')
    );
    expect(service.sent('GET', 'schedule/preview').map(r => r.query)).toEqual([
      { cron: '0 6 * * *', timezone: 'Europe/Berlin', count: '5' }
    ]);
    const runs = getByTestId(document.body, 'aios-next-runs').querySelectorAll(
      'time'
    );
    expect([...runs].map(t => t.dateTime)).toEqual(
      [1, 2, 3, 4, 5].map(d => `2026-12-0${d}T05:00:00+00:00`)
    );
    expect(runs[0].textContent).toMatch(/05:00/); // shown in the user's zone (UTC here)
    expect(runs[0].title).toBe('2026-12-01T06:00:00+01:00 (Europe/Berlin)');
    expect(previewNode().textContent).toContain(
      'Next runs, in your time zone (UTC):'
    );
    // only the fields the preset uses are shown
    expect(control('At').closest('.aios-field')!.hasAttribute('hidden')).toBe(
      false
    );
    expect(
      control('Minute past the hour')
        .closest('.aios-field')!
        .hasAttribute('hidden')
    ).toBe(true);
    expect(control('On').closest('.aios-field')!.hasAttribute('hidden')).toBe(
      true
    );
    await waitFor(() =>
      expect(previewNode().hasAttribute('aria-busy')).toBe(false)
    );
  });

  it('writes a weekly schedule from the day and time picked', async () => {
    const user = userEvent.setup();
    await user.selectOptions(control('Runs'), 'weekly');
    await user.selectOptions(control('On'), 'Wednesday');
    fireEvent.change(control('At'), { target: { value: '07:30' } });

    expect(builder.read()).toEqual({
      cron: '30 7 * * 3',
      timezone: 'Europe/Berlin',
      at: null
    });
    await waitFor(() =>
      expect(previewNode().textContent).toContain('only on Wednesday')
    );
    // edits in quick succession are previewed once, after the last one
    expect(
      service.sent('GET', 'schedule/preview').map(r => r.query.cron)
    ).toEqual(['30 7 * * 3']);
  });

  it('marks a minute out of range and says why, without asking the service', async () => {
    const user = userEvent.setup();
    await user.selectOptions(control('Runs'), 'hourly');
    const minute = control('Minute past the hour');
    await user.clear(minute);
    await user.type(minute, '75');

    await waitFor(() =>
      expect(previewNode().textContent).toBe(
        'minute must be a whole number from 0 to 59, got 75'
      )
    );
    expect(minute.getAttribute('aria-invalid')).toBe('true');
    expect(minute.classList).toContain('jp-mod-error');
    expect(validityChanged).toHaveBeenCalled();
    expect(() => builder.read()).toThrow(
      'minute must be a whole number from 0 to 59, got 75'
    );
    expect(
      service.sent('GET', 'schedule/preview').map(r => r.query.cron)
    ).not.toContain('75 * * * *');
  });

  it('shows the service’s reason and fix for a cron expression it rejects', async () => {
    service.on('GET', 'schedule/preview', request =>
      request.query.cron === '61 * * * *'
        ? failure(
            400,
            'invalid_schedule',
            'bad cron expression "61 * * * *": minute 61 is out of range',
            'minutes are 0-59'
          )
        : preview(request)
    );
    const user = userEvent.setup();
    await user.selectOptions(control('Runs'), 'Custom cron expression');
    const cron = control('Cron expression');
    await user.type(cron, '61 * * * *');

    const error = await waitFor(() =>
      getByTestId(document.body, 'aios-schedule-error')
    );
    expect(error.textContent).toBe(
      'bad cron expression "61 * * * *": minute 61 is out of range — Fix: minutes are 0-59'
    );
    expect(cron.getAttribute('aria-invalid')).toBe('true');
  });

  it('refuses a time zone that does not exist', async () => {
    const user = userEvent.setup();
    await user.selectOptions(control('Runs'), 'daily');
    const zone = control('Time zone');
    await user.clear(zone);
    await user.type(zone, 'Mars/Olympus');

    await waitFor(() =>
      expect(previewNode().textContent).toContain(
        '"Mars/Olympus" is not a time zone'
      )
    );
    expect(zone.getAttribute('aria-invalid')).toBe('true');
    control('Runs').focus();
    expect(() => builder.read()).toThrow(
      'use an IANA name such as Europe/Berlin or UTC'
    );
    expect(document.activeElement).toBe(zone); // the keyboard goes to the field to fix
  });

  it('opens a custom cron expression on the schedule it replaces', async () => {
    const user = userEvent.setup();
    await user.selectOptions(control('Runs'), 'weekdays');
    fireEvent.change(control('At'), { target: { value: '07:30' } });
    await waitFor(() =>
      expect(previewNode().textContent).toContain('Monday through Friday')
    );

    await user.selectOptions(control('Runs'), 'cron');
    expect(control('Cron expression').value).toBe('30 7 * * 1-5');
    expect(
      control('Cron expression').closest('.aios-field')!.hasAttribute('hidden')
    ).toBe(false);
  });

  it('shows only the newest preview when answers arrive out of order', async () => {
    const slow = deferred<IReply>();
    service.on('GET', 'schedule/preview', request =>
      request.query.cron === '0 6 * * *' ? slow.promise : preview(request)
    );
    const user = userEvent.setup();
    await user.selectOptions(control('Runs'), 'daily');
    await waitFor(() =>
      expect(service.sent('GET', 'schedule/preview')).toHaveLength(1)
    );
    expect(previewNode().getAttribute('aria-busy')).toBe('true');

    await user.selectOptions(control('Runs'), 'weekdays');
    await waitFor(() =>
      expect(previewNode().textContent).toContain(
        'At 06:00 AM, Monday through Friday'
      )
    );
    slow.resolve(
      preview({
        method: 'GET',
        endpoint: 'schedule/preview',
        query: { cron: '0 6 * * *', timezone: 'Europe/Berlin' },
        body: undefined
      })
    );
    await new Promise(resolve => setTimeout(resolve, 50));
    expect(previewNode().textContent).not.toContain(
      'At 06:00 AM (Europe/Berlin)'
    );
  });

  it('opens on a job’s schedule: the preset that writes its cron, its zone, a one-off time kept as is', async () => {
    builder.setSchedule({
      kind: 'cron',
      cron: '30 7 * * 3',
      timezone: 'America/New_York',
      at: null
    });
    expect(control('Runs').value).toBe('weekly');
    expect(control('On').value).toBe('3');
    expect(control('At').value).toBe('07:30');
    expect(control('Time zone').value).toBe('America/New_York');
    expect(builder.read()).toEqual({
      cron: '30 7 * * 3',
      timezone: 'America/New_York',
      at: null
    });

    builder.setSchedule({
      kind: 'cron',
      cron: '*/15 9-17 * * 1-5',
      timezone: 'UTC',
      at: null
    });
    expect(control('Runs').value).toBe('cron');
    expect(control('Cron expression').value).toBe('*/15 9-17 * * 1-5');

    builder.setSchedule({
      kind: 'once',
      cron: null,
      timezone: 'UTC',
      at: '2027-01-04T06:00:00+00:00'
    });
    expect(builder.read()).toEqual({
      cron: null,
      timezone: 'UTC',
      at: '2027-01-04T06:00:00+00:00'
    });
    await waitFor(() =>
      expect(
        service.sent('GET', 'schedule/preview').map(r => r.query.at)
      ).toContain('2027-01-04T06:00:00+00:00')
    );
    // picking a preset replaces the one-off time
    await userEvent.setup().selectOptions(control('Runs'), 'daily');
    expect(builder.read().at).toBeNull();
  });
});
