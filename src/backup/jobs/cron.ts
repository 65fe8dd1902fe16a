/**
 * Cron expressions as Vixie cron (crontab(5), Debian's cron 3.0) reads them: five fields —
 * minute (0-59), hour (0-23), day of month (1-31), month (1-12 or jan-dec), day of week (0-7 or
 * sun-sat, 0 and 7 both Sunday) — each `*`, a number, a range `a-b`, a list `a,b`, with an
 * optional step `/n` (`*\/15`, `1-30/2`); and the macros @yearly (@annually), @monthly, @weekly,
 * @daily (@midnight), @hourly. When both day fields are restricted (neither starts with `*`), a
 * day matches if either does (crontab(5), "Note: The day of a command's execution ...").
 *
 * Times are evaluated in the zone given ('utc' or the process's local zone) at minute
 * resolution; a local time that a daylight-saving change skips never matches (no run that day).
 * Pure: no clock; callers pass the instant.
 */

export type CronZone = 'utc' | 'local';

export interface CronSchedule {
  /** The expression as written, for messages. */
  readonly text: string;
  readonly minutes: ReadonlySet<number>;
  readonly hours: ReadonlySet<number>;
  readonly days: ReadonlySet<number>;
  readonly months: ReadonlySet<number>;
  readonly weekdays: ReadonlySet<number>;
  readonly dayRestricted: boolean;
  readonly weekdayRestricted: boolean;
}

const MACROS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const MONTH_NAMES = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

interface FieldRule {
  name: string;
  min: number;
  max: number;
  names?: string[];
  /** The first name's value (jan = 1, sun = 0). */
  nameBase?: number;
}

const FIELDS: FieldRule[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES, nameBase: 1 },
  { name: 'day of week', min: 0, max: 7, names: DAY_NAMES, nameBase: 0 },
];

function value(text: string, rule: FieldRule, expr: string): number {
  const lower = text.toLowerCase();
  const named = rule.names?.indexOf(lower) ?? -1;
  if (named >= 0) return named + (rule.nameBase ?? 0);
  if (!/^\d+$/.test(text)) throw new SyntaxError(`Cron expression '${expr}': '${text}' is not a ${rule.name}`);
  const n = Number(text);
  if (n < rule.min || n > rule.max) throw new RangeError(`Cron expression '${expr}': ${rule.name} ${n} is out of range ${rule.min}-${rule.max}`);
  return n;
}

function parseField(text: string, rule: FieldRule, expr: string): Set<number> {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    const [range, stepText, extra] = part.split('/');
    if (range === undefined || range === '' || extra !== undefined) throw new SyntaxError(`Cron expression '${expr}': '${part}' is not a ${rule.name} list item`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) === 0) throw new SyntaxError(`Cron expression '${expr}': step '${stepText}' must be a whole number above 0`);
      step = Number(stepText);
    }
    let lo: number;
    let hi: number;
    if (range === '*') {
      lo = rule.min;
      hi = rule.max;
    } else if (range.includes('-')) {
      const [a, b, more] = range.split('-');
      if (a === undefined || b === undefined || more !== undefined) throw new SyntaxError(`Cron expression '${expr}': '${range}' is not a range`);
      lo = value(a, rule, expr);
      hi = value(b, rule, expr);
      if (hi < lo) throw new RangeError(`Cron expression '${expr}': range ${range} ends before it starts`);
    } else {
      lo = value(range, rule, expr);
      // "5/15" (a start with a step) runs to the end of the range, as Vixie cron reads it.
      hi = stepText !== undefined ? rule.max : lo;
    }
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return out;
}

