/**
 * When a backup job runs, on which node, and when it is late: the pure decision, with the clock
 * passed in (wall-clock epoch ms, since schedules are wall-clock times) and nothing done here.
 * One JobPolicy per job on each node; the runner (backups.ts) feeds it what it reads — the role of
 * the instance or sync group the job follows, the latest successful snapshot of the job in its
 * repositories (written by this node or by the peer), the runs it started and how they ended —
 * and acts on `decide()` (the shape of Patroni's ha loop: read the world, decide, act, one sentence).
 *
 * - The job runs on the node holding its role: `master` (default) or `backup` (backing up the
 *   replica takes the load off the master).
 * - Due = the latest scheduled time at or before now. The job runs when its node holds the role,
 *   has read the repositories since it gained the role, and no snapshot of the job is as new as
 *   the due time. So a run due while the role was moving (the holder died before or during the
 *   run) is made by the new holder as soon as it has the role: the repositories, not the nodes,
 *   remember what was done.
 * - A failed run is retried after `retryMs`, until the next due time.
 * - Missed: no successful snapshot since the due time that is at least `missedAfterMs` old. The
 *   node holding the role raises it (the one that should have acted).
 * - Verification runs at its own schedule's due times after the role was gained.
 */
import { nextRun, previousRun, type CronSchedule, type CronZone } from './cron.js';

export type JobRole = 'master' | 'backup';
/** The followed instance's or sync group's state (STOP: the daemon leaves). */
export type FollowedState = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT' | 'STOP';

export interface JobTiming {
  schedule: CronSchedule;
  zone: CronZone;
  role: JobRole;
  /** How long after a due time the job's snapshot may be missing before the alarm. */
  missedAfterMs: number;
  /** How long after a failed run it is tried again (until the next due time). */
  retryMs: number;
  verify?: CronSchedule;
}

export type Decision =
  | { action: 'read-repositories'; reason: string }
  | { action: 'run'; due: number; reason: string }
  | { action: 'verify'; due: number; reason: string }
  | { action: 'abort'; reason: string }
  | { action: 'wait'; reason: string };

export interface MissedAlarm {
  /** The due time whose snapshot is missing. */
  due: number;
  message: string;
}

export function holdsRole(role: JobRole, state: FollowedState | undefined): boolean {
  return role === 'master' ? state === 'MASTER' : state === 'BACKUP';
}

const iso = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');

export class JobPolicy {
  private state: FollowedState | undefined;
  /** When the node last gained the role (wall ms); undefined while it does not hold it. */
  private roleSince: number | undefined;
  /** The repositories were read since the role was gained. */
  private known = false;
  /** The latest successful snapshot of the job in all of its repositories (the oldest of their latest). */
  private lastSuccess: number | undefined;
  private running: 'run' | 'verify' | undefined;
  private lastFailure: { due: number; at: number } | undefined;
  private lastVerifyDue: number | undefined;

  constructor(readonly timing: JobTiming) {}

  /**
   * A reload changed the job's definition: this policy (built from the new one) takes over what
   * the previous one knew — the followed state, when the role was gained, the latest snapshot and
   * the last failure — unless the repositories changed (then they are read again: the latest
   * snapshot is theirs to say). A role the node no longer holds under the new definition (master
   * became backup) is lost; one it now holds is gained now, and the repositories read again.
   * The previous policy must not be running anything (a run finishes under its old definition).
   */
  succeed(previous: JobPolicy, now: number, repositoriesChanged: boolean): void {
    if (previous.running !== undefined) throw new Error('A job cannot change its definition while a run is under way');
    this.state = previous.state;
    const had = holdsRole(previous.timing.role, previous.state);
    const has = this.holdsRole();
    if (has && had) {
      this.roleSince = previous.roleSince;
      this.known = previous.known && !repositoriesChanged;
    } else {
      this.roleSince = has ? now : undefined;
      this.known = false;
    }
    if (!repositoriesChanged) {
      this.lastSuccess = previous.lastSuccess;
      this.lastFailure = previous.lastFailure;
    }
    // A new verification schedule starts from now, as one gained with the role: no catch-up.
    const verifyChanged = JSON.stringify(previous.timing.verify) !== JSON.stringify(this.timing.verify) || previous.timing.zone !== this.timing.zone;
    this.lastVerifyDue = verifyChanged && this.timing.verify ? previousRun(this.timing.verify, now, this.timing.zone) : previous.lastVerifyDue;
  }

