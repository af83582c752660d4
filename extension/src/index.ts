import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';

import { logoIcon } from './icon';
import { StatusPanel } from './status';

/**
 * Command ids contributed by the extension.
 */
export namespace CommandIDs {
  export const openSidebar = 'aios-workbench:open-sidebar';
}

/**
 * DOM id of the sidebar panel.
 */
export const SIDEBAR_ID = 'aios-workbench-sidebar';

/**
 * Adds the AI OS status panel to the left sidebar.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: 'aios-workbench:plugin',
  description: 'AI OS workbench sidebar: service, store and connector health.',
  autoStart: true,
  optional: [ICommandPalette],
  activate: (app: JupyterFrontEnd, palette: ICommandPalette | null): void => {
    const panel = new StatusPanel();
    panel.id = SIDEBAR_ID;
    panel.title.icon = logoIcon;
    panel.title.caption = 'AI OS';
    app.shell.add(panel, 'left', { rank: 850 });

    app.commands.addCommand(CommandIDs.openSidebar, {
      label: 'Open AI OS sidebar',
      caption: 'Show the AI OS workbench status in the left sidebar',
      icon: args => (args['isPalette'] ? undefined : logoIcon),
      execute: () => {
        app.shell.activateById(panel.id);
      }
    });

    if (palette) {
      palette.addItem({
        command: CommandIDs.openSidebar,
        category: 'AI OS',
        args: { isPalette: true }
      });
    }
  }
};

export default plugin;
