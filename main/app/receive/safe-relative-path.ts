/** Where unfinished uploads live inside the receive folder; never a valid delivery target. */
export const STAGING_DIR_NAME = '.hoist-receive';

const MAX_DEPTH = 64;
const MAX_SEGMENT_BYTES = 255;
// Characters Windows refuses in names; refused everywhere so a folder received on Linux can be copied to Windows.
const WINDOWS_RESERVED = /[<>:"|?*]/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

export type RelativePathCheck = { ok: true; segments: string[] } | { ok: false; reason: string };

/**
 * Checks a client-supplied relative path (tus `relativePath` or `filename` metadata) before anything is written. Both
 * "/" and "\" separate folders (a Windows client's path), so neither can smuggle in a "..".
 */
export function checkRelativePath(raw: string): RelativePathCheck {
  if (raw.length === 0) return { ok: false, reason: 'it is empty' };
  if (raw.includes('\0')) return { ok: false, reason: 'it contains a NUL character' };
  if (CONTROL.test(raw)) return { ok: false, reason: 'it contains control characters' };
  if (/^[\\/]/.test(raw) || /^[a-zA-Z]:/.test(raw)) return { ok: false, reason: 'it is an absolute path' };
  const segments = raw.split(/[\\/]/);
  if (segments.length > MAX_DEPTH) return { ok: false, reason: `it is more than ${MAX_DEPTH} folders deep` };
  for (const segment of segments) {
    if (segment === '') return { ok: false, reason: 'it has an empty folder name (a doubled or trailing slash)' };
    if (segment === '.' || segment === '..') return { ok: false, reason: 'it contains "." or ".." segments' };
    if (WINDOWS_RESERVED.test(segment)) return { ok: false, reason: 'it contains one of the characters < > : " | ? *' };
    if (Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_BYTES) return { ok: false, reason: `a name in it is longer than ${MAX_SEGMENT_BYTES} bytes` };
  }
  if (segments[0]!.toLowerCase() === STAGING_DIR_NAME) return { ok: false, reason: `${STAGING_DIR_NAME} is where unfinished uploads are kept` };
  return { ok: true, segments };
}

/** "name.ext" → "name (n).ext"; n = 0 is the name itself. Dot files keep their whole name: ".env (1)". */
export function numberedName(name: string, n: number): string {
  if (n === 0) return name;
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return `${name} (${n})`;
  return `${name.slice(0, dot)} (${n})${name.slice(dot)}`;
}

/** Which metadata names the file: relativePath (folders kept) when present, else filename, else the upload id. */
export function targetNameOf(metadata: Record<string, string | null> | undefined, uploadId: string): string {
  const relativePath = metadata?.relativePath;
  // Uppy sends relativePath for every file, as the string "null" when the file was not picked from a folder.
  if (relativePath && !(relativePath === 'null' && metadata?.filename)) return relativePath;
  const filename = metadata?.filename;
  if (filename) return filename;
  return `upload-${uploadId}`;
}
