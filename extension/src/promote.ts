import { Dialog, ToolbarButton } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';

import { PromotionReport } from './api';
import { messageOf } from './dom';
import { logoIcon } from './icon';
import { promoteNotebook } from './promoteApi';
import { PromoteForm } from './promoteForm';

/** Index of the accept ("Promote") button among the dialog's buttons. */
const ACCEPT = 1;

/**
 * Options of {@link PromoteDialog}.
 */
export interface IPromoteDialogOptions {
  panel: NotebookPanel;
  timeZone?: string;
  /** Show a job in the Jobs section (the report's link). */
  openJob: (name: string) => void;
  /** Start from this job's current definition (Edit on its page). */
  job?: string;
}

/**
 * The Promote dialog. Its accept button submits without closing the
 * dialog: the report (every gate with its reason) appears in place; after a
 * successful promotion the button closes it.
 */
export class PromoteDialog extends Dialog<void> {
  constructor(options: IPromoteDialogOptions) {
    let self: PromoteDialog | null = null;
    const form = new PromoteForm({
      path: options.panel.context.path,
      timeZone: options.timeZone,
      dirty: options.panel.context.model.dirty,
      onValidityChange: () => self?._checkValidation(),
      onPlan: plan => self?._showPlan(plan),
      job: options.job
    });
    super({
      title: 'Promote notebook to a job',
      body: form,
      buttons: [
        Dialog.cancelButton({ label: 'Close' }),
        Dialog.okButton({
          label: 'Promote',
          ariaLabel: 'Promote the notebook: run every gate'
        })
      ],
      defaultButton: ACCEPT,
      focusNodeSelector: 'input[data-testid="aios-promote-name"]'
    });
    // The form is built before super(), when `this` does not exist yet.
    // eslint-disable-next-line @typescript-eslint/no-this-alias
    self = this;
    this.addClass('aios-promote-dialog');
    this._form = form;
    this._panel = options.panel;
    this._openJob = options.openJob;
  }

  resolve(index?: number): void {
    const accept = (index ?? ACCEPT) === ACCEPT;
    if (!accept || this._promoted) {
      super.resolve(index);
      return;
    }
    if (!this._form.busy) {
      void this._submit();
    }
  }

  /**
   * Name the accept button after what it would do: the version it makes of
   * an existing job, or that nothing changed.
   */
  private _showPlan(plan: PromotionReport | null): void {
    const button = this._acceptButton();
    const label = button?.querySelector('.jp-Dialog-buttonLabel');
    if (!button || !label || this._promoted) {
      return;
    }
    const existing = plan && plan.previous_version !== null;
    label.textContent = !existing
      ? 'Promote'
      : plan.status === 'unchanged'
        ? 'Promote (nothing changed)'
        : `Promote as version ${plan.version}`;
    button.setAttribute(
      'aria-label',
      !existing
        ? 'Promote the notebook: run every gate'
        : plan.status === 'unchanged'
          ? `Promote: nothing changed against version ${plan.version}, nothing would be stored`
          : `Promote as version ${plan.version} of job ${plan.job}: run every gate`
    );
  }

  private _acceptButton(): HTMLButtonElement | null {
    return this.node.querySelector<HTMLButtonElement>(
      '.jp-Dialog-button.jp-mod-accept'
    );
  }

  private async _submit(): Promise<void> {
    let request;
    try {
      request = this._form.request();
    } catch (error) {
      this._form.showError('Check the form', messageOf(error));
      return;
    }
    const button = this._acceptButton();
    if (button) {
      button.disabled = true;
    }
    this._form.showBusy();
    try {
      if (this._panel.context.model.dirty) {
        await this._panel.context.save(); // the service promotes the file on disk
      }
      const report = await promoteNotebook(request);
      this._promoted = report.passed;
      this._form.showReport(
        report,
        report.passed ? name => this._showJob(name) : null
      );
      if (report.passed && button) {
        const label = button.querySelector('.jp-Dialog-buttonLabel');
        if (label) {
          label.textContent = 'Done';
        }
        button.setAttribute('aria-label', 'Close the dialog');
      }
    } catch (error) {
      this._form.showError('The promotion could not run', messageOf(error));
    } finally {
      if (button) {
        button.disabled = false;
      }
    }
  }

  private _showJob(name: string): void {
    super.resolve(0);
    this._openJob(name);
  }

  private readonly _form: PromoteForm;
  private readonly _panel: NotebookPanel;
  private readonly _openJob: (name: string) => void;
  private _promoted = false;
}

/**
 * Adds a "Promote" button to every notebook's toolbar, calling `execute` with its notebook.
 */
export function addPromoteButtons(
  notebooks: INotebookTracker,
  execute: (panel: NotebookPanel) => void
): void {
  const add = (panel: NotebookPanel) => {
    const button = new ToolbarButton({
      icon: logoIcon,
      label: 'Promote',
      tooltip: 'Promote this notebook to a scheduled job (AI OS)',
      onClick: () => execute(panel)
    });
    button.node.dataset.testid = 'aios-promote-button';
    panel.toolbar.insertItem(10, 'aios-promote', button);
  };
  notebooks.forEach(add);
  notebooks.widgetAdded.connect((_, panel) => add(panel));
}
