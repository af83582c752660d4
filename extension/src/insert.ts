import { INotebookTracker } from '@jupyterlab/notebook';

const SIMPLE_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const IMPORTS_WB = /^\s*import\s+aios_workbench\s+as\s+wb\b/m;

/**
 * `source.schema.dataset` as SQL: each part double-quoted unless it is a
 * plain identifier.
 */
export function sqlName(name: string): string {
  return name
    .split('.')
    .map(part =>
      SIMPLE_IDENTIFIER.test(part) ? part : `"${part.replace(/"/g, '""')}"`
    )
    .join('.');
}

/**
 * A Python string literal for `text` (JSON escapes are valid Python).
 */
function pythonString(text: string): string {
  return JSON.stringify(text);
}

/**
 * The code of an "Insert query" cell for dataset `name`.
 */
export function queryCode(name: string, withImport = false): string {
  const call = `wb.sql(${pythonString(`SELECT * FROM ${sqlName(name)} LIMIT 100`)})`;
  return withImport ? `import aios_workbench as wb\n\n${call}` : call;
}

/**
 * Why the "Insert query" button is disabled, or null when it is enabled.
 */
export function insertBlocker(tracker: INotebookTracker | null): string | null {
  if (!tracker) {
    return 'Notebook support is not available in this JupyterLab';
  }
  if (!tracker.currentWidget) {
    return 'Open a notebook to insert a query';
  }
  return null;
}

/**
 * Insert a code cell querying `name` below the active cell of the current
 * notebook, make it active and show the notebook. The import of
 * `aios_workbench as wb` is added when no cell of the notebook has it.
 * Waits for the notebook's content to be loaded first: a cell inserted into a
 * new notebook before its file arrives is overwritten by it. Resolves to
 * false when no notebook is open.
 */
export async function insertQueryCell(
  tracker: INotebookTracker | null,
  name: string,
  activate: (id: string) => void
): Promise<boolean> {
  const panel = tracker?.currentWidget;
  if (!panel) {
    return false;
  }
  await panel.context.ready;
  const notebook = panel.content;
  const model = notebook.model;
  if (!model) {
    return false;
  }
  const cells = model.sharedModel.cells;
  const imported = cells.some(cell => IMPORTS_WB.test(cell.getSource()));
  const index = notebook.activeCell
    ? notebook.activeCellIndex + 1
    : cells.length;
  model.sharedModel.insertCell(index, {
    cell_type: 'code',
    source: queryCode(name, !imported),
    metadata: { trusted: true }
  });
  notebook.activeCellIndex = index;
  notebook.deselectAll();
  activate(panel.id);
  const cell = notebook.activeCell;
  if (cell) {
    void notebook.scrollToCell(cell).catch(() => undefined);
  }
  return true;
}
