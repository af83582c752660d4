import { Message } from '@lumino/messaging';
import { Panel, Widget } from '@lumino/widgets';

import { AppDetail, AppField, AppRunResult, AppSummary } from './api';
import { fetchApp, listApps, runApp } from './appsApi';
import { reloadButton } from './buttons';
import { el, emptyNote, errorBox, loadingNote, messageOf } from './dom';

/**
 * Decision apps in the sidebar: the apps published to the user, each opening
 * in the main area as a form (from the notebook's typed parameters) with Run
 * and the app's page. Every run executes as the user, under their grants,
 * masks and row filters, as on the dashboard's Apps page.
 */
export class AppsPanel extends Panel {
  constructor(open: (name: string) => void) {
    super();
    this.addClass('aios-apps-panel');
    this.node.dataset.testid = 'aios-apps-tab';
    this._open = open;
    this._list = el('ul', { class: 'aios-apps', 'aria-label': 'Apps' });
    this._message = el('div', { class: 'aios-runs-message' });
    const header = el(
      'div',
      { class: 'aios-section-header' },
      el('h3', { class: 'aios-section-title' }, 'Decision apps'),
      reloadButton('the apps', () => void this.reload(), 'aios-apps-refresh')
    );
    this.addWidget(new Widget({ node: header }));
    this.addWidget(new Widget({ node: this._message }));
    this.addWidget(new Widget({ node: this._list }));
  }

  /** Load the list again. */
  async reload(): Promise<void> {
    this._message.replaceChildren(loadingNote('Loading the apps…'));
    let apps: AppSummary[];
    try {
      apps = await listApps();
    } catch (error) {
      this._message.replaceChildren(
        errorBox('Could not load the apps', messageOf(error))
      );
      this._list.replaceChildren();
      return;
    }
    this._message.replaceChildren(
      apps.length
        ? ''
        : emptyNote(
            'No apps yet. A promoted notebook becomes one with `aios promote NOTEBOOK --app` ' +
              '(or `aios apps publish JOB`).'
          )
    );
    this._list.replaceChildren(...apps.map(app => this._item(app)));
  }

  private _item(app: AppSummary): HTMLElement {
    const open = el(
      'button',
      {
        type: 'button',
        class: 'aios-button',
        'data-testid': `aios-app-open-${app.name}`,
        'aria-label': `Open the app ${app.title}`
      },
      'Open'
    );
    open.addEventListener('click', () => this._open(app.name));
    return el(
      'li',
      { class: 'aios-app-item', 'data-app': app.name },
      el('div', { class: 'aios-app-title' }, app.title),
      app.description
        ? el('div', { class: 'aios-app-description' }, app.description)
        : null,
      el(
        'div',
        { class: 'aios-app-meta' },
        `version ${app.version} · published by ${app.published_by}`
      ),
      open
    );
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    void this.reload();
  }

  private readonly _open: (name: string) => void;
  private readonly _list: HTMLUListElement;
  private readonly _message: HTMLElement;
}

/** The value a form control holds, typed as its field says. */
export function fieldValue(
  field: AppField,
  raw: string,
  checked: boolean
): unknown {
  if (field.type === 'boolean') {
    return checked;
  }
  if (raw === '' && field.nullable) {
    return null;
  }
  if (field.type === 'integer' || field.type === 'number') {
    return raw === '' ? null : Number(raw);
  }
  if (field.type === 'choice') {
    const match = (field.choices ?? []).find(choice => String(choice) === raw);
    return match === undefined ? raw : match;
  }
  if (field.type === 'list' || field.type === 'json') {
    try {
      return JSON.parse(raw);
    } catch {
      return raw;
    }
  }
  return raw;
}