  get role(): FollowedState | undefined {
    return this.state;
  }

  holdsRole(): boolean {
    return holdsRole(this.timing.role, this.state);
  }

  /** The followed instance or group changed state. */
  roleChanged(state: FollowedState, now: number): void {
    const had = this.holdsRole();
    this.state = state;
    const has = this.holdsRole();
    if (has && !had) {
      this.roleSince = now;
      this.known = false;
    } else if (!has) {
      this.roleSince = undefined;
      this.known = false;
    }
  }

  /** What the repositories say: the time of the job's latest snapshot (the oldest over the repositories). */
  repositoriesRead(latestSnapshot: number | undefined): void {
    this.lastSuccess = latestSnapshot;
    this.known = this.holdsRole();
  }

  started(kind: 'run' | 'verify', due: number): void {
    this.running = kind;
    if (kind === 'verify') this.lastVerifyDue = due;
  }

  /** A run or verification ended; a successful run gives its snapshot time. */
  finished(kind: 'run' | 'verify', due: number, outcome: { ok: true; snapshotTime?: number } | { ok: false; at: number }): void {
    this.running = undefined;
    if (kind !== 'run') return;
    if (outcome.ok) {
      this.lastFailure = undefined;
      if (outcome.snapshotTime !== undefined && (this.lastSuccess === undefined || outcome.snapshotTime > this.lastSuccess)) this.lastSuccess = outcome.snapshotTime;
    } else {
      this.lastFailure = { due, at: outcome.at };
    }
  }

  latestSuccess(): number | undefined {
    return this.lastSuccess;
  }

  nextRun(now: number): number | undefined {
    return nextRun(this.timing.schedule, now, this.timing.zone);
  }

  decide(now: number): Decision {
    const t = this.timing;
    if (this.running !== undefined) {
      if (!this.holdsRole()) return { action: 'abort', reason: `this node no longer holds the ${t.role} role (${this.state ?? 'no state'}): the ${this.running} stops` };
      return { action: 'wait', reason: `the ${this.running} is under way` };
    }
    if (!this.holdsRole()) return { action: 'wait', reason: `not ${t.role} (${this.state ?? 'no state yet'}): the job runs on the ${t.role}` };
    if (!this.known) return { action: 'read-repositories', reason: `gained the ${t.role} role: reading the repositories for the job's latest snapshot` };
    const due = previousRun(t.schedule, now, t.zone);
    if (due !== undefined && (this.lastSuccess === undefined || this.lastSuccess < due)) {
      const failed = this.lastFailure;
      if (failed === undefined || failed.due !== due) {
        const late = due < (this.roleSince ?? now) ? ` (due while the role was elsewhere: catching up)` : '';
        return { action: 'run', due, reason: `due at ${iso(due)}, latest snapshot ${this.lastSuccess === undefined ? 'none' : iso(this.lastSuccess)}${late}` };
      }
      if (now >= failed.at + t.retryMs) return { action: 'run', due, reason: `retrying the run due at ${iso(due)} that failed at ${iso(failed.at)}` };
    }
    if (t.verify !== undefined) {
      const vdue = previousRun(t.verify, now, t.zone);
      if (vdue !== undefined && vdue >= (this.roleSince ?? now) && this.lastVerifyDue !== vdue) return { action: 'verify', due: vdue, reason: `verification due at ${iso(vdue)}` };
    }
    return { action: 'wait', reason: 'nothing due' };
  }

  /** The missed-backup alarm, or undefined. Raised only by the node holding the role, once it has read the repositories. */
  missed(now: number): MissedAlarm | undefined {
    if (!this.holdsRole() || !this.known) return undefined;
    const due = previousRun(this.timing.schedule, now - this.timing.missedAfterMs, this.timing.zone);
    if (due === undefined) return undefined;
    if (this.lastSuccess !== undefined && this.lastSuccess >= due) return undefined;
    return {
      due,
      message: `no successful snapshot since the run due at ${iso(due)} (latest: ${this.lastSuccess === undefined ? 'none' : iso(this.lastSuccess)})`,
    };
  }
}
