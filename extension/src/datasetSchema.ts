/**
 * What a user sees of a dataset's columns, shared by the sidebar's compact
 * view and the full-page view: the access notes (the grant, what applied to
 * this user, the row filter, each rule in its words) and the schema with
 * classification badges (confidence and evidence) and masks in words.
 */
import { DatasetView as DatasetAccess, ExplainedColumn } from './api';
import { el, tableHead } from './dom';

/** Where one of a column's tags came from, with its confidence and evidence. */
export type TagSource = ExplainedColumn['tags'][number];

const ORIGINS: Record<string, string> = {
  policy: 'confirmed by a steward in governance/policy.yaml',
  scan: 'found by the classifier',
  lineage: 'inherited through column lineage',
  unverified: 'lineage unknown; the writer read this kind of data',
  kept: 'earned earlier'
};

/** `the rule ‘…’`: how a rule's label reads in a sentence. */
export function ruleName(label: string): string {
  return `the rule ‘${label}’`;
}

/** A confidence as a whole percentage, "confirmed" for a human's word. */
export function confidenceText(source: TagSource | undefined): string {
  if (!source) {
    return '';
  }
  if (source.origin === 'policy') {
    return 'confirmed';
  }
  return `${Math.round(source.confidence * 100)}%`;
}

/**
 * A classification badge. With its source, it expands (a `<details>`) to
 * the origin and the evidence (counts and shares, never a value); the
 * same text is its tooltip.
 */
export function tagBadge(tag: string, source?: TagSource): HTMLElement {
  const kind = tag.startsWith('pii') ? 'pii' : 'class';
  if (!source) {
    return el('span', { class: `aios-badge aios-badge-${kind}` }, tag);
  }
  const confidence = confidenceText(source);
  const origin = ORIGINS[source.origin] ?? source.origin;
  // the policy's own detail already says it was confirmed there (and whether the scan agrees)
  const evidence =
    source.origin === 'policy' && source.detail
      ? source.detail
      : `${origin}${source.detail ? `: ${source.detail}` : ''}`;
  return el(
    'details',
    {
      class: 'aios-tag-details',
      'data-testid': 'aios-tag',
      'data-tag': tag,
      'data-confidence': String(source.confidence)
    },
    el(
      'summary',
      {
        class: `aios-badge aios-badge-${kind}`,
        title: `${tag} (${confidence}) — ${evidence}`
      },
      tag,
      el('span', { class: 'aios-badge-confidence' }, ` ${confidence}`)
    ),
    el('p', { class: 'aios-tag-evidence' }, evidence)
  );
}

/** The mask of a column in words: how it is masked, by which rule, what you see. */
export function maskText(column: ExplainedColumn): string {
  if (!column.mask) {
    return 'Raw values';
  }
  const rule = column.rule ? `, by ${ruleName(column.rule)}` : '';
  return `Masked (${column.mask})${rule}: ${column.shows ?? 'masked for you'}`;
}

/**
 * The notes above the schema: the grant, one sentence of what applied to
 * this user, and the row filter with its rule.
 */
export function accessNotes(access: DatasetAccess): HTMLElement[] {
  const notes: HTMLElement[] = [];
  if (access.rule) {
    notes.push(
      el(
        'p',
        { class: 'aios-muted', 'data-testid': 'aios-access-grant' },
        `You (${access.user}) may read it by ${ruleName(access.rule)}.`
      )
    );
  }
  if (access.summary) {
    notes.push(
      el(
        'p',
        {
          class: 'aios-note',
          role: 'note',
          'data-testid': 'aios-access-summary'
        },
        access.summary
      )
    );
  }
  if (access.row_filter) {
    notes.push(
      el(
        'p',
        { class: 'aios-note', 'data-testid': 'aios-row-filter', role: 'note' },
        'You see only rows where ',
        el('code', {}, access.row_filter.predicate),
        access.row_filter.rule
          ? `, by ${ruleName(access.row_filter.rule)}.`
          : '.'
      )
    );
  }
  return notes;
}

/**
 * A column's description, marked when it is the source's own comment
 * (`COMMENT ON`) rather than a steward's word in governance/policy.yaml;
 * null when nobody described it.
 */
