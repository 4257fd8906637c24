/** "2h", "90m", "1h30m", "45s", "1d": a duration in ms, or an error sentence. */
export function parseDuration(text: string): { ms: number } | { error: string } {
  const trimmed = text.trim().toLowerCase();
  const units: Record<string, number> = { d: 86_400_000, h: 3_600_000, m: 60_000, s: 1_000 };
  const parts = [...trimmed.matchAll(/(\d+(?:\.\d+)?)\s*([dhms])/g)];
  if (trimmed === '' || parts.map((p) => p[0]).join('').replace(/\s/g, '') !== trimmed.replace(/\s/g, '')) {
    return { error: `"${text}" is not a duration; write it like 30m, 2h or 1h30m` };
  }
  const ms = Math.round(parts.reduce((sum, p) => sum + Number(p[1]) * units[p[2]!]!, 0));
  return ms > 0 ? { ms } : { error: `"${text}" is not a duration longer than zero` };
}
