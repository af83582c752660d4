/**
 * Small DOM helpers shared by the sidebar's sections. Text always goes in
 * as text nodes, never as HTML, so catalog content cannot inject markup.
 */

export type Attrs = Record<string, string | undefined>;
export type Child = Node | string | null | undefined | false;

/**
 * Build an element: `el('div', {class: 'x'}, 'text', otherNode)`.
 * Attributes whose value is `undefined` are left out.
 */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value !== undefined) {
      node.setAttribute(key, value);
    }
  }
  for (const child of children) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    node.appendChild(
      typeof child === 'string' ? document.createTextNode(child) : child
    );
  }
  return node;
}

/**
 * A readable message out of anything thrown.
 */
export function messageOf(error: unknown, fallback = 'Unknown error'): string {
  if (error instanceof Error && error.message) {
    return error.message;
  }
  const text = String(error ?? '');
  return text && text !== '[object Object]' ? text : fallback;
}

/**
 * HTTP status carried by an error thrown by `requestAPI`, if any.
 */
export function statusOf(error: unknown): number | undefined {
  const status = (error as { status?: unknown } | null)?.status;
  return typeof status === 'number' ? status : undefined;
}

/**
 * A "loading" line, announced politely to screen readers.
 */
export function loadingNote(text: string): HTMLElement {
  return el(
    'p',
    { class: 'aios-loading', role: 'status', 'aria-live': 'polite' },
    text
  );
}

/**
 * An error box with a title and the message (which names the fix when the
 * service gave one).
 */
export function errorBox(title: string, message: string): HTMLElement {
  return el(
    'div',
    { class: 'aios-error', role: 'alert' },
    el('p', { class: 'aios-error-title' }, title),
    el('p', { class: 'aios-error-message' }, message)
  );
}

/**
 * A muted, italic note for empty states.
 */
export function emptyNote(text: string): HTMLElement {
  return el('p', { class: 'aios-empty' }, text);
}

/**
 * Format a number for display with the user's locale.
 */
export function formatCount(value: number | null | undefined): string {
  return typeof value === 'number' && isFinite(value)
    ? value.toLocaleString()
    : '—';
}

/**
 * A table's header row: one column header per label.
 */
export function tableHead(...labels: string[]): HTMLTableSectionElement {
  return el(
    'thead',
    {},
    el('tr', {}, ...labels.map(label => el('th', { scope: 'col' }, label)))
  );
}

/**
 * `text` as a sentence: its first letter upper-case.
 */
export function sentence(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
