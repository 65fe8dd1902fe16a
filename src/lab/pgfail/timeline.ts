/**
 * Where a failover's time went (pure): the steps between a fault and the first acknowledged
 * write, read back from the daemons' JSON event logs (src/daemon/logger.ts: one object a line,
 * `time` an ISO stamp) and PostgreSQL's server logs (log_line_prefix '%m …': "2026-12-03
 * 13:40:14.385 UTC"). Every process of the lab runs on one kernel, so the stamps share the
 * rig's wall clock (request-outcome.ts preciseNow) to the millisecond.
 *
 * The daemon's "Promoted to primary" line carries the promotion's phases (driver.ts:
 * eligibilityMs — the witness record read and the peer asked —, claimMs — the witness CAS —,
 * syncNamesMs, slotMs — the peer's slot, made before the promotion —, pgPromoteMs, viewMs); the
 * VIP is added at "VIPs allowed: resources promoted" (vip-gate.ts adds it synchronously, rtnetlink).
 */

export interface TimelineEvent {
  /** Wall-clock ms since the epoch. */
  readonly at: number;
  readonly host: string;
  readonly what: string;
}

/** A cycle's steps as durations (ms); undefined where the logs did not show the step. */
export interface Breakdown {
  /** Fault → the new primary's daemon became MASTER (master-down timer, or the old master's release). */
  readonly detectMs: number | undefined;
  /** MASTER → the promotion began (the resources follow the instance). */
  readonly toPromoteMs: number | undefined;
  readonly eligibilityMs: number | undefined;
  readonly claimMs: number | undefined;
  readonly syncNamesMs: number | undefined;
  readonly slotMs: number | undefined;
  readonly pgPromoteMs: number | undefined;
  readonly viewMs: number | undefined;
  /** Promotion finished → VIP added. */
  readonly toVipMs: number | undefined;
  /** VIP added → first acknowledged write (the client: reconnect, ARP, the write's commit). */
  readonly clientMs: number | undefined;
}

interface DaemonLine {
  readonly level?: string;
  readonly time?: string;
  readonly msg?: string;
  readonly reason?: string;
  readonly operation?: string;
  readonly [field: string]: unknown;
}

const num = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

/** Daemon log lines worth a place in a failover timeline (the rest: monitor chatter). */
export function daemonEvents(host: string, logText: string): TimelineEvent[] {
  const events: TimelineEvent[] = [];
  for (const text of logText.split('\n')) {
    if (!text.startsWith('{')) continue;
    let line: DaemonLine;
    try {
      line = JSON.parse(text) as DaemonLine;
    } catch {
      continue;
    }
    const at = line.time === undefined ? Number.NaN : Date.parse(line.time);
    const msg = line.msg ?? '';
    if (!Number.isFinite(at)) continue;
    const push = (what: string, when = at): void => {
      events.push({ at: when, host, what });
    };
    if (/ → (MASTER|BACKUP|FAULT)$/.test(msg)) push(`${msg}${line.reason ? ` (${line.reason})` : ''}`);
    else if (msg === 'Promoted to primary') {
      // The phases, back from the line's own time (its `ms` runs to just before it was logged).
      const total = num(line['ms']);
      if (total === undefined) {
        push(msg);
        continue;
      }
      let t = at - total;
      push('promote: start (witness record read, peer asked)', t);
      const phase = (field: string, what: string): void => {
        const ms = num(line[field]);
        if (ms === undefined) return;
        t += ms;
        push(`${what} (${Math.round(ms)} ms)`, t);
      };
      phase('eligibilityMs', 'promote: eligible');
      phase('claimMs', 'promote: witness CAS won');
      phase('syncNamesMs', 'promote: synchronous_standby_names set');
      phase('slotMs', 'promote: peer\'s slot made (in recovery)');
      phase('pgPromoteMs', 'promote: pg_promote done (out of recovery)');
      phase('viewMs', 'promote: view read, knowledge saved');
      push(`Promoted to primary (${Math.round(total)} ms)`);
    } else if (msg === 'VIPs allowed: resources promoted') push('VIP added (VIPs allowed: resources promoted)');
    else if (/^(promote|demote) (succeeded|failed)/.test(msg) || /ran \d+ ms late/.test(msg) || line.level === 'warn' || line.level === 'error') push(msg.length > 200 ? `${msg.slice(0, 200)}…` : msg);
  }
  return events;
}

const PG_STAMP = /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) UTC /;
const PG_WORTH = /promote|ready to accept|selected new timeline|archive recovery complete|checkpoint (starting|complete)|redo done|terminating|shutting down|database system was|standby_names|SIGHUP/i;

/** PostgreSQL server log lines about the promotion, with their stamps (log_line_prefix starts with %m, UTC). */
export function postgresEvents(host: string, logText: string): TimelineEvent[] {
  const events: TimelineEvent[] = [];
  for (const text of logText.split('\n')) {
    const stamp = PG_STAMP.exec(text);
    if (stamp === null || !PG_WORTH.test(text)) continue;
    const at = Date.parse(`${(stamp[1] as string).replace(' ', 'T')}Z`);
    if (Number.isFinite(at)) events.push({ at, host, what: `postgres: ${text.slice(stamp[0].length).slice(0, 160)}` });
  }
  return events;
}

const ETCD_WORTH = /leader|elect|campaign|became|took too long|lost|vote/i;

