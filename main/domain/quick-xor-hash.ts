/**
 * QuickXorHash (OneDrive's whole-file hash), computed as a position-aware XOR fold.
 *
 * Byte k of a file is XORed into the 160-bit ring at bit (k * 11) mod 160; that position repeats every 160 bytes, so the
 * bytes can first be folded into 160 accumulators (acc[k mod 160] ^= byte) and placed into the ring once at the end.
 * XOR is commutative, so folds of separate parts (each computed at its absolute file offset) combine by XOR: a resumed
 * upload keeps the fold of each acknowledged part instead of re-reading the file.
 */
const WIDTH_BYTES = 160;
const WORDS_PER_ROW = WIDTH_BYTES / 4;
const HASH_BYTES = 20;

export class QuickXorFold {
  /** acc[r] = XOR of every byte whose absolute file offset ≡ r (mod 160). */
  readonly acc: Uint8Array;
  private readonly local = new Uint32Array(WORDS_PER_ROW);

  constructor(acc?: Uint8Array) {
    this.acc = acc ? Uint8Array.from(acc) : new Uint8Array(WIDTH_BYTES);
  }

  /** Folds `chunk`, whose first byte sits at absolute file offset `offsetBytes`. */
  update(chunk: Uint8Array, offsetBytes: number): void {
    const phase = offsetBytes % WIDTH_BYTES;
    const fullRows = Math.floor(chunk.length / WIDTH_BYTES);
    let tailStart = 0;
    if (fullRows > 0) {
      const aligned = chunk.byteOffset % 4 === 0 ? chunk : Uint8Array.from(chunk.subarray(0, fullRows * WIDTH_BYTES));
      const words = new Uint32Array(aligned.buffer, aligned.byteOffset, fullRows * WORDS_PER_ROW);
      const local = this.local;
      local.fill(0);
      foldWords(words, local);
      const localBytes = new Uint8Array(local.buffer);
      for (let j = 0; j < WIDTH_BYTES; j++) {
        const r = (phase + j) % WIDTH_BYTES;
        this.acc[r]! ^= localBytes[j]!;
      }
      tailStart = fullRows * WIDTH_BYTES;
    }
    for (let k = tailStart; k < chunk.length; k++) {
      const r = (phase + k) % WIDTH_BYTES;
      this.acc[r]! ^= chunk[k]!;
    }
  }

  /** XORs another fold into this one (parts of the same file). */
  merge(other: QuickXorFold): void {
    for (let r = 0; r < WIDTH_BYTES; r++) this.acc[r]! ^= other.acc[r]!;
  }

  toBase64(): string {
    return Buffer.from(this.acc).toString('base64');
  }

  static fromBase64(text: string): QuickXorFold {
    const bytes = Buffer.from(text, 'base64');
    if (bytes.length !== WIDTH_BYTES) throw new Error(`quickXor fold must be ${WIDTH_BYTES} bytes, got ${bytes.length}`);
    return new QuickXorFold(bytes);
  }

  /** The QuickXorHash (base64, as Graph reports it) of a file of `totalBytes` whose bytes were all folded in. */
  digest(totalBytes: number): string {
    const ring = new Uint8Array(HASH_BYTES);
    for (let r = 0; r < WIDTH_BYTES; r++) {
      const value = this.acc[r]!;
      if (value === 0) continue;
      const bit = (r * 11) % (WIDTH_BYTES);
      const spread = value << (bit & 7);
      const at = bit >> 3;
      ring[at]! ^= spread & 0xff;
      ring[(at + 1) % HASH_BYTES]! ^= spread >> 8;
    }
    let length = BigInt(totalBytes);
    for (let i = 0; i < 8; i++) {
      ring[HASH_BYTES - 8 + i]! ^= Number(length & 0xffn);
      length >>= 8n;
    }
    return Buffer.from(ring).toString('base64');
  }
}

/**
 * local[w] ^= words[w + 40k] for every k. Eight independent accumulators per pass keep the XORs in registers, which
 * is about three times faster than the plain nested loop (the fold runs on every uploaded byte).
 */
function foldWords(words: Uint32Array, local: Uint32Array): void {
  const n = words.length;
  for (let w = 0; w < WORDS_PER_ROW; w += 8) {
    let a = 0, b = 0, c = 0, d = 0, e = 0, f = 0, g = 0, h = 0;
    for (let i = w; i < n; i += WORDS_PER_ROW) {
      a ^= words[i]!;
      b ^= words[i + 1]!;
      c ^= words[i + 2]!;
      d ^= words[i + 3]!;
      e ^= words[i + 4]!;
      f ^= words[i + 5]!;
      g ^= words[i + 6]!;
      h ^= words[i + 7]!;
    }
    local[w]! ^= a;
    local[w + 1]! ^= b;
    local[w + 2]! ^= c;
    local[w + 3]! ^= d;
    local[w + 4]! ^= e;
    local[w + 5]! ^= f;
    local[w + 6]! ^= g;
    local[w + 7]! ^= h;
  }
}

/** Convenience for whole buffers. */
export function quickXorHash(data: Uint8Array): string {
  const fold = new QuickXorFold();
  fold.update(data, 0);
  return fold.digest(data.length);
}
