/** kubectl-style durations: "30s", "5m", "1h30m", "250ms", or a bare number of seconds. Returns milliseconds. */
export function parseDuration(text: string): number {
  const trimmed = text.trim();
  if (trimmed.startsWith('-')) throw new Error(`a duration cannot be negative ("${text}")`);
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  const pattern = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;
  let total = 0;
  let consumed = 0;
  for (const match of trimmed.matchAll(pattern)) {
    if (match.index !== consumed) break;
    total += Number(match[1]) * (units[match[2] ?? ''] ?? 0);
    consumed += match[0].length;
  }
  if (consumed === 0 || consumed !== trimmed.length) throw new Error(`invalid duration "${text}" (use e.g. 30s, 5m, 1h)`);
  return total;
}

/** "4d2h", "3m10s", "45s": the two largest units, as kubectl prints ages. */
export function humanDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  const parts: [number, string][] = [
    [Math.floor(seconds / 86400), 'd'],
    [Math.floor((seconds % 86400) / 3600), 'h'],
    [Math.floor((seconds % 3600) / 60), 'm'],
    [seconds % 60, 's'],
  ];
  const first = parts.findIndex(([value]) => value > 0);
  if (first === -1) return '0s';
  return parts
    .slice(first, first + 2)
    .filter(([value]) => value > 0)
    .map(([value, unit]) => `${value}${unit}`)
    .join('');
}

export function since(timestamp: string | undefined, now: Date): string | undefined {
  if (!timestamp) return undefined;
  return humanDuration(now.getTime() - Date.parse(timestamp));
}

/** "09:42 UTC" for a deadline: with seconds when it is within 10 minutes, with the date when it is not today. */
export function clockTime(ms: number, now: Date): string {
  const iso = new Date(ms).toISOString();
  const time = Math.abs(ms - now.getTime()) < 10 * 60_000 ? iso.slice(11, 19) : iso.slice(11, 16);
  return iso.slice(0, 10) === now.toISOString().slice(0, 10) ? `${time} UTC` : `${iso.slice(0, 10)} ${time} UTC`;
}

/** "~9m", "~45s", "~2h": the largest unit only, for a time that is an estimate. */
export function approxDuration(ms: number): string {
  return `~${/^\d+[dhms]/.exec(humanDuration(ms))![0]}`;
}

/**
 * "deleted 3m ago", or for a pod inside its grace period (its deletionTimestamp is the end of that period, in the
 * future) "deleted, grace period ends 09:59:34 UTC": never a "0s ago" that stays 0s for the whole grace period.
 */
export function deletedWhen(deletionTimestamp: string | undefined, now: Date): string {
  const at = Date.parse(deletionTimestamp ?? '');
  if (Number.isFinite(at) && at > now.getTime()) return `deleted, grace period ends ${clockTime(at, now)}`;
  return `deleted ${since(deletionTimestamp, now) ?? 'at an unknown time'}${deletionTimestamp ? ' ago' : ''}`;
}
