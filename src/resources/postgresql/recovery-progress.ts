/**
 * Why a standby that runs does not answer queries yet, and whether its recovery moves. A standby
 * accepts read-only connections only once its replay reached a consistent point and hot standby
 * began (PostgreSQL docs 27.4.1 "Hot Standby: User's Overview"); before that every connection
 * gets "the database system is starting up" (the startup process has not begun redo: it is still
 * looking for its checkpoint record) or "the database system is not yet accepting connections"
 * (redo runs, not consistent yet), so SQL cannot say what it waits for. What can, without SQL:
 * - pg_controldata: the cluster state, the checkpoint recovery starts from, and the minimum
 *   recovery ending location (the LSN replay must reach to be consistent; pg_rewind and
 *   restartpoints set it) — PostgreSQL docs, pg_controldata; src/include/catalog/pg_control.h;
 * - the process titles of the startup process ("startup recovering <WAL file>", "startup waiting
 *   for <WAL file>") and the WAL receiver ("walreceiver streaming <LSN>"), which PostgreSQL keeps
 *   current in its command line (set_ps_display, update_process_title = on by default);
 * - the server log's last line from the server itself (not a refused client's).
 */
import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { childrenOf } from './server.js';

/** The fields of pg_controldata's output this file reads (undefined: absent). */
export interface ControlFacts {
  readonly state?: string;
  readonly checkpoint?: string;
  readonly checkpointTimeline?: number;
  readonly minRecoveryEnd?: string;
  readonly minRecoveryTimeline?: number;
  readonly backupEndRequired?: boolean;
}

/** Parses pg_controldata's output (pure; labels as PostgreSQL 15 prints them). */
export function parseControlData(text: string): ControlFacts {
  const field = (label: string): string | undefined => {
    for (const line of text.split('\n')) {
      const at = line.indexOf(':');
      if (at > 0 && line.slice(0, at).trim() === label) return line.slice(at + 1).trim();
    }
    return undefined;
  };
  const timeline = (label: string): number | undefined => {
    const value = Number(field(label));
    return Number.isInteger(value) && value > 0 ? value : undefined;
  };
  const facts: {
    state?: string; checkpoint?: string; checkpointTimeline?: number; minRecoveryEnd?: string; minRecoveryTimeline?: number; backupEndRequired?: boolean;
  } = {};
  const state = field('Database cluster state');
  if (state !== undefined) facts.state = state;
  const checkpoint = field('Latest checkpoint location');
  if (checkpoint !== undefined) facts.checkpoint = checkpoint;
  const checkpointTimeline = timeline("Latest checkpoint's TimeLineID");
  if (checkpointTimeline !== undefined) facts.checkpointTimeline = checkpointTimeline;
  const minRecoveryEnd = field('Minimum recovery ending location');
  if (minRecoveryEnd !== undefined) facts.minRecoveryEnd = minRecoveryEnd;
  const minRecoveryTimeline = timeline("Min recovery ending loc's timeline");
  if (minRecoveryTimeline !== undefined) facts.minRecoveryTimeline = minRecoveryTimeline;
  const backupEnd = field('End-of-backup record required');
  if (backupEnd !== undefined) facts.backupEndRequired = backupEnd === 'yes';
  return facts;
}

export interface RecoveryTitles {
  /** The startup process's title after "startup" ('' when it shows none), and its pid. */
  readonly startup?: string;
  readonly startupPid?: number;
  readonly walreceiver?: string;
}

/** The startup process's and the WAL receiver's titles, without "postgres: [cluster_name: ]" (pure). */
export function recoveryTitles(processes: ReadonlyArray<{ readonly pid: number; readonly cmdline: string }>): RecoveryTitles {
  const out: { startup?: string; startupPid?: number; walreceiver?: string } = {};
  for (const { pid, cmdline } of processes) {
    const line = cmdline.replace(/\0/g, ' ').trim();
    const match = /^postgres: (?:.*: )?(startup|walreceiver)(?: (.*))?$/.exec(line);
    if (match === null) continue;
    const what = (match[2] ?? '').trim();
    if (match[1] === 'startup') {
      out.startup = what;
      out.startupPid = pid;
    } else {
      out.walreceiver = what;
    }
  }
  return out;
}

/** The titles of `postmaster`'s startup process and WAL receiver now (empty when it has none). */
export function readRecoveryTitles(postmaster: number): RecoveryTitles {
  const processes: Array<{ pid: number; cmdline: string }> = [];
  for (const pid of childrenOf(postmaster)) {
    try {
      processes.push({ pid, cmdline: readFileSync(`/proc/${pid}/cmdline`, 'utf8') });
    } catch {
      // Exited meanwhile.
    }
  }
  return recoveryTitles(processes);
}

