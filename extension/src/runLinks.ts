/**
 * Where a run goes on: its page and artifacts in MLflow's UI (`aios mlflow`,
 * the address `tracking.ui_url` names), and the model versions registered
 * from it (the registry is `aios models`: MLflow's UI behind the workbench
 * does not serve it, so a version links to the model's files in the run).
 */
import { ModelVersion, RunSummary } from './api';
import { el } from './dom';
import { requestAPI } from './request';

/** Registered versions by the id of the run they came from. */
export type VersionsByRun = Map<string, ModelVersion[]>;

/** Every registered version the caller may see, by run id (empty when the registry cannot answer). */
export async function fetchVersionsByRun(): Promise<VersionsByRun> {
  const byRun: VersionsByRun = new Map();
  try {
    const answer = await requestAPI<{ versions: ModelVersion[] }>('models');
    for (const version of answer.versions) {
      if (version.run_id) {
        byRun.set(version.run_id, [
          ...(byRun.get(version.run_id) ?? []),
          version
        ]);
      }
    }
  } catch {
    // Links to versions are extras: the runs are shown without them.
  }
  return byRun;
}

/** The artifact path of a version's model inside its run (`runs:/ID/model` -> `model`). */
export function modelPath(version: ModelVersion): string {
  const match = /^runs:\/[^/]+\/(.+)$/.exec(version.source ?? '');
  return match ? match[1] : 'model';
}

function link(
  href: string,
  text: string,
  label: string,
  testid: string
): HTMLElement {
  return el(
    'a',
    {
      href,
      target: '_blank',
      rel: 'noopener noreferrer',
      class: 'aios-run-link',
      'aria-label': label,
      'data-testid': testid
    },
    text
  );
}

/**
 * Links of one run: "MLflow", "Artifacts" and one per registered version
 * ("late-delivery v3 · champion"); nothing when there is no UI to link to
 * and no version.
 */
export function runLinks(
  run: Pick<RunSummary, 'id' | 'experiment_id'>,
  label: string,
  mlflowUi: string | null | undefined,
  versions: readonly ModelVersion[] = []
): HTMLElement {
  const pages = mlflowLinks(mlflowUi, run);
  const items: HTMLElement[] = [];
  if (pages) {
    items.push(
      link(pages.run, 'MLflow', `Open ${label} in MLflow`, 'aios-run-mlflow'),
      link(
        pages.artifacts,
        'Artifacts',
        `Open the artifacts of ${label} in MLflow`,
        'aios-run-artifacts'
      )
    );
  }
  for (const version of versions) {
    const text = `${version.name} v${version.version} · ${version.status}`;
    const title = `Registered model version (aios models show ${version.name} ${version.version})`;
    const node = pages
      ? link(
          pages.artifact(modelPath(version)),
          text,
          `${text}: open its model files`,
          'aios-run-model'
        )
      : el('span', { 'data-testid': 'aios-run-model' }, text);
    node.title = title;
    node.classList.add('aios-run-model');
    items.push(node);
  }
  return el('span', { class: 'aios-run-links' }, ...items);
}

/** MLflow's UI pages of a run: its page and its artifacts (and a path in them). */
export function mlflowLinks(
  base: string | null | undefined,
  run: Pick<RunSummary, 'id' | 'experiment_id'>
): {
  run: string;
  artifacts: string;
  artifact: (path: string) => string;
} | null {
  if (!base) {
    return null;
  }
  const page = `${base.replace(/\/+$/, '')}/#/experiments/${encodeURIComponent(
    run.experiment_id
  )}/runs/${encodeURIComponent(run.id)}`;
  return {
    run: page,
    artifacts: `${page}/artifacts`,
    artifact: path =>
      `${page}/artifactPath/${path.split('/').map(encodeURIComponent).join('/')}`
  };
}
