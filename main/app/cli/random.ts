import { randomInt } from 'node:crypto';

/** Uniform in [0, 1) for backoff jitter. */
export const randomFloat = (): number => randomInt(0, 2 ** 32) / 2 ** 32;
