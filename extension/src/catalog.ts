import {
  Dataset,
  DatasetList,
  DatasetProfile,
  DatasetView,
  PreviewPage,
  SearchHit,
  SearchHits
} from './api';
import { IRequestError, requestAPI } from './request';

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
 * Everything the Data section asks the workbench service. The default
 * implementation is {@link restDataClient}; tests and benchmarks may pass
 * another.
 */
export interface IDataClient {
  catalog(): Promise<Dataset[]>;
  dataset(name: string): Promise<DatasetView>;
  preview(query: IPreviewQuery): Promise<PreviewPage>;
  profile(name: string): Promise<DatasetProfile>;
  search(text: string, limit?: number): Promise<SearchHit[]>;
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
    return (await requestAPI<DatasetList>('catalog')).datasets;
  },
  dataset(name) {
    return requestAPI<DatasetView>(`catalog/dataset?${query({ name })}`);
  },
  preview(q) {
    return requestAPI<PreviewPage>(
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
    return requestAPI<DatasetProfile>(`catalog/profile?${query({ name })}`);
  },
  async search(text, limit = 200) {
    const body = await requestAPI<SearchHits>(
      `catalog/search?${query({ q: text, limit })}`
    );
    return body.hits;
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
export function filterDatasets(datasets: Dataset[], text: string): Dataset[] {
  const words = text.toLowerCase().split(/\s+/).filter(Boolean);
  if (words.length === 0) {
    return datasets;
  }
  return datasets.filter(d => {
    const haystack = [
      d.name,
      d.description,
      ...d.tags,
      ...d.owners,
      ...d.columns.map(c => c.name),
      ...d.columns.map(c => c.description || '')
    ]
      .join('\n')
      .toLowerCase();
    return words.every(w => haystack.includes(w));
  });
}
