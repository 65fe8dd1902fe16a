/**
 * Which snapshots `forget` keeps: restic's ApplyPolicy (internal/restic/snapshot_policy.go). The
 * snapshots of a group are walked newest first; for each rule (last, hourly, daily, weekly,
 * monthly, yearly) with budget left, a snapshot whose bucket (the hour, day, ISO week, month or
 * year of its time in the zone it was recorded in; for `last` the snapshot itself) differs from
 * the previous kept bucket of that rule is kept and uses one unit of the budget. Snapshots with
 * one of the `keepTags` lists are kept too. With no rule at all, everything is kept.
 * Pure: no clock, no I/O.
 */
import type { GoTime } from '../repo/go-json.js';
import type { Snapshot } from '../repo/snapshot.js';

export interface KeepPolicy {
  last?: number;
  hourly?: number;
  daily?: number;
  weekly?: number;
  monthly?: number;
  yearly?: number;
  /** Keep snapshots carrying every tag of one of these lists. */
  tags?: string[][];
}

export interface PolicyEntry {
  id: string;
  snapshot: Snapshot;
}

export interface Decision<E extends PolicyEntry> {
  keep: E[];
  remove: E[];
  /** Why each kept snapshot is kept, newest first (restic's "reasons"). */
  reasons: { entry: E; matches: string[]; counters: Record<string, number> }[];
}

const RULES = ['last', 'hourly', 'daily', 'weekly', 'monthly', 'yearly'] as const;
const REASON: Record<(typeof RULES)[number], string> = {
  last: 'last snapshot',
  hourly: 'hourly snapshot',
  daily: 'daily snapshot',
  weekly: 'weekly snapshot',
  monthly: 'monthly snapshot',
  yearly: 'yearly snapshot',
};

/** The date and time fields of `t` in its own zone. */
function fields(t: GoTime): Date {
  return new Date((t.sec + t.offsetMinutes * 60) * 1000);
}

/** ISO 8601 week-numbering year and week (Go's Time.ISOWeek). */
export function isoWeek(t: GoTime): { year: number; week: number } {
  const d = fields(t);
  const day = (d.getUTCDay() + 6) % 7; // Monday 0
  const thursday = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() - day + 3));
  const year = thursday.getUTCFullYear();
  const jan1 = Date.UTC(year, 0, 1);
  return { year, week: Math.floor((thursday.getTime() - jan1) / 86_400_000 / 7) + 1 };
}

function bucket(rule: (typeof RULES)[number], t: GoTime, nr: number): number {
  const d = fields(t);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() + 1;
  const day = d.getUTCDate();
  switch (rule) {
    case 'last': return nr;
    case 'hourly': return y * 1_000_000 + m * 10_000 + day * 100 + d.getUTCHours();
    case 'daily': return y * 10_000 + m * 100 + day;
    case 'weekly': { const w = isoWeek(t); return w.year * 100 + w.week; }
    case 'monthly': return y * 100 + m;
    case 'yearly': return y;
  }
}

export function policyEmpty(p: KeepPolicy): boolean {
  return RULES.every((r) => !p[r]) && !(p.tags && p.tags.length);
}

const newestFirst = (a: PolicyEntry, b: PolicyEntry) =>
  b.snapshot.time.sec - a.snapshot.time.sec || b.snapshot.time.nsec - a.snapshot.time.nsec || (a.id < b.id ? 1 : -1);

export function applyPolicy<E extends PolicyEntry>(entries: readonly E[], p: KeepPolicy): Decision<E> {
  const list = [...entries].sort(newestFirst);
  if (policyEmpty(p)) return { keep: list, remove: [], reasons: [] };
  const budget = Object.fromEntries(RULES.map((r) => [r, p[r] ?? 0])) as Record<(typeof RULES)[number], number>;
  const last = Object.fromEntries(RULES.map((r) => [r, -1])) as Record<(typeof RULES)[number], number>;
  const out: Decision<E> = { keep: [], remove: [], reasons: [] };
  list.forEach((e, nr) => {
    const matches: string[] = [];
    if (p.tags?.some((l) => l.length > 0 && l.every((t) => (e.snapshot.tags ?? []).includes(t)))) matches.push(`has tags ${p.tags.map((l) => `[${l.join(', ')}]`).join(', ')}`);
    for (const r of RULES) {
      if (budget[r] <= 0) continue;
      const b = bucket(r, e.snapshot.time, nr);
      if (b !== last[r]) {
        last[r] = b;
        budget[r]--;
        matches.push(REASON[r]);
      }
    }
    if (matches.length) {
      out.keep.push(e);
      const counters: Record<string, number> = {};
      for (const r of RULES) if (budget[r] > 0) counters[r] = budget[r];
      out.reasons.push({ entry: e, matches, counters });
    } else out.remove.push(e);
  });
  return out;
}

/** restic's default grouping key (--group-by host,paths), or with tags when asked. */
export function groupKey(s: Snapshot, by: readonly ('host' | 'paths' | 'tags')[]): { host?: string; paths?: string[]; tags?: string[] } {
  const k: { host?: string; paths?: string[]; tags?: string[] } = {};
  if (by.includes('host')) k.host = s.hostname ?? '';
  if (by.includes('paths')) k.paths = [...s.paths].sort();
  if (by.includes('tags')) k.tags = [...(s.tags ?? [])].sort();
  return k;
}
