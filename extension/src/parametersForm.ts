import { NotebookParameter } from './api';
import { el } from './dom';

/**
 * The outcome of reading one field: its value, or the problem with it.
 * `changed` is false when the field still holds the notebook's default.
 */
type FieldValue =
  | { ok: true; value: unknown; changed: boolean }
  | { ok: false; problem: string };

interface IField {
  spec: NotebookParameter;
  input: HTMLInputElement | HTMLTextAreaElement;
  error: HTMLElement;
}

/** JSON of a default, for the text fields of list, dict and any parameters. */
function asJson(value: unknown): string {
  return value === undefined ? '' : JSON.stringify(value);
}

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * Read `field` as the type its parameter declares.
 */
function readField(field: IField): FieldValue {
  const { spec, input } = field;
  const fallback = spec.literal ? spec.default : undefined;
  if (spec.type === 'bool') {
    const value = (input as HTMLInputElement).checked;
    return { ok: true, value, changed: !sameValue(value, fallback) };
  }
  const text = input.value.trim();
  if (text === '') {
    if (!spec.literal) {
      return { ok: true, value: undefined, changed: false }; // the notebook computes its default
    }
    if (spec.nullable) {
      // the field says "empty = None", for strings too
      return { ok: true, value: null, changed: fallback !== null };
    }
    if (spec.type === 'str') {
      return { ok: true, value: '', changed: fallback !== '' };
    }
    return { ok: false, problem: `${spec.name} needs a ${spec.type} value` };
  }
  let value: unknown;
  switch (spec.type) {
    case 'int':
      value = Number(text);
      if (!/^[-+]?\d+$/.test(text) || !Number.isSafeInteger(value)) {
        return {
          ok: false,
          problem: `${spec.name} must be a whole number, got "${text}"`
        };
      }
      break;
    case 'float':
      value = Number(text);
      if (!isFinite(value as number)) {
        return {
          ok: false,
          problem: `${spec.name} must be a number, got "${text}"`
        };
      }
      break;
    case 'str':
      value = input.value; // spaces may matter in a string
      break;
    case 'list':
    case 'dict': {
      try {
        value = JSON.parse(text);
      } catch {
        return {
          ok: false,
          problem: `${spec.name} must be JSON, e.g. ${spec.type === 'list' ? '[1, 2]' : '{"a": 1}'}`
        };
      }
      const isList = Array.isArray(value);
      const isDict = !!value && typeof value === 'object' && !isList;
      if (
        (spec.type === 'list' && !isList) ||
        (spec.type === 'dict' && !isDict)
      ) {
        return {
          ok: false,
          problem: `${spec.name} must be a JSON ${spec.type === 'list' ? 'list [...]' : 'object {...}'}`
        };
      }
      break;
    }
    default:
      // "any": JSON when it parses, else the text as a string.
      try {
        value = JSON.parse(text);
      } catch {
        value = input.value;
      }
  }
  return { ok: true, value, changed: !sameValue(value, fallback) };
}

function inputFor(
  spec: NotebookParameter,
  id: string
): HTMLInputElement | HTMLTextAreaElement {
  const common = {
    id,
    name: spec.name,
    'data-testid': 'aios-param-input',
    'data-name': spec.name,
    'data-type': spec.type,
    'aria-describedby': `${id}-help ${id}-error`
  };
  const computed = spec.literal
    ? undefined
    : `computed by the notebook: ${spec.default_source}`;
  if (spec.type === 'bool') {
    const box = el('input', { ...common, type: 'checkbox' });
    box.checked = spec.default === true;
    return box;
  }
  if (spec.type === 'list' || spec.type === 'dict') {
    const area = el('textarea', {
      ...common,
      class: 'jp-mod-styled aios-json',
      rows: '2',
      spellcheck: 'false',
      placeholder: computed
    });
    area.value = spec.literal ? asJson(spec.default) : '';
    return area;
  }
  const numeric = spec.type === 'int' || spec.type === 'float';
  const input = el('input', {
    ...common,
    class: 'jp-mod-styled',
    type: numeric ? 'number' : 'text',
    step: spec.type === 'int' ? '1' : numeric ? 'any' : undefined,
    placeholder: computed ?? (spec.nullable ? 'empty = None' : undefined)
  });
  if (spec.literal && spec.default !== null && spec.default !== undefined) {
    input.value =
      spec.type === 'any' ? asJson(spec.default) : String(spec.default);
  }
  return input;
}

