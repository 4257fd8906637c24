/** What a tus server announced in its OPTIONS reply (tus 1.0 core, "Protocol Extensions"). */
export interface TusCapabilities {
  /** Tus-Version, in the server's order of preference; empty when the server did not say. */
  versions: string[];
  /** Tus-Extension, lower-cased (creation, termination, expiration, checksum, ...). */
  extensions: ReadonlySet<string>;
  /** Tus-Max-Size; null when the server sets no limit or did not say. */
  maxSizeBytes: number | null;
  /** Tus-Checksum-Algorithm, lower-cased. */
  checksumAlgorithms: readonly string[];
}

/** What we assume of a server that does not answer OPTIONS: the core protocol plus creation (we cannot upload without it). */
export const CORE_ONLY: TusCapabilities = { versions: [], extensions: new Set(), maxSizeBytes: null, checksumAlgorithms: [] };

export const TUS_VERSION = '1.0.0';

type Headers = Record<string, string | string[] | undefined>;

/** One header value; repeated headers (a proxy adding its own) are joined as HTTP allows for list headers. */
export function headerValue(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  if (Array.isArray(value)) return value.join(',');
  return value;
}

function list(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
}

export function parseCapabilities(headers: Headers): TusCapabilities {
  const maxSize = parseNonNegativeInteger(headerValue(headers, 'tus-max-size'));
  return {
    versions: list(headerValue(headers, 'tus-version')),
    extensions: new Set(list(headerValue(headers, 'tus-extension'))),
    maxSizeBytes: maxSize !== undefined && maxSize > 0 ? maxSize : null,
    checksumAlgorithms: list(headerValue(headers, 'tus-checksum-algorithm')),
  };
}

/** Upload-Offset / Upload-Length: a plain non-negative decimal integer, nothing else. */
export function parseNonNegativeInteger(value: string | undefined): number | undefined {
  if (value === undefined || !/^\s*\d+\s*$/.test(value)) return undefined;
  const n = Number(value.trim());
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Upload-Expires is an RFC 9110 HTTP date; an unreadable one is treated as "not known". */
export function parseExpires(headers: Headers): number | null {
  const value = headerValue(headers, 'upload-expires');
  if (!value) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

/** Upload-Metadata: comma-separated `key base64(value)` pairs; keys must be ASCII without spaces or commas. */
export function encodeMetadata(pairs: Record<string, string>): string {
  return Object.entries(pairs)
    .map(([key, value]) => `${key} ${Buffer.from(value, 'utf8').toString('base64')}`)
    .join(',');
}

/** A short, single-line excerpt of a (text) error body for messages; never more than 200 characters. */
export function bodyExcerpt(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
