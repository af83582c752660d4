import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker } from '@jupyterlab/notebook';

import { ChecksPanel } from './checks';
import { DataPanel } from './data';
import { logoIcon } from './icon';
import { AiosSidebar } from './sidebar';
import { StatusPanel } from './status';

/**
 * Command ids contributed by the extension.
 */
export namespace CommandIDs {
  export const openSidebar = 'aios-workbench:open-sidebar';
  export const openData = 'aios-workbench:open-data';
  export const openChecks = 'aios-workbench:open-checks';
}

/**
 * DOM id of the sidebar panel.
 */
export const SIDEBAR_ID = 'aios-workbench-sidebar';

/**
 * Adds the AI OS sidebar (Status, Data and Checks sections) to the left area.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: 'aios-workbench:plugin',
  description:
    'AI OS workbench sidebar: service health, the governed data catalog and check results.',
  autoStart: true,
  optional: [ICommandPalette, INotebookTracker],
  activate: (
    app: JupyterFrontEnd,
    palette: ICommandPalette | null,
    notebooks: INotebookTracker | null
  ): void => {
    const data = new DataPanel({
      notebooks,
      activate: id => app.shell.activateById(id)
    });
    const sidebar = new AiosSidebar([
      { id: 'status', label: 'Status', widget: new StatusPanel() },
      { id: 'data', label: 'Data', widget: data },
      { id: 'checks', label: 'Checks', widget: new ChecksPanel(notebooks) }
    ]);
    sidebar.id = SIDEBAR_ID;
    sidebar.title.icon = logoIcon;
    sidebar.title.caption = 'AI OS';
    app.shell.add(sidebar, 'left', { rank: 850 });

    app.commands.addCommand(CommandIDs.openSidebar, {
      label: 'Open AI OS sidebar',
      caption: 'Show the AI OS workbench status in the left sidebar',
      icon: args => (args['isPalette'] ? undefined : logoIcon),
      execute: () => {
        sidebar.select('status');
        app.shell.activateById(sidebar.id);
      }
    });
    app.commands.addCommand(CommandIDs.openData, {
      label: 'Browse governed data',
      caption: 'Show the AI OS data catalog in the left sidebar',
      execute: () => {
        sidebar.select('data');
        app.shell.activateById(sidebar.id);
      }
    });

    app.commands.addCommand(CommandIDs.openChecks, {
      label: 'Show check results',
      caption: 'Show the latest AI OS check runs in the left sidebar',
      execute: () => {
        sidebar.select('checks');
        app.shell.activateById(sidebar.id);
      }
    });

    if (palette) {
      for (const command of [CommandIDs.openSidebar, CommandIDs.openData, CommandIDs.openChecks]) {
        palette.addItem({ command, category: 'AI OS', args: { isPalette: true } });
      }
    }
  }
};

export default plugin;