/** etcd 3.4 zap lines (`ts` an ISO stamp) about leadership, elections and slow requests. */
export function etcdEvents(host: string, logText: string): TimelineEvent[] {
  const events: TimelineEvent[] = [];
  for (const text of logText.split('\n')) {
    if (!text.startsWith('{')) continue;
    let line: { ts?: string; msg?: string; level?: string; took?: string; error?: string };
    try {
      line = JSON.parse(text) as typeof line;
    } catch {
      continue;
    }
    const at = line.ts === undefined ? Number.NaN : Date.parse(line.ts);
    const msg = line.msg ?? '';
    if (!Number.isFinite(at) || !ETCD_WORTH.test(msg)) continue;
    const extra = [line.took === undefined ? '' : `took ${line.took}`, line.error === undefined ? '' : line.error.slice(0, 80)].filter(Boolean).join(', ');
    events.push({ at, host, what: `etcd: ${msg.slice(0, 140)}${extra ? ` (${extra})` : ''}` });
  }
  return events;
}

/**
 * One event for lines found alike (same stamp and text) in several hosts' logs, its hosts joined
 * ("a/b"): pg_rewind copies the source's files, the server log in the data directory included, so
 * a rewound node's log repeats its peer's lines up to the rewind.
 */
export function mergeCopies(events: readonly TimelineEvent[]): TimelineEvent[] {
  const seen = new Map<string, { at: number; hosts: string[]; what: string }>();
  for (const e of events) {
    const key = `${e.at} ${e.what}`;
    const known = seen.get(key);
    if (known === undefined) seen.set(key, { at: e.at, hosts: [e.host], what: e.what });
    else if (!known.hosts.includes(e.host)) known.hosts.push(e.host);
  }
  return [...seen.values()].map(({ at, hosts, what }) => ({ at, host: hosts.join('/'), what }));
}

/** The events within [from, to], in time order (stable for equal stamps). */
export function window(events: readonly TimelineEvent[], from: number, to: number): TimelineEvent[] {
  return events.filter((e) => e.at >= from && e.at <= to).map((e, i) => ({ e, i })).sort((a, b) => a.e.at - b.e.at || a.i - b.i).map(({ e }) => e);
}

/**
 * The steps of one failover onto the node that first added the VIP after the fault (else `to`, where the pair settled), from the fault at
 * `faultAt` to the first acknowledged write at `ackAt` (both wall-clock ms).
 */
export function breakdown(events: readonly TimelineEvent[], to: string, faultAt: number, ackAt: number | undefined): Breakdown {
  const within = window(events, faultAt, ackAt ?? Number.POSITIVE_INFINITY);
  // The node that took over is the first to add the VIP after the fault: the pair may have moved
  // again before it settled (a flap under load), and `to` is where it settled.
  const taker = within.find((e) => e.what.startsWith('VIP added'))?.host ?? to;
  const mine = within.filter((e) => e.host === taker);
  const first = (pattern: RegExp): TimelineEvent | undefined => mine.find((e) => pattern.test(e.what));
  const master = first(/→ MASTER/);
  const start = first(/^promote: start/);
  const promoted = first(/^Promoted to primary/);
  const vip = first(/^VIP added/);
  const phase = (pattern: RegExp): number | undefined => {
    const m = first(pattern)?.what.match(/\((\d+) ms\)$/);
    return m === null || m === undefined ? undefined : Number(m[1]);
  };
  const diff = (a: TimelineEvent | number | undefined, b: TimelineEvent | number | undefined): number | undefined => {
    const x = typeof a === 'number' ? a : a?.at;
    const y = typeof b === 'number' ? b : b?.at;
    return x === undefined || y === undefined ? undefined : Math.round(y - x);
  };
  return {
    detectMs: diff(faultAt, master),
    toPromoteMs: diff(master, start),
    eligibilityMs: phase(/^promote: eligible/),
    claimMs: phase(/^promote: witness CAS won/),
    syncNamesMs: phase(/^promote: synchronous_standby_names set/),
    slotMs: phase(/^promote: peer's slot made/),
    pgPromoteMs: phase(/^promote: pg_promote done/),
    viewMs: phase(/^promote: view read/),
    toVipMs: diff(promoted, vip),
    clientMs: diff(vip, ackAt),
  };
}

/** The timeline as text: one line an event, ms from the fault, the host. */
export function formatTimeline(events: readonly TimelineEvent[], faultAt: number, ackAt: number | undefined): string {
  const rel = (at: number): string => `${at - faultAt >= 0 ? '+' : ''}${Math.round(at - faultAt)}`.padStart(7);
  const marks: TimelineEvent[] = [{ at: faultAt, host: 'rig', what: 'fault' }];
  if (ackAt !== undefined) marks.push({ at: ackAt, host: 'rig', what: 'first acknowledged write through the VIP' });
  const all = window([...marks, ...events], faultAt - 200, (ackAt ?? faultAt + 5000) + 200);
  return all.map((e) => `${rel(e.at)} ms  ${e.host.padEnd(6)} ${e.what}`).join('\n');
}

/** A breakdown in one line: `detect 412 · toPromote 1 · eligibility 998 · … · client 120`. */
export function formatBreakdown(b: Breakdown): string {
  const names: Array<[keyof Breakdown, string]> = [
    ['detectMs', 'detect'], ['toPromoteMs', '→promote'], ['eligibilityMs', 'eligibility'], ['claimMs', 'CAS'], ['syncNamesMs', 'syncNames'],
    ['slotMs', 'slot'], ['pgPromoteMs', 'pg_promote'], ['viewMs', 'view'], ['toVipMs', '→VIP'], ['clientMs', 'client'],
  ];
  return names.map(([key, name]) => `${name} ${b[key] ?? '?'}`).join(' · ');
}
