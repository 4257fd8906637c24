/**
 * A small seeded generator (mulberry32) for tests that inject faults or pick kill points at random: the same seed gives
 * the same sequence, so a failure names a seed that replays the same choices (timing aside).
 */
export type Rand = () => number;

/** Uniform in [0, 1), from a 32-bit seed. */
export function seededRandom(seed: number): Rand {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** An integer in [min, max] (both inclusive). */
export function randomIntIn(rand: Rand, min: number, max: number): number {
  return min + Math.floor(rand() * (max - min + 1));
}

/** The seed from an environment variable (decimal), or a fresh one when it is unset or not a number. */
export function seedFromEnv(value: string | undefined): number {
  const parsed = Number(value);
  return value !== undefined && value.trim() !== '' && Number.isInteger(parsed) ? parsed >>> 0 : Math.floor(Math.random() * 2 ** 32);
}