export function columnDescription(column: ExplainedColumn): HTMLElement | null {
  if (!column.description) {
    return null;
  }
  const fromSource = column.description_origin === 'source';
  return el(
    'span',
    {
      class: 'aios-column-description',
      'data-testid': 'aios-column-description',
      'data-origin': column.description_origin,
      title: fromSource
        ? "The database's own comment on the column"
        : 'Described by a steward in governance/policy.yaml'
    },
    column.description,
    fromSource
      ? el('span', { class: 'aios-muted' }, ' (from the source)')
      : null
  );
}

function tagBadges(column: ExplainedColumn): HTMLElement {
  const badges = el('span', { class: 'aios-badges' });
  const sources = new Map((column.tags ?? []).map(s => [s.tag, s]));
  for (const tag of column.classifications) {
    badges.appendChild(tagBadge(tag, sources.get(tag)));
  }
  return badges;
}

function maskBadge(column: ExplainedColumn): HTMLElement | null {
  if (!column.mask) {
    return null;
  }
  return el(
    'span',
    { class: 'aios-badge aios-badge-mask', title: maskText(column) },
    `mask: ${column.mask}`
  );
}

/**
 * The sidebar's schema: name and type, classification and mask badges
 * (the rule and what you see on hover, the evidence on expanding a tag).
 */
export function compactSchema(access: DatasetAccess): HTMLElement {
  const body = el('tbody');
  for (const column of access.columns) {
    const badges = tagBadges(column);
    const mask = maskBadge(column);
    if (mask) {
      badges.appendChild(mask);
    }
    body.appendChild(
      el(
        'tr',
        {
          'data-testid': 'aios-column-row',
          'data-name': column.name,
          'data-mask': column.mask ?? 'none'
        },
        el(
          'th',
          { scope: 'row' },
          el('span', { class: 'aios-column-name' }, column.name),
          el('span', { class: 'aios-type' }, column.type),
          columnDescription(column)
        ),
        el('td', {}, badges)
      )
    );
  }
  return el(
    'div',
    {
      class: 'aios-preview-scroll',
      // it may scroll sideways: keyboard users reach it (axe: scrollable-region-focusable)
      tabindex: '0',
      role: 'region',
      'aria-label': 'Columns'
    },
    el(
      'table',
      { class: 'aios-table aios-schema-table', 'aria-label': 'Columns' },
      tableHead('Column / type', 'Classes / mask'),
      body
    )
  );
}

/** What a column holds: its description, then what its classifications say. */
function holds(column: ExplainedColumn): (HTMLElement | string)[] {
  const described = columnDescription(column);
  if (!described) {
    return [column.about || el('span', { class: 'aios-muted' }, '—')];
  }
  return column.about
    ? [
        described,
        el('span', { class: 'aios-column-about aios-muted' }, column.about)
      ]
    : [described];
}

/**
 * The full page's schema: per column its type, what it holds (its
 * description, then what its classifications say), the classification
 * badges with confidence and evidence, and what the user sees of it in
 * words with the rule that decides it.
 */
export function fullSchema(access: DatasetAccess): HTMLElement {
  const body = el('tbody');
  for (const column of access.columns) {
    body.appendChild(
      el(
        'tr',
        {
          'data-testid': 'aios-column-row',
          'data-name': column.name,
          'data-mask': column.mask ?? 'none'
        },
        el(
          'th',
          { scope: 'row' },
          el('span', { class: 'aios-column-name' }, column.name)
        ),
        el('td', { class: 'aios-type' }, column.type),
        el('td', { 'data-testid': 'aios-column-about' }, ...holds(column)),
        el('td', {}, tagBadges(column)),
        el(
          'td',
          {
            class: column.mask ? 'aios-column-masked' : undefined,
            'data-testid': 'aios-column-access'
          },
          maskText(column)
        )
      )
    );
  }
  return el(
    'div',
    { class: 'aios-page-scroll' },
    el(
      'table',
      {
        class: 'aios-table aios-schema-table aios-page-schema',
        'aria-label': 'Columns'
      },
      tableHead(
        'Column',
        'Type',
        'What it holds',
        'Classification',
        'What you see'
      ),
      body
    )
  );
}
