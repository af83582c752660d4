/**
 * The Promote dialog's parameters form, generated from a notebook's typed
 * parameters cell (`GET notebooks/parameters`): typed inputs at the
 * notebook's defaults, a message next to a value that does not parse, and
 * only the changed values submitted.
 */
import { getByLabelText, getByRole } from '@testing-library/dom';
import userEvent from '@testing-library/user-event';

import { ParametersForm } from '../src/parametersForm';
import { parameter } from './fixtures';

/** The parameters cell of notebooks/nightly_sales.ipynb, as the service types it. */
const SCHEMA = [
  parameter({
    name: 'region',
    type: 'str',
    default: 'EU',
    default_source: "'EU'",
    help: 'Sales region code'
  }),
  parameter({
    name: 'limit',
    type: 'int',
    default: 1000,
    default_source: '1000'
  }),
  parameter({
    name: 'threshold',
    type: 'float',
    default: 0.25,
    default_source: '0.25'
  }),
  parameter({
    name: 'dry_run',
    type: 'bool',
    default: false,
    default_source: 'False'
  }),
  parameter({
    name: 'columns',
    type: 'list',
    default: ['amount', 'qty'],
    default_source: "['amount', 'qty']"
  }),
  parameter({
    name: 'max_rows',
    type: 'int',
    nullable: true,
    default: null,
    default_source: 'None'
  }),
  parameter({
    name: 'run_date',
    type: 'any',
    literal: false,
    default: null,
    default_source: 'date.today().isoformat()'
  })
];

/** Replace a field's text as a user would: select it, then paste. */
async function fill(
  user: ReturnType<typeof userEvent.setup>,
  field: HTMLElement,
  text: string
): Promise<void> {
  await user.clear(field);
  if (text) {
    await user.paste(text);
  }
}

function render(onValidityChange?: () => void): ParametersForm {
  const form = new ParametersForm(SCHEMA, onValidityChange);
  document.body.replaceChildren(form.node);
  return form;
}

/** The input labelled with a parameter's name (the label also shows its type). */
function input(form: ParametersForm, name: string): HTMLInputElement {
  return getByLabelText(
    form.node,
    new RegExp(`^${name}\\b`)
  ) as HTMLInputElement;
}

describe('ParametersForm', () => {
  it('gives each parameter a labelled input of its type, at the notebook’s default', () => {
    const form = render();
    expect(getByRole(document.body, 'group', { name: 'Parameters' })).toBe(
      form.node
    );
    expect(input(form, 'region')).toMatchObject({ type: 'text', value: 'EU' });
    expect(input(form, 'limit')).toMatchObject({
      type: 'number',
      value: '1000',
      step: '1'
    });
    expect(input(form, 'threshold')).toMatchObject({
      type: 'number',
      value: '0.25',
      step: 'any'
    });
    expect(input(form, 'dry_run')).toMatchObject({
      type: 'checkbox',
      checked: false
    });
    expect(input(form, 'columns').tagName).toBe('TEXTAREA');
    expect(input(form, 'columns').value).toBe('["amount","qty"]');
    // the label names the type; a nullable one says so
    expect(
      form.node.querySelector('label[for="aios-param-1"]')!.textContent
    ).toBe('limit int');
    expect(
      form.node.querySelector('label[for="aios-param-5"]')!.textContent
    ).toBe('max_rows int | None');
  });

  it('explains each field: the parameter’s help, or how the notebook computes its default', () => {
    const form = render();
    const region = input(form, 'region');
    const help = document.getElementById(
      region.getAttribute('aria-describedby')!.split(' ')[0]
    )!;
    expect(help.textContent).toBe('Sales region code');
    const runDate = input(form, 'run_date');
    expect(runDate.value).toBe('');
    expect(runDate.placeholder).toBe(
      'computed by the notebook: date.today().isoformat()'
    );
    expect(input(form, 'max_rows').placeholder).toBe('empty = None');
  });

  it('submits nothing when every field keeps its default', () => {
    const form = render();
    expect(form.valid).toBe(true);
    expect(form.values()).toEqual({});
  });

  it('submits the changed values with their types', async () => {
    const user = userEvent.setup();
    const form = render();
    await fill(user, input(form, 'limit'), '250');
    await fill(user, input(form, 'threshold'), '0.5');
    await user.click(input(form, 'dry_run'));
    await fill(user, input(form, 'columns'), '["amount"]');
    await fill(user, input(form, 'region'), ' US ');
    await fill(user, input(form, 'run_date'), '{"day": 3}');
    expect(form.values()).toEqual({
      limit: 250,
      threshold: 0.5,
      dry_run: true,
      columns: ['amount'],
      region: ' US ', // spaces may matter in a string
      run_date: { day: 3 } // "any" takes JSON when it parses
    });
  });

  it('turns an emptied nullable field back into the default None', async () => {
    const user = userEvent.setup();
    const form = render();
    await fill(user, input(form, 'max_rows'), '5000');
    expect(form.values()).toEqual({ max_rows: 5000 });
    await fill(user, input(form, 'max_rows'), '');
    expect(form.valid).toBe(true);
    expect(form.values()).toEqual({});
  });

  it('leaves an untouched `str | None` parameter at its default None', () => {
    const form = new ParametersForm([
      parameter({
        name: 'cutoff',
        type: 'str',
        nullable: true,
        default: null,
        default_source: 'None'
      })
    ]);
    document.body.replaceChildren(form.node);
    expect(
      (form.node.querySelector('input') as HTMLInputElement).placeholder
    ).toBe('empty = None');
    expect(form.values()).toEqual({});
  });

  it('says what is wrong next to a value that does not parse, and clears it when fixed', async () => {
    const user = userEvent.setup();
    const changed = jest.fn();
    const form = render(changed);
    const columns = input(form, 'columns');
    await fill(user, columns, '{"a": 1}');

    const error = document.getElementById(
      columns.getAttribute('aria-describedby')!.split(' ')[1]
    )!;
    expect(error.getAttribute('role')).toBe('alert');
    expect(error.textContent).toBe('columns must be a JSON list [...]');
    expect(columns.getAttribute('aria-invalid')).toBe('true');
    expect(columns.classList).toContain('jp-mod-error');
    expect(changed).toHaveBeenCalled();
    expect(form.valid).toBe(false);

    await fill(user, columns, '[1, 2]');
    expect(error.textContent).toBe('');
    expect(columns.getAttribute('aria-invalid')).toBe('false');
    expect(form.valid).toBe(true);
  });

  it('refuses a required number left empty and names it', async () => {
    const user = userEvent.setup();
    const form = render();
    await user.clear(input(form, 'limit'));
    expect(form.node.textContent).toContain('limit needs a int value');
    expect(() => form.values()).toThrow('limit needs a int value');
  });

  it('puts the keyboard on the first field that does not parse when submitting', () => {
    const form = render();
    // A number input cannot hold "1.5e" in a browser, but a pasted JSON list can be broken.
    input(form, 'columns').value = '[1, 2';
    input(form, 'limit').value = '2.5';
    expect(() => form.values()).toThrow(
      'limit must be a whole number, got "2.5"'
    );
    expect(document.activeElement).toBe(input(form, 'limit'));
  });
});
