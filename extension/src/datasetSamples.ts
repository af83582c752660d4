import { DatasetView as DatasetAccess } from './api';
import { IDataClient } from './catalog';
import { PreviewSection } from './preview';
import { ProfileSection } from './profile';

/**
 * A dataset's preview (the columns masked for this reader marked) and its
 * profile, placed in their boxes and loaded together: the sidebar's dataset
 * view and the full page show the same two. `onRows` gets the row count in
 * words once the profile knows it.
 */
export async function loadSamples(
  client: IDataClient,
  dataset: string,
  access: DatasetAccess,
  boxes: { preview: HTMLElement; profile: HTMLElement },
  onRows: (label: string) => void
): Promise<void> {
  const masked = new Set(access.columns.filter(c => !!c.mask).map(c => c.name));
  const preview = new PreviewSection(client, dataset, masked);
  const profile = new ProfileSection(client, dataset, onRows);
  boxes.preview.replaceChildren(preview.node);
  boxes.profile.replaceChildren(profile.node);
  await Promise.all([preview.load(), profile.load()]);
}
