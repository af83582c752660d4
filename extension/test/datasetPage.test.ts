/**
 * A dataset's full page in the main area, as an analyst (bob) reads it: the
 * rules in their words, what each column holds, classification confidence
 * and evidence, every column of the preview with masked ones shown masked,
 * and the row count with the row filter that makes it.
 */
import { Widget } from '@lumino/widgets';

import { Dataset, DatasetView as DatasetAccess } from '../src/api';
import { DatasetPage, datasetPageId } from '../src/datasetPage';
import { FakeService, ok } from './fakeService';
import { lineageGraph } from './fixtures';

const NAME = 'supplier_master.main.suppliers';

const DATASET: Dataset = {
  name: NAME,
  source: 'supplier_master',
  schema: 'main',
  dataset: 'suppliers',
  kind: 'table',
  description: 'Supplier master data with contact details.',
  description_origin: 'policy',
  owners: ['procurement-data@example.com'],
  tags: ['master-data', 'pii'],
  row_count: null,
  columns: []
};

const BOB: DatasetAccess = {
  user: 'bob',
  dataset: NAME,
  allowed: true,
  rule: 'analysts read the supplier master',
  roles: ['analyst'],
  summary:
    "1 column masked for you (contact_email); you see only rows where region = 'Northern Europe'.",
  row_filter: {
    predicate: "region = 'Northern Europe'",
    rule: 'analysts see only the suppliers of their own region'
  },
  columns: [
    {
      name: 'supplier_id',
      type: 'BIGINT',
      description: 'Stable supplier key, e.g. SUP-00042.',
      description_origin: 'policy',
      classifications: [],
      about: '',
      tags: [],
      mask: null,
      rule: null,
      shows: null
    },
    {
      name: 'contact_email',
      type: 'VARCHAR',
      description: 'Where order confirmations go',
      description_origin: 'source',
      classifications: ['pii.email'],
      about: 'e-mail addresses',
      tags: [
        {
          tag: 'pii.email',
          origin: 'scan',
          confidence: 0.93,
          detail: '93% of 500 sampled values are valid e-mail addresses'
        }
      ],
      mask: 'hash',
      rule: 'e-mails hashed for everyone but stewards and procurement officers',
      shows: 'you see a keyed hash: equal values stay equal'
    },
    {
      name: 'contact_name',
      type: 'VARCHAR',
      description: '',
      description_origin: '',
      classifications: ['pii.person_name'],
      about: 'person names',
      tags: [],
      mask: 'null',
      rule: 'names hidden',
      shows: 'you see no value (empty)'
    }
  ]
};

let service: FakeService;
let page: DatasetPage;

beforeEach(() => {
  service = new FakeService().install();
  service
    .on('GET', 'catalog/dataset', ok(BOB))
    .on(
      'GET',
      'catalog/preview',
      ok({
        dataset: NAME,
        columns: [
          { name: 'supplier_id', type: 'BIGINT' },
          { name: 'contact_email', type: 'VARCHAR' },
          { name: 'contact_name', type: 'VARCHAR' }
        ],
        rows: [
          {
            supplier_id: 7,
            contact_email: '3fa29c01d2e4b5a6',
            contact_name: null
          }
        ],
        next_cursor: null,
        row_count: 73,
        row_count_source: 'count',
        order_by: null,
        descending: false,
        applied: BOB.summary
      })
    )
    .on(
      'GET',
      'catalog/profile',
      ok({
        dataset: NAME,
        rows: 73,
        rows_label:
          "73 rows you can see (row filter: region = 'Northern Europe')",
        row_filter: "region = 'Northern Europe'",
        profiled_rows: 73,
        approximate: false,
        sample: null,
        statements: 2,
        seconds: 0.01,
        columns: [
          {
            name: 'supplier_id',
            type: 'BIGINT',
            masked: false,
            rows: 73,
            nulls: 0,
            distinct: 73,
            min: 1,
            max: 73
          },
          { name: 'contact_email', masked: true, mask: 'hash', rows: 73 },
          { name: 'contact_name', masked: true, mask: 'null', rows: 73 }
        ]
      })
    )
    .on(
      'GET',
      'lineage',
      ok({
        dataset: NAME,
        recorded: true,
        upstream: lineageGraph(NAME, 'upstream'),
        downstream: lineageGraph(NAME, 'downstream')
      })
    )
    .on('GET', 'checks/history', ok({ runs: [] }));
  page = new DatasetPage({
    dataset: DATASET,
    notebooks: null,
    activate: () => undefined
  });
  Widget.attach(page, document.body);
});

