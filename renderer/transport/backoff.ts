/** Reconnect delays: 0.5 s doubling to 5 s, with ±20 % jitter so many tabs do not knock in step. */
export function reconnectDelayMs(attempt: number, random: () => number = Math.random, baseMs = 500, capMs = 5000): number {
  const ideal = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt));
  const jittered = ideal * (0.8 + 0.4 * random());
  return Math.round(Math.min(capMs, Math.max(baseMs * 0.8, jittered)));
}
