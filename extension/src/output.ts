import { JupyterFrontEnd } from '@jupyterlab/application';
import { MainAreaWidget } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { JobRun } from './api';
import { el } from './dom';
import { fetchOutputHtml, fetchRun } from './jobsApi';

/**
 * Opens a job run's output notebook for the user.
 */
export interface IOutputOpener {
  open(run: Pick<JobRun, 'id' | 'job'>): Promise<void>;
}

/**
 * The executed notebook shown as HTML in a sandboxed iframe (no scripts),
 * from a blob URL that is released when the tab closes.
 */
class OutputFrame extends Widget {
  constructor(html: string, title: string) {
    super();
    this.addClass('aios-output-frame');
    this._url = URL.createObjectURL(new Blob([html], { type: 'text/html' }));
    this.node.appendChild(
      el('iframe', {
        src: this._url,
        sandbox: '',
        title,
        'data-testid': 'aios-output-frame'
      })
    );
  }

  dispose(): void {
    URL.revokeObjectURL(this._url);
    super.dispose();
  }

  private readonly _url: string;
}

/**
 * Open output notebooks in JupyterLab: with the document manager when the
 * output lies under the Jupyter root (paths from the service are
 * workspace-relative, the root of `aios lab`), else as HTML in a main-area tab.
 */
export class OutputOpener implements IOutputOpener {
  constructor(app: JupyterFrontEnd) {
    this._app = app;
  }

  async open(run: Pick<JobRun, 'id' | 'job'>): Promise<void> {
    const fresh = await fetchRun(run.id);
    const path = fresh.output_path;
    if (path && (await this._reachable(path))) {
      await this._app.commands.execute('docmanager:open', {
        path,
        factory: 'Notebook'
      });
      return;
    }
    if (!fresh.html_path && !path) {
      throw new Error(
        `Run ${run.id} has no output notebook yet` +
          (fresh.status === 'queued' || fresh.status === 'running'
            ? ' (it has not finished).'
            : '.')
      );
    }
    const html = await fetchOutputHtml(run.id);
    const title = `${run.job ?? 'job'} · run ${run.id}`;
    const widget = new MainAreaWidget({
      content: new OutputFrame(html, `Output of ${title}`)
    });
    widget.id = `aios-output-${run.id}-${Date.now()}`;
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
}