afterEach(() => {
  page.dispose();
  service.uninstall();
  document.body.replaceChildren();
});

function text(testid: string): string {
  return (
    page.node.querySelector(`[data-testid="${testid}"]`)?.textContent ?? ''
  );
}

describe('DatasetPage', () => {
  it('says which rules apply to the reader, in their words', async () => {
    await page.load();

    expect(text('aios-access-grant')).toBe(
      'You (bob) may read it by the rule ‘analysts read the supplier master’.'
    );
    expect(text('aios-access-summary')).toBe(BOB.summary);
    expect(text('aios-row-filter')).toBe(
      "You see only rows where region = 'Northern Europe', by the rule ‘analysts see only the suppliers of their own region’."
    );
    expect(page.node.textContent).not.toMatch(/masks\[|grants\[|row_filters\[/);
  });

  it('shows each column with what it holds, its classification evidence and what the reader sees', async () => {
    await page.load();

    const email = page.node.querySelector(
      '[data-testid="aios-column-row"][data-name="contact_email"]'
    )!;
    // its description (the source's comment, marked so), then what its classes say
    expect(
      email.querySelector('[data-testid="aios-column-about"]')!.textContent
    ).toBe('Where order confirmations go (from the source)e-mail addresses');
    expect(
      email.querySelector('[data-testid="aios-column-description"]')!
        .textContent
    ).toBe('Where order confirmations go (from the source)');
    const id = page.node.querySelector(
      '[data-testid="aios-column-row"][data-name="supplier_id"]'
    )!;
    expect(
      id.querySelector('[data-testid="aios-column-about"]')!.textContent
    ).toBe('Stable supplier key, e.g. SUP-00042.'); // a steward's word is not marked
    const tag = email.querySelector<HTMLDetailsElement>(
      '[data-testid="aios-tag"]'
    )!;
    expect(tag.querySelector('summary')!.textContent).toBe('pii.email 93%');
    expect(tag.textContent).toContain(
      'found by the classifier: 93% of 500 sampled values are valid e-mail addresses'
    );
    expect(
      email.querySelector('[data-testid="aios-column-access"]')!.textContent
    ).toBe(
      'Masked (hash), by the rule ‘e-mails hashed for everyone but stewards and procurement officers’: you see a keyed hash: equal values stay equal'
    );
    expect(
      id.querySelector('[data-testid="aios-column-access"]')!.textContent
    ).toBe('Raw values');
  });

  it('previews every column, masked ones shown masked, and counts the rows the filter leaves', async () => {
    await page.load();

    const table = page.node.querySelector(
      '[data-testid="aios-preview-table"]'
    )!;
    const headers = [...table.querySelectorAll('thead th')].map(th =>
      th.getAttribute('data-name')
    );
    expect(headers).toEqual(['supplier_id', 'contact_email', 'contact_name']);
    const hashed = table.querySelector('td[data-name="contact_email"]')!;
    expect(hashed.getAttribute('data-masked')).toBe('true');
    expect(hashed.textContent).toBe('3fa29c01d2e4b5a6');
    expect(
      table.querySelector('td[data-name="contact_name"]')!.textContent
    ).toBe('hidden');
    expect(text('aios-preview-applied')).toBe(BOB.summary);
    expect(text('aios-page-rows')).toBe(
      "73 rows you can see (row filter: region = 'Northern Europe')"
    );
    expect(text('aios-profile-rows')).toBe(
      "73 rows you can see (row filter: region = 'Northern Europe')"
    );
    expect(page.node.textContent).not.toContain('hidden by your row filter');
  });

  it('has an id per dataset and disables Insert query without a notebook', async () => {
    await page.load();
    expect(datasetPageId(NAME)).toBe(
      'aios-dataset-page-supplier_master.main.suppliers'
    );
    const insert = page.node.querySelector<HTMLButtonElement>(
      '[data-testid="aios-insert-query"]'
    )!;
    expect(insert.disabled).toBe(true);
    expect(insert.title).toMatch(/notebook/i);
  });
});
