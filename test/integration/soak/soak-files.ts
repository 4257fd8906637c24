const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * File sizes for one provider's soak, adding up to about `totalBytes`: the edge sizes every protocol must get right
 * (empty, one byte, a few KiB, just over 1 MiB, one byte past S3's 5 MiB part, just past Box's 20 MB chunked threshold),
 * then files of tens of MiB for the rest, sizes off any power of two.
 */
export function soakFileSizes(totalBytes: number): number[] {
  const sizes = [0, 1, 3 * KiB + 5, MiB + 13, 5 * MiB + 1, 21 * MiB + 7];
  let left = totalBytes - sizes.reduce((a, b) => a + b, 0);
  const big = 48 * MiB + 4_099;
  while (left >= big + MiB) {
    sizes.push(big);
    left -= big;
  }
  if (left >= MiB) sizes.push(left);
  return sizes;
}

/** `HOIST_SOAK_BYTES`: a byte count, or with a binary suffix (K, M, G: `256M`, `1G`). */
export function parseByteSize(value: string | undefined, fallbackBytes: number): number {
  const match = /^\s*(\d+)\s*([KMG]?)i?B?\s*$/i.exec(value ?? '');
  if (!match) return fallbackBytes;
  const unit = { '': 1, K: KiB, M: MiB, G: 1024 * MiB }[match[2]!.toUpperCase() as '' | 'K' | 'M' | 'G'];
  return Number(match[1]) * unit;
}
