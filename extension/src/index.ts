import {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, MainAreaWidget } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { AlertWatcher, AlertsPanel } from './alerts';
import { fetchCheckResult } from './alertsApi';
import { AppView, AppsPanel } from './apps';
import { ChecksPanel } from './checks';
import { DataPanel } from './data';
import { datasetPageOpener } from './datasetPage';
import { logoIcon } from './icon';
import { JobsPanel } from './jobs';
import { JobScreens } from './jobScreens';
import { PromoteDialog, addPromoteButtons } from './promote';
import { RunsPanel } from './runs';
import { openRunsTable } from './runsTable';
import { AiosSidebar } from './sidebar';
import { StatusPanel } from './status';

/**
 * Command ids contributed by the extension.
 */
export const CommandIDs = {
  openSidebar: 'aios-workbench:open-sidebar',
  openData: 'aios-workbench:open-data',
  openRuns: 'aios-workbench:open-runs',
  openChecks: 'aios-workbench:open-checks',
  openJobs: 'aios-workbench:open-jobs',
  openAlerts: 'aios-workbench:open-alerts',
  promote: 'aios-workbench:promote-notebook'
} as const;

/**
 * DOM id of the sidebar panel.
 */
export const SIDEBAR_ID = 'aios-workbench-sidebar';

/**
 * The plugin id; also names its settings schema (schema/plugin.json).
 */
const PLUGIN_ID = 'aios-workbench:plugin';

/**
 * User settings (Settings > AI OS workbench), with their schema defaults.
 */
interface ISettings {
  alertPollSeconds: number;
  jobPollSeconds: number;
  promoteTimeZone: string;
}

const DEFAULTS: ISettings = {
  alertPollSeconds: 30,
  jobPollSeconds: 2,
  promoteTimeZone: ''
};

