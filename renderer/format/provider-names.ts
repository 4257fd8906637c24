import type { ProviderKind } from '../../preload/contract/index.js';

/** What users call each server kind. */
export const PROVIDER_NAMES: Record<ProviderKind, string> = {
  graph: 'OneDrive',
  box: 'Box',
  apideck: 'Apideck',
  tus: 'tus server',
  s3: 'S3',
};

/** Longer names for the destination form. */
export const PROVIDER_TITLES: Record<ProviderKind, string> = {
  graph: 'OneDrive / SharePoint',
  box: 'Box',
  apideck: 'Apideck File Storage',
  tus: 'tus (resumable upload server)',
  s3: 'S3 or S3-compatible',
};

/** The destination files go to when none is chosen; the contract names the built-in one `local`. */
export function destinationLabel(name: string | null): string {
  return name ?? 'local';
}
