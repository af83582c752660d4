import { JupyterFrontEnd } from '@jupyterlab/application';
import { MainAreaWidget } from '@jupyterlab/apputils';
import { NotebookPanel } from '@jupyterlab/notebook';

import { JobDetail } from './api';
import { JobRunsPage } from './jobRunsPage';
import { JobView } from './jobView';
import { IRunsFilter } from './jobsApi';
import { OutputOpener } from './output';
import { PromoteDialog } from './promote';

/**
 * Options of {@link JobScreens}.
 */
export interface IJobScreensOptions {
  /** Seconds between refreshes while a run is queued or running (settings). */
  pollSeconds: () => number;
  /** The zone a schedule is written in by the Promote dialog (settings). */
  timeZone: () => string;
  /** Show the sidebar's list of jobs. */
  showList: () => void;
  /** A job was changed or deleted: reload the sidebar's list. */
  listChanged: () => void;
}

/**
 * The jobs' main-area screens: one page per job, the runs of every job,
 * and run outputs (each with a way back to its job's page). Opening one
 * that is open shows it again.
 */
export class JobScreens {
  constructor(app: JupyterFrontEnd, options: IJobScreensOptions) {
    this._app = app;
    this._options = options;
    this.outputs = new OutputOpener(app, name => this.openJob(name));
  }

  /** Opens run outputs under their header. */
  readonly outputs: OutputOpener;

  /** Open (or show again, refreshed) the page of job `name`. */
  openJob(name: string): void {
    const id = `aios-job-${name}`;
    const open = this._find(id) as MainAreaWidget<JobView> | undefined;
    if (open) {
      this._app.shell.activateById(id);
      void open.content.refresh();
      return;
    }
    let widget: MainAreaWidget<JobView> | null = null;
    const view = new JobView({
      outputs: this.outputs,
      onBack: () => this._options.showList(),
      pollSeconds: this._options.pollSeconds,
      visible: () => !!widget?.isVisible,
      edit: job => void this._edit(job),
      openRuns: () => this.openRuns(),
      changed: () => this._options.listChanged(),
      onDeleted: () => {
        this._options.listChanged();
        widget?.dispose();
        this._options.showList();
      }
    });
    widget = new MainAreaWidget({ content: view });
    widget.id = id;
    widget.title.label = `Job ${name}`;
    widget.title.caption = `Job ${name}: schedule, runs, settings, versions`;
    widget.title.closable = true;
    this._app.shell.add(widget, 'main');
    this._app.shell.activateById(id);
    void view.open(name);
  }

  /** Open (or show again) the runs of every job, with `filter` when given. */
  openRuns(filter?: IRunsFilter): void {
    const id = 'aios-job-runs';
    const open = this._find(id) as MainAreaWidget<JobRunsPage> | undefined;
    if (open) {
      this._app.shell.activateById(id);
      void (filter ? open.content.show(filter) : open.content.reload());
      return;
    }
    const page = new JobRunsPage({
      outputs: this.outputs,
      openJob: name => this.openJob(name)
    });
    const widget = new MainAreaWidget({ content: page });
    widget.id = id;
    widget.title.label = 'Job runs';
    widget.title.caption = 'The runs of every job, newest first';
    widget.title.closable = true;
    this._app.shell.add(widget, 'main');
    this._app.shell.activateById(id);
    void page.show(filter);
  }

  /** Edit: the job's notebook and the Promote dialog from the job's current definition. */
  private async _edit(job: JobDetail): Promise<void> {
    const panel = (await this._app.commands.execute('docmanager:open', {
      path: job.notebook,
      factory: 'Notebook'
    })) as NotebookPanel;
    await panel.context.ready;
    const dialog = new PromoteDialog({
      panel,
      timeZone: this._options.timeZone(),
      openJob: name => this.openJob(name),
      job: job.name
    });
    await dialog.launch();
    dialog.dispose();
    this._options.listChanged();
    const open = this._find(`aios-job-${job.name}`) as
      MainAreaWidget<JobView> | undefined;
    void open?.content.refresh();
  }

  private _find(id: string) {
    return Array.from(this._app.shell.widgets('main')).find(w => w.id === id);
  }

  private readonly _app: JupyterFrontEnd;
  private readonly _options: IJobScreensOptions;
}