/**
 * Adds the AI OS sidebar (Status, Data, Runs, Checks, Jobs and Alerts
 * sections), the Promote dialog (notebook toolbar button and command) and
 * the open-alerts badge on the sidebar icon.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description:
    'AI OS workbench sidebar: service health, governed data, runs, checks, jobs and alerts; one-click Promote.',
  autoStart: true,
  optional: [ICommandPalette, INotebookTracker, ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    palette: ICommandPalette | null,
    notebooks: INotebookTracker | null,
    registry: ISettingRegistry | null
  ): void => {
    const settings: ISettings = { ...DEFAULTS };

    const data = new DataPanel({
      notebooks,
      activate: id => app.shell.activateById(id),
      openPage: datasetPageOpener(app, notebooks)
    });
    const screens = new JobScreens(app, {
      pollSeconds: () => settings.jobPollSeconds,
      timeZone: () => settings.promoteTimeZone,
      showList: () => {
        sidebar.select('jobs');
        app.shell.activateById(sidebar.id);
      },
      listChanged: () => void jobs.reload()
    });
    const outputs = screens.outputs;
    const checks = new ChecksPanel(notebooks);
    const jobs = new JobsPanel({
      openJob: name => screens.openJob(name),
      openRuns: () => screens.openRuns(),
      pollSeconds: () => settings.jobPollSeconds
    });
    const showJob = (name: string) => {
      sidebar.select('jobs');
      app.shell.activateById(sidebar.id);
      jobs.openJob(name);
    };
    const watcher = new AlertWatcher(
      () => settings.alertPollSeconds,
      count => {
        sidebar.setBadge('alerts', count, 'open alerts');
        // The shell keeps the tab's `id` in the title's dataset: change only our key.
        const dataset = { ...sidebar.title.dataset };
        delete dataset['aios-alerts'];
        if (count > 0) {
          dataset['aios-alerts'] = count > 99 ? '99+' : String(count);
        }
        sidebar.title.dataset = dataset;
        alerts.refreshIfVisible();
      }
    );
    const alerts = new AlertsPanel({
      openJob: showJob,
      // an alert's cause opens where the sidebar already opens such things
      openOutput: run => outputs.open(run),
      openCheckResult: async id => {
        const run = await fetchCheckResult(id);
        sidebar.select('checks');
        checks.openRun(run);
      },
      openApp: name => openApp(name),
      changed: () => void watcher.check()
    });
    const openApp = (name: string) => {
      const id = `aios-app-${name}`;
      const open = Array.from(app.shell.widgets('main')).find(w => w.id === id);
      if (open) {
        app.shell.activateById(id);
        return;
      }
      const widget = new MainAreaWidget({ content: new AppView(name) });
      widget.id = id;
      widget.title.label = name;
      widget.title.closable = true;
      app.shell.add(widget, 'main');
      app.shell.activateById(id);
    };
    const sidebar = new AiosSidebar([
      { id: 'status', label: 'Status', widget: new StatusPanel() },
      { id: 'data', label: 'Data', widget: data },
      {
        id: 'runs',
        label: 'Runs',
        widget: new RunsPanel(notebooks, notebook =>
          openRunsTable(app, notebook)
        )
      },
      { id: 'checks', label: 'Checks', widget: checks },
      { id: 'jobs', label: 'Jobs', widget: jobs },
      { id: 'alerts', label: 'Alerts', widget: alerts },
      { id: 'apps', label: 'Apps', widget: new AppsPanel(openApp) }
    ]);
    sidebar.id = SIDEBAR_ID;
    sidebar.title.icon = logoIcon;
    sidebar.title.caption = 'AI OS';
    app.shell.add(sidebar, 'left', { rank: 850 });

    const sections: [string, string, string, string][] = [
      [
        CommandIDs.openSidebar,
        'status',
        'Open AI OS sidebar',
        'Show the AI OS workbench status in the left sidebar'
      ],
      [
        CommandIDs.openData,
        'data',
        'Browse governed data',
        'Show the AI OS data catalog in the left sidebar'
      ],
      [
        CommandIDs.openRuns,
        'runs',
        'Show tracked runs',
        'Show the MLflow runs of the active notebook'
      ],
      [
        CommandIDs.openChecks,
        'checks',
        'Show check results',
        'Show the latest AI OS check runs in the left sidebar'
      ],
      [
        CommandIDs.openJobs,
        'jobs',
        'Show jobs',
        'Show the promoted notebooks (jobs) and their runs'
      ],
      [
        CommandIDs.openAlerts,
        'alerts',
        'Show alerts',
        'Show failed runs, failed monitors and pending approvals'
      ]
    ];
    for (const [command, section, label, caption] of sections) {
      app.commands.addCommand(command, {
        label,
        caption,
        icon: args =>
          args['isPalette'] || command !== CommandIDs.openSidebar
            ? undefined
            : logoIcon,
        execute: () => {
          sidebar.select(section);
          app.shell.activateById(sidebar.id);
        }
      });
    }

    const promote = (panel: NotebookPanel | null) => {
      if (!panel) {
        return;
      }
      const dialog = new PromoteDialog({
        panel,
        timeZone: settings.promoteTimeZone,
        openJob: showJob
      });
      void dialog.launch().then(() => dialog.dispose());
    };
    app.commands.addCommand(CommandIDs.promote, {
      label: 'Promote notebook…',
      caption:
        'Promote the active notebook to a scheduled job: schedule, parameters, gates',
      isEnabled: () => !!notebooks?.currentWidget,
      execute: () => promote(notebooks?.currentWidget ?? null)
    });
    if (notebooks) {
      addPromoteButtons(notebooks, panel => promote(panel));
      notebooks.currentChanged.connect(() =>
        app.commands.notifyCommandChanged(CommandIDs.promote)
      );
    }

    if (palette) {
      for (const [command] of sections) {
        palette.addItem({
          command,
          category: 'AI OS',
          args: { isPalette: true }
        });
      }
      palette.addItem({ command: CommandIDs.promote, category: 'AI OS' });
    }

    const apply = (loaded: ISettingRegistry.ISettings) => {
      const composite = loaded.composite as Partial<ISettings>;
      settings.alertPollSeconds = Number(
        composite.alertPollSeconds ?? DEFAULTS.alertPollSeconds
      );
      settings.jobPollSeconds = Number(
        composite.jobPollSeconds ?? DEFAULTS.jobPollSeconds
      );
      settings.promoteTimeZone = String(composite.promoteTimeZone ?? '');
      watcher.start();
    };
    if (registry) {
      registry
        .load(PLUGIN_ID)
        .then(loaded => {
          apply(loaded);
          loaded.changed.connect(apply);
        })
        .catch(error => {
          console.warn(
            'AI OS: settings could not be loaded; using the defaults.',
            error
          );
          watcher.start();
        });
    } else {
      watcher.start();
    }
  }
};

export default plugin;