function control(
  field: AppField,
  id: string
): HTMLInputElement | HTMLSelectElement {
  const initial = field.default;
  if (field.type === 'choice') {
    const select = el(
      'select',
      { id, class: 'aios-select', 'data-field': field.name },
      ...(field.choices ?? []).map(choice =>
        el('option', { value: String(choice) }, String(choice))
      )
    );
    if (initial !== null && initial !== undefined) {
      select.value = String(initial);
    }
    return select;
  }
  const type =
    field.type === 'boolean'
      ? 'checkbox'
      : field.type === 'integer' || field.type === 'number'
        ? 'number'
        : field.type === 'date'
          ? 'date'
          : 'text';
  const input = el('input', {
    id,
    type,
    class: 'aios-input',
    'data-field': field.name,
    min:
      field.minimum === null || field.minimum === undefined
        ? undefined
        : String(field.minimum),
    max:
      field.maximum === null || field.maximum === undefined
        ? undefined
        : String(field.maximum),
    step:
      field.type === 'integer'
        ? '1'
        : field.type === 'number'
          ? 'any'
          : undefined
  });
  if (type === 'checkbox') {
    input.checked = initial === true;
  } else if (initial !== null && initial !== undefined) {
    input.value =
      typeof initial === 'object' ? JSON.stringify(initial) : String(initial);
  }
  return input;
}

/**
 * One app in the main area: its form, Run, and the page of the latest run in a
 * sandboxed frame (no scripts: the page is the notebook's outputs).
 */
export class AppView extends Widget {
  constructor(name: string) {
    super();
    this.addClass('aios-app-view');
    this.node.dataset.testid = 'aios-app-view';
    this._name = name;
    this.title.label = name;
    this.node.replaceChildren(loadingNote('Loading the app…'));
    void this._load();
  }

  private async _load(): Promise<void> {
    let app: AppDetail;
    try {
      app = await fetchApp(this._name);
    } catch (error) {
      this.node.replaceChildren(
        errorBox('Could not open the app', messageOf(error))
      );
      return;
    }
    this.title.label = app.title;
    const controls = new Map<AppField, HTMLInputElement | HTMLSelectElement>();
    const rows = app.fields.map(field => {
      const id = `aios-app-${app.name}-${field.name}`;
      const input = control(field, id);
      controls.set(field, input);
      return el(
        'div',
        { class: 'aios-app-field' },
        el('label', { for: id }, field.label),
        input,
        field.help ? el('span', { class: 'aios-app-help' }, field.help) : null
      );
    });
    const run = el(
      'button',
      {
        type: 'button',
        class: 'aios-button aios-primary',
        'data-testid': 'aios-app-run'
      },
      'Run'
    );
    const status = el('p', {
      class: 'aios-app-status',
      role: 'status',
      'aria-live': 'polite',
      'data-testid': 'aios-app-status'
    });
    const frame = el('iframe', {
      class: 'aios-app-page',
      title: `${app.title}: the page of the latest run`,
      sandbox: '',
      'data-testid': 'aios-app-page'
    });
    frame.hidden = true;
    run.addEventListener('click', async () => {
      const parameters: Record<string, unknown> = {};
      for (const [field, input] of controls) {
        parameters[field.name] = fieldValue(
          field,
          input.value,
          input instanceof HTMLInputElement && input.checked
        );
      }
      run.disabled = true;
      status.textContent = 'Running as you (your grants decide what it shows)…';
      try {
        this._show(await runApp(app.name, parameters), status, frame);
      } catch (error) {
        status.textContent = messageOf(error);
      } finally {
        run.disabled = false;
      }
    });
    this.node.replaceChildren(
      el('h2', { class: 'aios-app-heading' }, app.title),
      el('p', { class: 'aios-app-description' }, app.description),
      el(
        'form',
        { class: 'aios-app-form', 'aria-label': `${app.title} inputs` },
        ...rows
      ),
      run,
      status,
      frame
    );
  }

  private _show(
    result: AppRunResult,
    status: HTMLElement,
    frame: HTMLIFrameElement
  ): void {
    const when = result.cached
      ? 'from a run moments ago (same values, same data)'
      : `in ${result.seconds.toFixed(1)} s`;
    status.textContent = result.ok
      ? `Ran ${when}, as you.`
      : `The app stopped: ${result.error ?? 'see its page'}`;
    frame.srcdoc = result.html;
    frame.hidden = false;
  }

  private readonly _name: string;
}
