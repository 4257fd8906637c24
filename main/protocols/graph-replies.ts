import * as z from 'zod';
import type { ByteRange } from '../domain/reconcile.js';
import type { RemoteItem } from './upload-protocol.js';

/** Shapes of Graph replies we rely on; anything else is a malformed reply. */
export const sessionCreatedSchema = z.object({
  uploadUrl: z.string().url(),
  expirationDateTime: z.string().optional(),
  nextExpectedRanges: z.array(z.string()).optional(),
});

export const sessionStatusSchema = z.object({
  expirationDateTime: z.string().optional(),
  nextExpectedRanges: z.array(z.string()),
});

export const driveItemSchema = z.object({
  id: z.string(),
  name: z.string(),
  size: z.number().int().nonnegative(),
  webUrl: z.string().optional(),
  file: z
    .object({ hashes: z.object({ quickXorHash: z.string().optional(), sha1Hash: z.string().optional(), sha256Hash: z.string().optional() }).partial().optional() })
    .optional(),
});

const odataErrorSchema = z.object({ error: z.object({ code: z.string().optional(), message: z.string().optional() }).passthrough() });

export function toRemoteItem(raw: z.infer<typeof driveItemSchema>): RemoteItem {
  const hashes = raw.file?.hashes ?? {};
  return {
    id: raw.id,
    name: raw.name,
    sizeBytes: raw.size,
    webUrl: raw.webUrl?.startsWith('https://') ? raw.webUrl : undefined,
    hashes: {
      quickXorHash: hashes.quickXorHash,
      sha1Hex: hashes.sha1Hash?.toLowerCase(),
      sha256Hex: hashes.sha256Hash?.toLowerCase(),
    },
    raw,
  };
}

/** Parses "a-b" (inclusive), "a-" and the bare "a" of Outlook sessions into [start, end) ranges. */
export function parseExpectedRanges(ranges: readonly string[], totalBytes: number): ByteRange[] | undefined {
  const out: ByteRange[] = [];
  for (const text of ranges) {
    const m = /^(\d+)(?:-(\d*))?$/.exec(text.trim());
    if (!m) return undefined;
    const start = Number(m[1]);
    const end = m[2] ? Number(m[2]) + 1 : totalBytes;
    if (end < start || end > totalBytes) return undefined;
    out.push({ startBytes: start, endBytes: end });
  }
  return out;
}

export function parseExpiry(text: string | undefined): number | null {
  if (!text) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : ms;
}

/** The most specific error code in an OData error body (inner errors nest, and casing of `innerError` varies). */
export function odataError(body: unknown): { codes: string[]; message: string } {
  const parsed = odataErrorSchema.safeParse(body);
  if (!parsed.success) return { codes: [], message: '' };
  const codes: string[] = [];
  let node: Record<string, unknown> | undefined = parsed.data.error as Record<string, unknown>;
  for (let depth = 0; node && depth < 8; depth++) {
    if (typeof node.code === 'string') codes.push(node.code);
    const inner: unknown = Object.entries(node).find(([k]) => k.toLowerCase() === 'innererror')?.[1];
    node = inner && typeof inner === 'object' ? (inner as Record<string, unknown>) : undefined;
  }
  return { codes, message: parsed.data.error.message ?? '' };
}