/**
 * A form with one typed input per notebook parameter: numbers for int and
 * float, a checkbox for bool, text for str, JSON for list and dict. Inputs
 * start at the notebook's defaults; only changed values are submitted.
 * A field that does not parse gets `jp-mod-error`, which also disables the
 * dialog's accept button.
 */
export class ParametersForm {
  /**
   * @param onValidityChange - called after a field was checked, so the
   *   dialog can enable or disable its accept button (its own check runs
   *   before the field's).
   */
  constructor(parameters: NotebookParameter[], onValidityChange?: () => void) {
    this.node = el('div', {
      class: 'aios-params',
      role: 'group',
      'aria-label': 'Parameters'
    });
    parameters.forEach((spec, i) => {
      const id = `aios-param-${i}`;
      const input = inputFor(spec, id);
      const error = el('span', {
        id: `${id}-error`,
        class: 'aios-field-error',
        role: 'alert'
      });
      const field: IField = { spec, input, error };
      const check = () => {
        this._check(field);
        onValidityChange?.();
      };
      input.addEventListener('input', check);
      input.addEventListener('change', check);
      const type = spec.annotation
        ? spec.annotation
        : spec.type + (spec.nullable && spec.type !== 'any' ? ' | None' : '');
      this.node.appendChild(
        el(
          'div',
          { class: `aios-field aios-param aios-param-${spec.type}` },
          el(
            'label',
            { for: id },
            el('code', {}, spec.name),
            ' ',
            el('span', { class: 'aios-type' }, type)
          ),
          input,
          el(
            'span',
            { id: `${id}-help`, class: 'aios-field-help' },
            spec.help || (spec.literal ? '' : `default: ${spec.default_source}`)
          ),
          error
        )
      );
      this._fields.push(field);
    });
  }

  /** The form's root element. */
  readonly node: HTMLElement;

  /**
   * Show `values` (a job's, by name) instead of the notebook's defaults;
   * fields not named show the default, names the notebook does not declare
   * are ignored. A value equal to the notebook's default is still not
   * submitted.
   */
  setValues(values: Record<string, unknown>): void {
    for (const field of this._fields) {
      const { spec, input } = field;
      const named = spec.name in values;
      const value = named ? values[spec.name] : spec.default;
      if (spec.type === 'bool') {
        (input as HTMLInputElement).checked = value === true;
      } else if (
        (!named && !spec.literal) ||
        value === null ||
        value === undefined
      ) {
        input.value = '';
      } else if (
        spec.type === 'list' ||
        spec.type === 'dict' ||
        spec.type === 'any'
      ) {
        input.value = asJson(value);
      } else {
        input.value = String(value);
      }
      this._check(field);
    }
  }

  /** Whether every field parses. */
  get valid(): boolean {
    return this._fields.every(field => this._check(field));
  }

  /**
   * The values that differ from the notebook's defaults; throws naming the
   * first field that does not parse.
   */
  values(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const field of this._fields) {
      const read = readField(field);
      if (!read.ok) {
        field.input.focus();
        throw new Error(read.problem);
      }
      if (read.changed && read.value !== undefined) {
        out[field.spec.name] = read.value;
      }
    }
    return out;
  }

  private _check(field: IField): boolean {
    const read = readField(field);
    field.input.classList.toggle('jp-mod-error', !read.ok);
    field.input.setAttribute('aria-invalid', String(!read.ok));
    field.error.textContent = read.ok ? '' : read.problem;
    return read.ok;
  }

  private readonly _fields: IField[] = [];
}
