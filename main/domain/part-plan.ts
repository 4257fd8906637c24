import type { FragmentRules } from './fragment-size.js';
import type { PlannedPart } from '../store/sessions-repo.js';

/** Splits [startOffsetBytes, totalBytes) into parts of partSizeBytes (the last may be shorter), numbered from firstIndex. */
export function planParts(startOffsetBytes: number, totalBytes: number, partSizeBytes: number, firstIndex = 0): PlannedPart[] {
  if (!(partSizeBytes > 0)) throw new RangeError(`part size must be positive, got ${partSizeBytes}`);
  const parts: PlannedPart[] = [];
  let index = firstIndex;
  for (let offset = startOffsetBytes; offset < totalBytes; offset += partSizeBytes) {
    parts.push({ partIndex: index++, offsetBytes: offset, sizeBytes: Math.min(partSizeBytes, totalBytes - offset) });
  }
  return parts;
}

export const GRAPH_FRAGMENT_MULTIPLE_BYTES = 327_680;
export const GRAPH_MAX_FRAGMENT_BYTES = 62_914_560;
export const GRAPH_DEFAULT_FRAGMENT_BYTES = 10_485_760;

/**
 * Graph fragments Hoist sizes itself: multiples of 320 KiB from 5 MiB up to the largest one under 60 MiB
 * (191 × 320 KiB = 62,586,880 bytes).
 */
export const GRAPH_FRAGMENT_RULES: FragmentRules = {
  multipleBytes: GRAPH_FRAGMENT_MULTIPLE_BYTES,
  minBytes: 16 * GRAPH_FRAGMENT_MULTIPLE_BYTES,
  maxBytes: Math.ceil(GRAPH_MAX_FRAGMENT_BYTES / GRAPH_FRAGMENT_MULTIPLE_BYTES - 1) * GRAPH_FRAGMENT_MULTIPLE_BYTES,
};

/** Graph fragments must be whole multiples of 320 KiB and strictly under 60 MiB; anything else fails some commits. */
export function validateGraphFragmentBytes(bytes: number): string | undefined {
  if (!Number.isInteger(bytes) || bytes <= 0) return `fragment size must be a positive whole number of bytes, got ${bytes}`;
  if (bytes % GRAPH_FRAGMENT_MULTIPLE_BYTES !== 0) return `fragment size must be a multiple of 327,680 bytes (320 KiB), got ${bytes}`;
  if (bytes >= GRAPH_MAX_FRAGMENT_BYTES) return `fragment size must be under 60 MiB (62,914,560 bytes), got ${bytes}`;
  return undefined;
}
