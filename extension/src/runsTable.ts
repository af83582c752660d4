/**
 * The runs table's tab in JupyterLab's main area: one at a time, opened
 * from the sidebar's Runs section on the runs of a notebook or of all.
 */
import { JupyterFrontEnd } from '@jupyterlab/application';
import { MainAreaWidget } from '@jupyterlab/apputils';

import { RunsTableView } from './runsTableView';

/** DOM id of the runs table's main-area tab (one at a time). */
export const RUNS_TABLE_ID = 'aios-runs-table';

/**
 * Open (or bring forward) the runs table in the main area, on the runs of
 * `notebook` (null: of every notebook).
 */
export function openRunsTable(
  app: JupyterFrontEnd,
  notebook: string | null
): void {
  const open = Array.from(app.shell.widgets('main')).find(
    w => w.id === RUNS_TABLE_ID
  ) as MainAreaWidget<RunsTableView> | undefined;
  if (open) {
    open.content.setNotebook(notebook);
    app.shell.activateById(RUNS_TABLE_ID);
    return;
  }
  const widget = new MainAreaWidget({ content: new RunsTableView(notebook) });
  widget.id = RUNS_TABLE_ID;
  widget.title.label = 'Runs';
  widget.title.caption = 'Tracked runs (MLflow)';
  widget.title.closable = true;
  app.shell.add(widget, 'main');
  app.shell.activateById(RUNS_TABLE_ID);
}