/** A refused client's lines: they say nothing about the server's own progress. */
const CLIENT_NOISE = /FATAL:\s+the database system is (starting up|not yet accepting connections)|DETAIL:\s+Consistent recovery state has not been yet reached|FATAL:\s+the database system is shutting down/;

/**
 * The server's own last line in a log text (pure), without its timestamp and pid prefix; with
 * `pid`, the last line that process logged (log_line_prefix '%m [%p] ', Debian's default).
 */
export function lastServerLine(text: string, pid?: number): string | undefined {
  const lines = text.split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = (lines[i] as string).trim();
    if (line === '' || CLIENT_NOISE.test(line)) continue;
    if (pid !== undefined && !line.includes(` [${pid}] `)) continue;
    return line.replace(/^\d{4}-\d\d-\d\d [\d:.]+ \S+ \[\d+\] /, '').slice(0, 300);
  }
  return undefined;
}

/** The last `bytes` of a file ('' when unreadable). */
export async function readTail(path: string, bytes = 16_384): Promise<string> {
  const handle = await open(path, 'r').catch(() => undefined);
  if (handle === undefined) return '';
  try {
    const { size } = await handle.stat();
    const start = Math.max(0, size - bytes);
    const buffer = Buffer.alloc(size - start);
    await handle.read(buffer, 0, buffer.length, start);
    return buffer.toString('utf8');
  } finally {
    await handle.close();
  }
}

export interface NotReadableFacts {
  /** What a connection was told ("the database system is starting up"). */
  readonly refusal: string;
  readonly control?: ControlFacts;
  readonly startup?: string;
  readonly walreceiver?: string;
  readonly serverLine?: string;
  /** Ms since the startup process's title last changed (undefined: not watched yet). */
  readonly unchangedMs?: number;
}

/** One sentence for status and logs: why this standby does not answer queries yet (pure). */
export function notReadableReason(f: NotReadableFacts): string {
  const parts: string[] = [];
  const c = f.control;
  // Coarse on purpose: the daemon logs a monitor detail each time it changes (10 s steps, and
  // the receiver's state without its LSN, which moves with every message).
  if (f.startup !== undefined) {
    const still = f.unchangedMs !== undefined && f.unchangedMs >= 10_000 ? ` (unchanged for ${Math.floor(f.unchangedMs / 10_000) * 10} s or more)` : '';
    parts.push(`startup process: ${f.startup || 'no activity shown'}${still}`);
  } else {
    parts.push('no startup process');
  }
  parts.push(f.walreceiver !== undefined ? `WAL receiver: ${f.walreceiver.split(' ')[0] || 'starting'}` : 'no WAL receiver');
  if (c?.minRecoveryEnd !== undefined && c.minRecoveryEnd !== '0/0') {
    parts.push(`consistent once replayed up to ${c.minRecoveryEnd}${c.minRecoveryTimeline !== undefined ? ` on timeline ${c.minRecoveryTimeline}` : ''}`);
  } else if (c?.backupEndRequired === true) {
    parts.push('consistent once the end-of-backup record is replayed');
  }
  if (c?.checkpoint !== undefined) parts.push(`starts from checkpoint ${c.checkpoint}${c.checkpointTimeline !== undefined ? ` on timeline ${c.checkpointTimeline}` : ''}`);
  if (c?.state !== undefined) parts.push(`cluster state: ${c.state}`);
  if (f.serverLine !== undefined) parts.push(`server log: ${f.serverLine}`);
  return `not readable yet (${f.refusal}): ${parts.join('; ')}`;
}

/** Whether a connection error is a running standby that is not readable yet (pure). */
export function isNotReadableYet(error: string): boolean {
  return /the database system is (starting up|not yet accepting connections)|Consistent recovery state has not been yet reached/.test(error);
}

/**
 * Watches the startup process's title across observations: a standby whose title (the WAL file
 * it replays or waits for) has not changed for long while it is not readable is stuck, not slow.
 */
export class RecoveryWatch {
  private title: string | undefined;
  private since = 0;

  /** Records `title` at `now` (monotonic ms); returns for how long it has been the same. */
  observe(title: string | undefined, now: number): number {
    if (title !== this.title || this.title === undefined) {
      this.title = title;
      this.since = now;
    }
    return now - this.since;
  }

  reset(): void {
    this.title = undefined;
  }
}
