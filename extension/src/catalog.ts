import { Dataset, DatasetColumn } from './api';
import { IRequestError, requestAPI } from './request';

/**
 * A column as the catalog lists it: the contract's column, every field sent.
 */
export type ICatalogColumn = Required<DatasetColumn>;

/**
 * One dataset of `GET catalog` (only datasets the user may read): the
 * contract's Dataset. The service always sends every field and `row_count`;
 * the hand-written document does not say so yet (the one generated from the
 * models will, and then this becomes a plain alias).
 */
export interface ICatalogDataset extends Required<Omit<Dataset, 'columns'>> {
  row_count: number | null;
  columns: ICatalogColumn[];
}

/**
 * How a mask shows a column's values to this user.
 */
export type MaskMethod = 'hash' | 'redact' | 'partial' | 'null';

/**
 * A column of `GET catalog/dataset`: what the user sees of it and why.
 */
export interface IColumnAccess extends ICatalogColumn {
  mask: MaskMethod | null;
  rule: string | null;
}

/**
 * `GET catalog/dataset?name=...`: the user's view of one dataset.
 */
export interface IDatasetAccess {
  user: string;
  dataset: string;
  allowed: boolean;
  rule: string | null;
  roles: string[];
  columns: IColumnAccess[];
  row_filter: { predicate: string; rule: string } | null;
}

/**
 * A column of a preview page; `masked` tells the values are masked.
 */
export interface IPreviewColumn {
  name: string;
  type: string;
  masked?: boolean;
}

/**
 * `GET catalog/preview`: one page of masked, row-filtered rows.
 */
export interface IPreviewPage {
  columns: IPreviewColumn[];
  rows: Record<string, unknown>[];
  next_cursor: string | null;
  row_count: number | null;
}

/**
 * What a preview page is asked for; `after` is a previous `next_cursor`.
 */
export interface IPreviewQuery {
  name: string;
  orderBy?: string | null;
  descending?: boolean;
  after?: string | null;
  limit?: number;
}

/**
 * One hit of `GET catalog/search`.
 */
export interface ISearchHit {
  name: string;
  description?: string;
  score?: number;
  matched_fields?: string[];
}

/**
 * One histogram bin. The contract says `lo`/`hi`; `low`/`high` are read too.
 */
export interface IHistogramBin {
  lo?: number | string;
  hi?: number | string;
  low?: number | string;
  high?: number | string;
  count: number;
}

/**
 * Statistics of one column; nothing but the name for masked columns.
 */
export interface IColumnProfile {
  name: string;
  type?: string;
  masked: boolean;
  nulls?: number | null;
  distinct?: number | null;
  min?: unknown;
  max?: unknown;
  histogram?: IHistogramBin[] | null;
  top_values?: { value: unknown; count: number }[] | null;
  top?: { value: unknown; count: number }[] | null;
}

/**
 * `GET catalog/profile?name=...`.
 */
export interface IDatasetProfile {
  row_count?: number | null;
  rows?: number | null;
  columns: IColumnProfile[];
}

/**
 * Everything the Data section asks the workbench service. The default
 * implementation is {@link restDataClient}; tests and benchmarks may pass
 * another.
 */
export interface IDataClient {
  catalog(): Promise<ICatalogDataset[]>;
  dataset(name: string): Promise<IDatasetAccess>;
  preview(query: IPreviewQuery): Promise<IPreviewPage>;
  profile(name: string): Promise<IDatasetProfile>;
  search(text: string, limit?: number): Promise<ISearchHit[]>;
}

function query(params: Record<string, string | number | undefined | null>) {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) {
    if (value !== undefined && value !== null && value !== '') {
      search.set(key, String(value));
    }
  }
  return search.toString();
}

/**
 * The Data section's client over the workbench REST API (see openapi.yaml).
 */
export const restDataClient: IDataClient = {
  async catalog() {
    const body = await requestAPI<{ datasets?: ICatalogDataset[] }>('catalog');
    return Array.isArray(body?.datasets) ? body.datasets : [];
  },
  dataset(name) {
    return requestAPI<IDatasetAccess>(`catalog/dataset?${query({ name })}`);
  },
  preview(q) {
    return requestAPI<IPreviewPage>(
      `catalog/preview?${query({
        name: q.name,
        order_by: q.orderBy,
        desc: q.orderBy ? (q.descending ? 1 : 0) : undefined,
        after: q.after,
        limit: q.limit ?? 50
      })}`
    );
  },
  profile(name) {
    return requestAPI<IDatasetProfile>(`catalog/profile?${query({ name })}`);
  },
  async search(text, limit = 200) {
    const body = await requestAPI<{ hits?: ISearchHit[] }>(
      `catalog/search?${query({ q: text, limit })}`
    );
    return Array.isArray(body?.hits) ? body.hits : [];
  }
};

/**
 * True when an error means the service has no such endpoint (yet): a 404
 * without the workbench's JSON error code. A 404 *with* a code is a real
 * answer, e.g. an unknown dataset.
 */
export function isMissingEndpoint(error: unknown): boolean {
  const e = error as IRequestError | null;
  return !!e && e.status === 404 && !e.code;
}

/**
 * Client-side search: every word of `text` must occur (case-insensitive)
 * in the dataset's name, description, tags, owners or column names.
 */
export function filterDatasets(
  datasets: ICatalogDataset[],
  text: string
): ICatalogDataset[] {
  const words = text.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) {
    return datasets;
  }
  return datasets.filter(d => {
    const haystack = [
      d.name,
      d.description ?? '',
      ...(d.tags ?? []),
      ...(d.owners ?? []),
      ...(d.columns ?? []).map(c => c.name)
    ]
      .join('\n')
      .toLowerCase();
    return words.every(w => haystack.includes(w));
  });
}
