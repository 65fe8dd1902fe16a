/**
 * restic's prune limits (cmd/restic/cmd_prune.go, doc/060_forget.rst "Customize pruning"):
 * `--max-unused` — how much unused data may stay after the prune, as a size (`100M`), a
 * percentage of the used data's share of the repository (`5%`, the default) or `unlimited`; and
 * `--max-repack-size` — how much may be repacked in one run. Sizes take restic's suffixes k, m, g,
 * t (powers of 1024, either case) or none (bytes).
 */

/** restic's default for --max-unused. */
export const DEFAULT_MAX_UNUSED = '5%';

/** The tolerated unused bytes after the prune, given the bytes the snapshots use. */
export type UnusedLimit = (usedBytes: number) => number;

const UNITS: Record<string, number> = { '': 1, b: 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };

/** A size such as `100M` (restic's ParseBytes); RangeError quoting the text otherwise. */
export function parseSize(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)$/i.exec(text.trim());
  if (!m) throw new RangeError(`${what} '${text}': expected a size such as 500M (suffixes k, m, g, t)`);
  return Math.floor(Number(m[1]) * UNITS[m[2]!.toLowerCase()]!);
}

/**
 * Parses --max-unused. A percentage p keeps unused ≤ p % of what the repository holds after the
 * prune: unused ≤ p / (100 − p) × used, as restic computes it (so 100 % is refused: use unlimited).
 */
export function parseMaxUnused(text: string): UnusedLimit {
  const t = text.trim();
  if (t === 'unlimited') return () => Number.POSITIVE_INFINITY;
  const pct = /^(\d+(?:\.\d+)?)%$/.exec(t);
  if (pct) {
    const p = Number(pct[1]);
    if (p < 0 || p >= 100) throw new RangeError(`max-unused '${text}': a percentage must be at least 0 and below 100 (or say unlimited)`);
    return (used) => (p / (100 - p)) * used;
  }
  if (/^\d/.test(t)) {
    const bytes = parseSize(t, 'max-unused');
    return () => bytes;
  }
  throw new RangeError(`max-unused '${text}': expected a size (100M), a percentage (5%) or unlimited`);
}