/** Parses a cron expression; SyntaxError / RangeError quoting it when it is not one. */
export function parseCron(expression: string): CronSchedule {
  const text = expression.trim();
  const expanded = MACROS[text.toLowerCase()] ?? text;
  if (expanded.startsWith('@')) throw new SyntaxError(`Cron expression '${text}': unknown macro (use @hourly, @daily, @weekly, @monthly or @yearly)`);
  const parts = expanded.split(/\s+/);
  if (parts.length !== 5) throw new SyntaxError(`Cron expression '${text}' has ${parts.length} fields; it needs 5: minute hour day-of-month month day-of-week`);
  const [minutes, hours, days, months, weekdays] = parts.map((p, i) => parseField(p, FIELDS[i]!, text)) as [Set<number>, Set<number>, Set<number>, Set<number>, Set<number>];
  if (weekdays.has(7)) {
    weekdays.delete(7);
    weekdays.add(0);
  }
  return {
    text,
    minutes,
    hours,
    days,
    months,
    weekdays,
    dayRestricted: !parts[2]!.startsWith('*'),
    weekdayRestricted: !parts[4]!.startsWith('*'),
  };
}

interface Parts {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  weekday: number;
}

function partsOf(ms: number, zone: CronZone): Parts {
  const d = new Date(ms);
  return zone === 'utc'
    ? { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate(), hour: d.getUTCHours(), minute: d.getUTCMinutes(), weekday: d.getUTCDay() }
    : { year: d.getFullYear(), month: d.getMonth() + 1, day: d.getDate(), hour: d.getHours(), minute: d.getMinutes(), weekday: d.getDay() };
}

function dayMatches(s: CronSchedule, p: Parts): boolean {
  const dom = s.days.has(p.day);
  const dow = s.weekdays.has(p.weekday);
  if (s.dayRestricted && s.weekdayRestricted) return dom || dow;
  return dom && dow;
}

/** Whether the minute that contains `ms` is one the schedule runs at. */
export function cronMatches(s: CronSchedule, ms: number, zone: CronZone): boolean {
  const p = partsOf(ms, zone);
  return s.months.has(p.month) && dayMatches(s, p) && s.hours.has(p.hour) && s.minutes.has(p.minute);
}

const MINUTE = 60_000;
/** Five years of days, hours and minutes skipped in the largest steps that cannot miss a match. */
const SEARCH_LIMIT = 5 * 366 * 24 * 60;

/** The instant of a wall-clock time in the zone (fields may overflow: day 32 is the next month's 1st). */
function instant(zone: CronZone, y: number, mo: number, d: number, h: number, mi: number): number {
  return zone === 'utc' ? Date.UTC(y, mo - 1, d, h, mi) : new Date(y, mo - 1, d, h, mi).getTime();
}

/**
 * Steps from `start` (a minute boundary) in direction `dir` until a matching minute. Days and hours
 * that cannot match are skipped whole, to the zone's next midnight / hour going forwards, or to the
 * last minute before this day / hour going backwards, so daylight-saving days of 23 or 25 hours are
 * walked correctly.
 */
function search(s: CronSchedule, start: number, dir: 1 | -1, zone: CronZone): number | undefined {
  let t = start;
  for (let i = 0; i < SEARCH_LIMIT; i++) {
    const p = partsOf(t, zone);
    let next: number;
    if (!s.months.has(p.month) || !dayMatches(s, p)) {
      next = dir > 0 ? instant(zone, p.year, p.month, p.day + 1, 0, 0) : instant(zone, p.year, p.month, p.day, 0, 0) - MINUTE;
    } else if (!s.hours.has(p.hour)) {
      next = dir > 0 ? instant(zone, p.year, p.month, p.day, p.hour + 1, 0) : instant(zone, p.year, p.month, p.day, p.hour, 0) - MINUTE;
    } else if (!s.minutes.has(p.minute)) {
      next = t + dir * MINUTE;
    } else {
      return t;
    }
    // A skip that does not move (a local hour that does not exist) falls back to one minute.
    t = dir > 0 ? Math.max(next, t + MINUTE) : Math.min(next, t - MINUTE);
  }
  return undefined;
}

/** The first run strictly after `ms`; undefined when none within five years (e.g. 30 February). */
export function nextRun(s: CronSchedule, ms: number, zone: CronZone): number | undefined {
  return search(s, Math.floor(ms / MINUTE) * MINUTE + MINUTE, 1, zone);
}

/** The latest run at or before `ms`; undefined when none within five years. */
export function previousRun(s: CronSchedule, ms: number, zone: CronZone): number | undefined {
  return search(s, Math.floor(ms / MINUTE) * MINUTE, -1, zone);
}
