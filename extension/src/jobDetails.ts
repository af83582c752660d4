import { JobDetail, JobSetting } from './api';
import { toneBadge } from './badges';
import { el, emptyNote } from './dom';
import { formatInZone, timeElement } from './time';

/** A parameter of the job's notebook, as its version's schema types it. */
type NotebookParameter = {
  name: string;
  type: string;
  default: unknown;
  help?: string;
};

/**
 * A parameter value as people read it: text in quotes, yes/no for
 * booleans, lists as "DHL, UPS", none for null (never a JSON dump).
 */
export function parameterValue(value: unknown): string {
  if (value === null || value === undefined) {
    return 'none';
  }
  if (typeof value === 'boolean') {
    return value ? 'yes' : 'no';
  }
  if (typeof value === 'string') {
    return `“${value}”`;
  }
  if (Array.isArray(value)) {
    return value.length ? value.map(parameterValue).join(', ') : 'empty list';
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    return entries.length
      ? entries.map(([k, v]) => `${k}: ${parameterValue(v)}`).join('; ')
      : 'empty';
  }
  return String(value);
}

function schemaParameters(job: JobDetail): NotebookParameter[] {
  const schema = job.parameter_schema as { parameters?: NotebookParameter[] };
  return schema && Array.isArray(schema.parameters) ? schema.parameters : [];
}

/**
 * The job's parameters: each with its type and the value the job runs
 * with (set at promotion, or the notebook's default).
 */
export function parametersTable(job: JobDetail): HTMLElement {
  const values = job.spec.parameters as Record<string, unknown>;
  const declared = schemaParameters(job);
  const names = [
    ...declared.map(p => p.name),
    ...Object.keys(values).filter(n => !declared.some(p => p.name === n))
  ];
  if (!names.length) {
    return emptyNote('The notebook declares no parameters.');
  }
  const rows = names.map(name => {
    const param = declared.find(p => p.name === name);
    const set = Object.prototype.hasOwnProperty.call(values, name);
    const value = set ? values[name] : param?.default;
    return el(
      'tr',
      { 'data-parameter': name },
      el('th', { scope: 'row' }, el('code', {}, name)),
      el('td', { class: 'aios-muted' }, param?.type ?? 'any'),
      el(
        'td',
        { 'data-field': 'value' },
        parameterValue(value),
        set ? '' : el('span', { class: 'aios-muted' }, ' (notebook default)')
      ),
      el('td', { class: 'aios-muted' }, param?.help ?? '')
    );
  });
  return el(
    'table',
    {
      class: 'aios-table aios-job-parameters',
      'data-testid': 'aios-job-parameters'
    },
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        ...['Parameter', 'Type', 'Value', 'About'].map(h =>
          el('th', { scope: 'col' }, h)
        )
      )
    ),
    el('tbody', {}, ...rows)
  );
}

/**
 * The job's settings in words, as the service says them, grouped by
 * section (Retries, Time limits, Notifications, Triggers, Running).
 */
export function settingsView(
  settings: readonly JobSetting[],
  triggeredByThis: readonly string[] = []
): HTMLElement {
  const sections = new Map<string, JobSetting[]>();
  for (const setting of settings) {
    sections.set(setting.section, [
      ...(sections.get(setting.section) ?? []),
      setting
    ]);
  }
  const groups = [...sections].map(([section, rows]) => {
    const list = el('dl', { class: 'aios-meta' });
    for (const row of rows) {
      list.append(
        el('dt', {}, row.label),
        el('dd', { 'data-setting': `${section}: ${row.label}` }, row.value)
      );
    }
    if (section === 'Triggers') {
      list.append(
        el('dt', {}, 'Starts when it succeeds'),
        el(
          'dd',
          { 'data-setting': 'Triggers: Starts when it succeeds' },
          triggeredByThis.length
            ? triggeredByThis.map(j => `job ${j}`).join(', ')
            : 'none'
        )
      );
    }
    return el(
      'section',
      {
        class: 'aios-job-settings-group',
        'aria-label': section
      },
      el('h4', { class: 'aios-subtitle' }, section),
      list
    );
  });
  return el(
    'div',
    { class: 'aios-job-settings', 'data-testid': 'aios-job-settings' },
    ...groups
  );
}

/** An absolute time in the user's zone and, after it, how far it is from now. */
function when(iso: string | null): HTMLElement | string {
  if (!iso) {
    return '—';
  }
  return el(
    'span',
    {},
    el(
      'time',
      { datetime: iso, title: formatInZone(iso, 'UTC') },
      formatInZone(iso)
    ),
    ' (',
    timeElement(iso),
    ')'
  );
}

/**
 * The job at a glance: its state badge and name, notebook, version,
 * schedule in words, next run in the user's zone, who it runs as.
 */
export function jobSummary(job: JobDetail): HTMLElement {
  const state = job.paused
    ? 'paused'
    : job.version_status === 'active' || !job.version_status
      ? 'active'
      : job.version_status;
  const meta = el('dl', { class: 'aios-meta' });
  const add = (label: string, value: Node | string | null | undefined) => {
    if (value !== null && value !== undefined && value !== '') {
      const field = label.toLowerCase().replace(/\s+/g, '-');
      meta.append(
        el('dt', {}, label),
        el('dd', { 'data-field': field }, value)
      );
    }
  };
  add('Notebook', el('code', {}, job.notebook));
  add(
    'Version',
    `${job.version}${job.version_status && job.version_status !== 'active' ? ` (${job.version_status.replace(/_/g, ' ')})` : ''}`
  );
  add(
    'Schedule',
    el('span', { 'data-testid': 'aios-job-schedule' }, job.schedule)
  );
  add(
    'Next run',
    job.paused ? 'paused' : job.next_run ? when(job.next_run) : 'not scheduled'
  );
  add('Runs as', job.identity);
  add('Created by', job.created_by);
  return el(
    'div',
    {},
    el(
      'h3',
      { class: 'aios-compare-title aios-job-title' },
      toneBadge(state),
      ' ',
      job.name
    ),
    meta
  );
}
