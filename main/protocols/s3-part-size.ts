const MiB = 1024 * 1024;

/** S3 limits (protocols.md §5): every part but the last is 5 MiB – 5 GiB, at most 10,000 parts, objects up to 5 TiB. */
export const S3_MIN_PART_BYTES = 5 * MiB;
export const S3_MAX_PART_BYTES = 5 * 1024 * MiB;
export const S3_MAX_PARTS = 10_000;
export const S3_MAX_OBJECT_BYTES = 5 * 1024 * 1024 * MiB;
/** Part size when the destination names none: fewer requests than 5 MiB, small enough to resend cheaply. */
export const S3_DEFAULT_PART_BYTES = 16 * MiB;

/**
 * The part size for a file: the preferred size, raised so the file fits in 10,000 parts (rounded up to whole MiB, as
 * rclone does), never under S3's 5 MiB minimum nor over its 5 GiB maximum.
 */
export function chooseS3PartSizeBytes(fileSizeBytes: number, preferredBytes: number = S3_DEFAULT_PART_BYTES): number {
  const preferred = Number.isFinite(preferredBytes) && preferredBytes > 0 ? Math.ceil(preferredBytes) : S3_DEFAULT_PART_BYTES;
  const toFitBytes = Math.ceil(Math.ceil(Math.max(0, fileSizeBytes) / S3_MAX_PARTS) / MiB) * MiB;
  return Math.min(S3_MAX_PART_BYTES, Math.max(S3_MIN_PART_BYTES, preferred, toFitBytes));
}
