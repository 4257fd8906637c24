import { describe, expect, it } from 'vitest';
import { randomBytes, randomFillSync } from 'node:crypto';
import { QuickXorFold, allocateFoldable, foldRowsPortable, foldRowsSimd, quickXorHash } from '../../main/domain/quick-xor-hash.js';

// Published vectors (input base64 -> QuickXorHash base64) from the OneDrive reference algorithm as used by rclone.
const VECTORS: Array<[string, string]> = [
  ['', 'AAAAAAAAAAAAAAAAAAAAAAAAAAA='],
  ['Sg==', 'SgAAAAAAAAAAAAAAAQAAAAAAAAA='],
  ['tbQ=', 'taAFAAAAAAAAAAAAAgAAAAAAAAA='],
  ['luBZlaT6', 'lgBHFipBCn0AAAAABgAAAAAAAAA='],
  ['gQaybEqS/4UlDc8e4IJm', 'gDCALNigBEn8oxAlZ8AzPAAOQZg='],
  ['2fuxhBJXtpWFe8dOfdGeHw==', 'O9tHLAghgSvYohKFyMMxnNCHaHg='],
  ['NbYXsp5/K6mR+NmHwExjvWeWDJFnXTKWVlzYHoesp2E=', 'wjuAuWDiq04qDt1R8hHWDDcwVoQ='],
  [
    'ikwCorI7PKWz17EI50jZCGbV9JU2E8bXVfxNMg5zdmqSZ2NlsQPp0kqYIPjzwTg1MBtfWPg53k0h0P2naJNEVgrqpoHTfV2b3pJ4m0zYPTJmUX4Bg/lOxcnCxAYKU29Y5F0U8Quz7ZXFBEweftXxJ7RS4r6N7BzJrPsLhY7hgck=',
    'imAoFvCWlDn4yVw3/oq1PDbbm6U=',
  ],
  [
    'qwGf2ESubE5jOUHHyc94ORczFYYbc2OmEzo+hBIyzJiNwAzC8PvJqtTzwkWkSslgHFGWQZR2BV5+uYTrYT7HVwRM40vqfj0dBgeDENyTenIOL1LHkjtDKoXEnQ0mXAHoJ8PjbNC93zi5TovVRXTNzfGEs5dpWVqxUzb5lc7dwkyvOluBw482mQ4xrzYyIY1t+//OrNi1ObGXuUw2jBQOFfJVj2Y6BOyYmfB1y36eBxi3zxeG5d5NYjm2GSh6e08QMAwu3zrINcqIzLOuNIiGXBtl7DjKt7b5wqi4oFiRpZsCyx2smhSrdrtK/CkdU6nDN+34vSR/M8rZpWQdBE7a8g==',
    'WYT9JY3JIo/pEBp+tIM6Gt2nyTM=',
  ],
];

describe('QuickXorHash', () => {
  it.each(VECTORS)('matches the reference vector for %s', (input, expected) => {
    expect(quickXorHash(Buffer.from(input, 'base64'))).toBe(expected);
  });

  it('the WebAssembly SIMD row fold equals the portable one, across its 64 KiB slices and at any alignment', () => {
    // Node 20 has WebAssembly SIMD; without it the portable fold is used and this comparison has nothing to compare.
    expect(foldRowsSimd, 'WebAssembly SIMD is expected on Node 20').toBeDefined();
    for (const rows of [1, 2, 408, 409, 410, 818, 6554]) {
      for (const shift of [0, 1, 3]) {
        const backing = randomBytes(rows * 160 + shift);
        const chunk = backing.subarray(shift);
        const portable = new Uint8Array(160);
        const simd = new Uint8Array(160);
        portable.fill(7); // both XOR into what is there
        simd.fill(7);
        foldRowsPortable(chunk, rows * 160, portable);
        foldRowsSimd!(chunk, rows * 160, simd);
        expect(Buffer.from(simd).equals(Buffer.from(portable)), `${rows} rows, shift ${shift}`).toBe(true);
      }
    }
  });

  it('gives the same digest however the input is split into parts and in whatever order parts are folded', () => {
    const data = randomBytes(100_003);
    const whole = quickXorHash(data);
    const cuts = [0, 1, 7, 160, 161, 5000, 65_537, 99_999, 100_003];
    const parts: QuickXorFold[] = [];
    for (let i = 0; i + 1 < cuts.length; i++) {
      const fold = new QuickXorFold();
      // odd byteOffset exercises the unaligned path
      const copy = Buffer.alloc(cuts[i + 1]! - cuts[i]! + 1);
      data.copy(copy, 1, cuts[i], cuts[i + 1]);
      fold.update(copy.subarray(1), cuts[i]!);
      parts.push(QuickXorFold.fromBase64(fold.toBase64()));
    }
    const combined = new QuickXorFold();
    for (const p of parts.reverse()) combined.merge(p);
    expect(combined.digest(data.length)).toBe(whole);
  });

  it('folds data held in its own memory where it lies, with the same result as data copied in', () => {
    const a = allocateFoldable(1 << 20, 2048);
    const b = allocateFoldable(1 << 20, 2048);
    expect(a && b, 'WebAssembly SIMD is expected on Node 20').toBeDefined();
    expect(a!.byteOffset % 4096).toBe(2048);
    expect(b!.byteOffset).toBeGreaterThanOrEqual(a!.byteOffset + a!.length);
    randomFillSync(a!);
    randomFillSync(b!);
    const bBefore = Buffer.from(b!);
    for (const [start, length] of [[0, 1 << 20], [1, 160 * 409 + 3], [333, 160 * 5000], [1 << 19, 160]] as const) {
      const slice = a!.subarray(start, start + length);
      const rows = Math.floor(length / 160) * 160;
      const inPlace = new Uint8Array(160);
      const portable = new Uint8Array(160);
      foldRowsSimd!(slice, rows, inPlace);
      foldRowsPortable(slice, rows, portable);
      expect(Buffer.from(inPlace).equals(Buffer.from(portable)), `${length} bytes at ${start}`).toBe(true);
      const held = new QuickXorFold();
      held.update(slice, 12_345);
      const copied = new QuickXorFold();
      copied.update(Buffer.from(slice), 12_345);
      expect(held.toBase64()).toBe(copied.toBase64());
    }
    expect(b!.equals(bBefore), 'folding one buffer leaves its neighbour alone').toBe(true);
  });

  it('hands out buffers until the room it reserved is used up, and those already handed out stay usable', () => {
    const handed: Buffer[] = [];
    for (let i = 0; i < 64; i++) {
      const buffer = allocateFoldable(1 << 20, 2048);
      if (!buffer) break;
      buffer.fill(i);
      handed.push(buffer);
    }
    expect(handed.length).toBeGreaterThan(0);
    expect(handed.length).toBeLessThan(17);
    expect(allocateFoldable(1 << 20, 2048)).toBeUndefined();
    // Growing the memory after handing buffers out would have detached them (length 0).
    handed.forEach((buffer, i) => {
      expect(buffer.length).toBe(1 << 20);
      expect(buffer[0] === i && buffer[(1 << 20) - 1] === i, `buffer ${i} kept its bytes`).toBe(true);
    });
    const data = randomBytes(50_000);
    expect(quickXorHash(data)).toBe(quickXorHash(Buffer.from(data)));
  });
});
