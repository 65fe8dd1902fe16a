/**
 * Durations in the YAML format: "100ms", "1s", "1.5s", "2m", "1m30s", "2h", "1d" (parts add up;
 * hours and days are for schedules such as a backup job's missed-backup window).
 * A bare number in YAML means milliseconds and is handled by the caller.
 */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/y;

/** Milliseconds for a duration string, or undefined when it is not one. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  PART.lastIndex = 0;
  let total = 0;
  while (PART.lastIndex < trimmed.length) {
    const start = PART.lastIndex;
    const match = PART.exec(trimmed);
    if (!match || match.index !== start) return undefined;
    total += Number(match[1]) * (UNIT_MS[match[2] as string] as number);
  }
  // Microsecond resolution is the finest keepalived keeps; avoid float dust like 0.30000000000000004.
  return Math.round(total * 1000) / 1000;
}

/** "1.5s", "100ms": the shortest way to write a millisecond value back, for messages. */
export function formatDuration(ms: number): string {
  if (ms !== 0 && ms % 86_400_000 === 0) return `${ms / 86_400_000}d`;
  if (ms !== 0 && ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms !== 0 && ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms >= 1000) return `${ms / 1000}s`;
  return `${ms}ms`;
}
