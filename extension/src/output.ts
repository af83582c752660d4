import { JupyterFrontEnd } from '@jupyterlab/application';
import { MainAreaWidget } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { JobRun } from './api';
import { toneBadge } from './badges';
import { el } from './dom';
import { parameterValue } from './jobDetails';
import { fetchOutputHtml, fetchRun } from './jobsApi';
import { formatDuration, formatInZone } from './time';

/**
 * Opens a job run's output notebook for the user.
 */
export interface IOutputOpener {
  open(run: Pick<JobRun, 'id' | 'job'>): Promise<void>;
}

/**
 * What an output shows above the notebook: job (a way back to its page),
 * version, run number, status, started/ended, duration, how it started,
 * and the parameters it ran with.
 */
export function outputHeader(
  run: JobRun,
  actions: { openJob?: (name: string) => void; openNotebook?: () => void }
): HTMLElement {
  const meta = el('dl', { class: 'aios-meta aios-output-meta' });
  const add = (label: string, value: Node | string) =>
    meta.append(
      el('dt', {}, label),
      el('dd', { 'data-field': label.toLowerCase() }, value)
    );
  const time = (iso: string | null) =>
    iso
      ? el(
          'time',
          { datetime: iso, title: formatInZone(iso, 'UTC') },
          formatInZone(iso)
        )
      : '—';
  add('Version', String(run.version));
  add('Status', toneBadge(run.verdict));
  add('Started', time(run.started_at));
  add('Ended', time(run.finished_at));
  add('Duration', formatDuration(run.duration_seconds));
  add('Trigger', run.trigger_words);
  const parameters = Object.entries(run.parameters);
  add(
    'Parameters',
    parameters.length
      ? el(
          'ul',
          { class: 'aios-output-parameters' },
          ...parameters.map(([name, value]) =>
            el('li', {}, el('code', {}, name), ' = ', parameterValue(value))
          )
        )
      : 'none set: the notebook’s defaults'
  );
  const job = run.job ?? 'job';
  const buttons: HTMLElement[] = [];
  const { openJob, openNotebook } = actions;
  if (openJob && run.job) {
    const back = el(
      'button',
      {
        type: 'button',
        class: 'aios-button aios-back',
        'data-testid': 'aios-output-back',
        title: `Open the page of job ${job}`
      },
      `‹ Job ${job}`
    );
    back.addEventListener('click', () => openJob(job));
    buttons.push(back);
  }
  if (openNotebook) {
    const open = el(
      'button',
      {
        type: 'button',
        class: 'aios-button',
        'data-testid': 'aios-output-open-notebook'
      },
      'Open as a notebook'
    );
    open.addEventListener('click', () => openNotebook());
    buttons.push(open);
  }
  return el(
    'header',
    { class: 'aios-output-header', 'data-testid': 'aios-output-header' },
    el('div', { class: 'aios-dataset-bar' }, ...buttons),
    el('h3', { class: 'aios-compare-title' }, `${job} · run ${run.id}`),
    meta
  );
}

/**
 * The executed notebook shown as HTML in a sandboxed iframe (no scripts),
 * from a blob URL that is released when the tab closes, under its header.
 */
class OutputPage extends Widget {
  constructor(header: HTMLElement, html: string | null, title: string) {
    super();
    this.addClass('aios-output-frame');
    this.addClass('aios-output-page');
    this.node.appendChild(header);
    if (html !== null) {
      this._url = URL.createObjectURL(new Blob([html], { type: 'text/html' }));
      this.node.appendChild(
        el('iframe', {
          src: this._url,
          sandbox: '',
          title,
          'data-testid': 'aios-output-frame'
        })
      );
    } else {
      this.node.appendChild(
        el(
          'p',
          { class: 'aios-muted' },
          'No HTML rendering of this output was kept; open it as a notebook.'
        )
      );
    }
  }

  dispose(): void {
    if (this._url) {
      URL.revokeObjectURL(this._url);
    }
    super.dispose();
  }

  private _url = '';
}

/**
 * Open output notebooks in a main-area tab: a header (job, version, run,
 * status, times, parameters, a way back to the job page) above the
 * notebook rendered as HTML; "Open as a notebook" opens the file itself
 * when the Jupyter server serves it (paths from the service are
 * workspace-relative, the root of `aios lab`).
 */
export class OutputOpener implements IOutputOpener {
  constructor(app: JupyterFrontEnd, openJob?: (name: string) => void) {
    this._app = app;
    this._openJob = openJob;
  }

  async open(run: Pick<JobRun, 'id' | 'job'>): Promise<void> {
    const fresh = await fetchRun(run.id);
    const path = fresh.output_path;
    if (!fresh.html_path && !path) {
      throw new Error(
        `Run ${run.id} has no output notebook yet` +
          (fresh.status === 'queued' || fresh.status === 'running'
            ? ' (it has not finished).'
            : '.')
      );
    }
    const reachable = path !== null && (await this._reachable(path));
    const openNotebook =
      path && reachable
        ? () =>
            void this._app.commands.execute('docmanager:open', {
              path,
              factory: 'Notebook'
            })
        : undefined;
    if (!fresh.html_path && openNotebook) {
      openNotebook();
      return;
    }
    const html = fresh.html_path ? await fetchOutputHtml(run.id) : null;
    const title = `${fresh.job ?? run.job ?? 'job'} · run ${run.id}`;
    const id = `aios-output-${run.id}`;
    const open = Array.from(this._app.shell.widgets('main')).find(
      w => w.id === id
    );
    open?.dispose(); // show the run as it is now
    const header = outputHeader(fresh, {
      openJob: this._openJob,
      openNotebook
    });
    const widget = new MainAreaWidget({
      content: new OutputPage(header, html, `Output of ${title}`)
    });
    widget.id = id;
    widget.title.label = title;
    widget.title.caption = `Output notebook of ${title} (read-only HTML)`;
    widget.title.closable = true;
    this._app.shell.add(widget, 'main');
    this._app.shell.activateById(widget.id);
  }

  /** Whether the Jupyter server's contents API serves `path` (hidden folders are not served by default). */
  private async _reachable(path: string): Promise<boolean> {
    try {
      await this._app.serviceManager.contents.get(path, { content: false });
      return true;
    } catch {
      return false;
    }
  }

  private readonly _app: JupyterFrontEnd;
  private readonly _openJob?: (name: string) => void;
}
