/**
 * The Data section's search: hits ranked as the service ranked them, the
 * matching text highlighted, and why each dataset matched.
 */
import { Widget } from '@lumino/widgets';

import { Dataset } from '../src/api';
import {
  SearchResults,
  highlighted,
  localReasons,
  whyText
} from '../src/catalogSearchResults';
import { DataPanel } from '../src/data';
import { FakeService, failure, ok } from './fakeService';

function dataset(
  name: string,
  columns: string[] = [],
  description = ''
): Dataset {
  const [source, schema, short] = name.split('.');
  return {
    name,
    source,
    schema,
    dataset: short,
    kind: 'table',
    description,
    description_origin: description ? 'policy' : '',
    owners: [],
    tags: [],
    row_count: 10,
    columns: columns.map(c => ({
      name: c,
      type: 'VARCHAR',
      description: '',
      description_origin: '',
      classifications: [],
      tag_sources: []
    }))
  };
}

const SUPPLIERS = dataset('supplier_master.main.suppliers', ['contact_email']);
const LANES = dataset(
  'external_signals.main.supplier_lanes',
  [],
  'Inbound lane of each supplier.'
);

function marks(node: Element): string[] {
  return [...node.querySelectorAll('mark')].map(m => m.textContent ?? '');
}

describe('highlighted', () => {
  it('wraps the ranges in <mark> and keeps the rest as text', () => {
    const holder = document.createElement('p');
    holder.append(...highlighted('contact_email', [[8, 13]]));
    expect(holder.innerHTML).toBe(
      'contact_<mark class="aios-match">email</mark>'
    );
    const unsafe = document.createElement('p');
    unsafe.append(...highlighted('<b>x</b>', [[3, 4]]));
    expect(unsafe.querySelector('b')).toBeNull(); // text stays text
  });
});

describe('local matches', () => {
  it('find every occurrence and say where', () => {
    const reasons = localReasons(LANES, 'supplier');
    expect(reasons.map(r => r.field)).toEqual(['name', 'description']);
    expect(whyText(reasons)).toBe('Matched: name and description');
  });

  it('find a column by its description and tell it with the words', () => {
    const lanes = dataset('ext.main.lanes', ['port']);
    lanes.columns[0].description = 'The port the goods leave from';
    const reasons = localReasons(lanes, 'goods');
    expect(reasons).toEqual([
      {
        field: 'column',
        text: 'port: "The port the goods leave from"',
        highlights: [[20, 25]] // "goods" after `port: "The port the `
      }
    ]);
    expect(whyText(reasons)).toBe(
      'Matched: column port: "The port the goods leave from"'
    );
  });
});

describe('SearchResults', () => {
  it('lists hits in rank order with highlights and why each matched', async () => {
    const opened: string[] = [];
    const results = new SearchResults({
      onOpen: d => opened.push(`sidebar ${d.name}`),
      onOpenPage: d => opened.push(`page ${d.name}`)
    });
    Widget.attach(results, document.body);
    results.setResults([
      {
        dataset: SUPPLIERS,
        reasons: [
          { field: 'name', text: 'suppliers', highlights: [[0, 8]] },
          { field: 'column', text: 'contact_email', highlights: [[8, 13]] }
        ],
        why: 'Matched: name and column contact_email'
      },
      {
        dataset: LANES,
        reasons: [
          {
            field: 'description',
            text: LANES.description,
            highlights: [[21, 29]]
          }
        ],
        why: 'Matched: description'
      }
    ]);

    const items = [
      ...results.node.querySelectorAll('[data-testid="aios-dataset-item"]')
    ];
    expect(items.map(i => i.getAttribute('data-name'))).toEqual([
      SUPPLIERS.name,
      LANES.name
    ]);
    expect(items.map(i => i.getAttribute('data-rank'))).toEqual(['1', '2']);
    expect(marks(items[0].querySelector('.aios-hit-name')!)).toEqual([
      'supplier'
    ]);
    expect(
      items[0].querySelector('[data-testid="aios-hit-why"]')!.textContent
    ).toBe('Matched: name and column contact_email');
    expect(items[0].querySelector('li[data-field="column"]')!.textContent).toBe(
      'column: contact_email'
    );
    expect(marks(items[1])).toEqual(['supplier']);

    results.node.dispatchEvent(
      new KeyboardEvent('keydown', { key: 'ArrowDown' })
    );
    results.node.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter' }));
    results.node.dispatchEvent(
      new KeyboardEvent('keydown', { key: 'Enter', shiftKey: true })
    );
    items[0].dispatchEvent(new MouseEvent('click')); // a double-click: two clicks, then dblclick
    items[0].dispatchEvent(new MouseEvent('click'));
    items[0].dispatchEvent(new MouseEvent('dblclick'));
    items[1].dispatchEvent(new MouseEvent('click')); // a single click opens it in the sidebar, once
    await new Promise(resolve => setTimeout(resolve, 300));
    expect(opened).toEqual([
      `sidebar ${LANES.name}`,
      `page ${LANES.name}`,
      `page ${SUPPLIERS.name}`,
      `sidebar ${LANES.name}`
    ]);
    results.dispose();
  });
});

describe('DataPanel search', () => {
  let service: FakeService;
  afterEach(() => {
    service.uninstall();
    document.body.replaceChildren();
  });

  it('shows the service ranking and reasons, and matches text itself without catalog/search', async () => {
    service = new FakeService().install();
    service.on('GET', 'catalog', ok({ datasets: [LANES, SUPPLIERS] })).on(
      'GET',
      'catalog/search',
      ok({
        hits: [
          {
            name: SUPPLIERS.name,
            kind: 'table',
            description: '',
            owners: [],
            tags: [],
            score: 1006,
            matched_fields: ['name'],
            matched_columns: [],
            reasons: [
              { field: 'name', text: 'suppliers', highlights: [[0, 8]] }
            ],
            why: 'Matched: name'
          },
          {
            name: LANES.name,
            kind: 'table',
            description: LANES.description,
            owners: [],
            tags: [],
            score: 3.2,
            matched_fields: ['name'],
            matched_columns: [],
            reasons: [
              { field: 'name', text: 'supplier_lanes', highlights: [[0, 8]] }
            ],
            why: 'Matched: name'
          }
        ]
      })
    );
    const panel = new DataPanel();
    Widget.attach(panel, document.body);
    await panel.reload();
    const search = panel.node.querySelector<HTMLInputElement>(
      '[data-testid="aios-data-search"]'
    )!;

    search.value = 'supplier';
    search.dispatchEvent(new Event('input'));
    await new Promise(resolve => setTimeout(resolve, 400));
    const ranked = [...panel.node.querySelectorAll('.aios-hit')].map(i =>
      i.getAttribute('data-name')
    );
    expect(ranked).toEqual([SUPPLIERS.name, LANES.name]); // the service's order, not the tree's
    expect(panel.node.textContent).toContain(
      '2 of 2 datasets match, best first'
    );

    service.on(
      'GET',
      'catalog/search',
      failure(500, 'internal_error', 'index broken')
    );
    search.value = 'inbound';
    search.dispatchEvent(new Event('input'));
    await new Promise(resolve => setTimeout(resolve, 400));
    const hit = panel.node.querySelector('.aios-hit')!;
    expect(hit.getAttribute('data-name')).toBe(LANES.name);
    expect(hit.querySelector('[data-testid="aios-hit-why"]')!.textContent).toBe(
      'Matched: description'
    );
    expect(marks(hit)).toEqual(['Inbound']);
    expect(panel.node.textContent).toContain('Search failed (index broken)');
    panel.dispose();
  });
});
