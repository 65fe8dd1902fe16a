/**
 * The backup jobs of the daemon (issue 13 §4): each job's JobPolicy (policy.ts) fed with the
 * role of what it follows and what the repositories say, and its decisions carried out in worker
 * processes (worker-client.ts) — never on the daemon's event loop. One tick a second reads the
 * wall clock, decides for every job and acts; each outcome is a sentence in the log and, when it
 * matters to the operator, in the event log (runs, failures, missed-backup alarms, restores).
 *
 * Built by the composition root (src/daemon/daemon.ts) and told of transitions there.
 */
import type { BackupJobConfig, BackupRepositoryConfig, BackupsConfig } from '../../config/backups.js';
import type { HotstandbyConfig, SyncGroupConfig } from '../../config/model.js';
import { ConfigError } from '../../config/config-error.js';
import type { Clock, Logger, Timers } from '../../ports/index.js';
import { splitCommandLine } from '../../config/command-line.js';
import { parseCron } from './cron.js';
import { JobPolicy, type FollowedState } from './policy.js';
import { preflightBackups } from './preflight.js';
import { planBackupsReload } from './reload-plan.js';
import { jobTag, type JobSpec, type Progress, type RunResult, type SnapshotInfo, type TreeEntry, type VerifyResult } from './protocol.js';
import { progressOf, type Alarm, type BackupJobStatus, type BackupsStatus, type OperationStatus, type RunRecord } from './status.js';
import type { RequestHandlers } from './worker-client.js';

/** What the subsystem needs of a worker process (worker-client.ts; tests may fake it). */
export interface BackupWorker {
  request<T>(req: Record<string, unknown> & { op: string }, handlers?: RequestHandlers): Promise<T>;
  kill(): void;
  close(): Promise<void>;
  readonly alive: boolean;
  /** The process id, when there is a process (its locks name it). */
  readonly pid?: number | undefined;
}

export interface BackupEvent {
  type: 'backup';
  message: string;
  fields?: Record<string, unknown>;
}

export interface BackupsDeps {
  clock: Clock;
  timers: Timers;
  /** Wall-clock epoch ms: schedules are wall-clock times. */
  wallClock: () => number;
  log: Logger;
  event: (e: BackupEvent) => void;
  startWorker: (name: string) => BackupWorker;
  /** uid and gid of a command's user. */
  resolveUser: (user: string) => Promise<{ uid: number; gid: number }>;
  syncGroups: readonly SyncGroupConfig[];
}

/** A request that cannot be served in the current state (API 409). */
export class BackupConflictError extends Error {
  override name = 'BackupConflictError';
}
/** No job, repository or operation of that name (API 404). */
export class UnknownBackupError extends Error {
  override name = 'UnknownBackupError';
}

const TICK_MS = 1000;
const READ_RETRY_MS = 60_000;
const READER_IDLE_MS = 5 * 60_000;
const iso = (ms: number) => new Date(ms).toISOString();
const by = (actor: string | undefined) => (actor ? ` by ${actor}` : '');
const ALARM_HEADLINES: Record<Alarm['kind'], string> = { missed: 'missed backup', failed: 'failed', incomplete: 'incomplete backup', verify: 'verification failed' };

/**
 * What a run's unreadable entries come to, undefined when there were none. Each repository's
 * backup walks the same paths, so the entries are told once: the repository that met the most.
 */
function unreadableOf(results: readonly RunResult[]): { count: number; message: string } | undefined {
  const worst = results.map((x) => x.unreadable).reduce((a, u) => (u && (!a || u.count > a.count) ? u : a), undefined);
  if (!worst || worst.count === 0) return undefined;
  const more = worst.count - worst.entries.length;
  return { count: worst.count, message: `${worst.count} ${worst.count === 1 ? 'entry' : 'entries'} could not be read and ${worst.count === 1 ? 'is' : 'are'} not in the snapshot: ${worst.entries.join('; ')}${more > 0 ? ` (and ${more} more)` : ''}` };
}

interface Running {
  kind: 'run' | 'verify';
  due: number;
  trigger: string;
  startedWall: number;
  startedMono: number;
  worker: BackupWorker;
  progress?: Progress;
  aborted?: string;
}

class Job {
  readonly policy: JobPolicy;
  running: Running | undefined;
  lastRun: RunRecord | undefined;
  lastVerify: BackupJobStatus['lastVerify'];
  readonly alarms = new Map<Alarm['kind'], Alarm>();
  reading = false;
  readFailedAt: number | undefined;
  decision = 'starting';
  /** VRRP said the peer is gone when this node took the role: clear its locks at the next run. */
  clearPeerLocks = false;
  /** A reload changed the definition while a run was under way: used once it ends. */
  next: BackupJobConfig | undefined;
  /** A reload removed the job while a run was under way: it is being stopped. */
  removed = false;

  constructor(readonly config: BackupJobConfig) {
    const verify = config.verify ? parseCron(config.verify.schedule) : undefined;
    this.policy = new JobPolicy({
      schedule: parseCron(config.schedule),
      zone: config.timezone,
      role: config.role,
      missedAfterMs: config.missedAfterMs,
      retryMs: config.retryMs,
      ...(verify ? { verify } : {}),
    });
  }

  get follows(): string {
    return `${this.config.follows.kind === 'syncGroup' ? 'sync group' : 'instance'} ${this.config.follows.name}`;
  }

  /** The job under a new definition (a reload), with what this one knew (policy.ts, succeed). */
  successor(config: BackupJobConfig, now: number, followed: FollowedState | undefined): Job {
    const job = new Job(config);
    const repositoriesChanged = JSON.stringify(config.repositories) !== JSON.stringify(this.config.repositories);
    job.policy.succeed(this.policy, now, repositoriesChanged);
    if (JSON.stringify(config.follows) !== JSON.stringify(this.config.follows)) job.policy.roleChanged(followed ?? 'INIT', now);
    job.lastRun = this.lastRun;
    job.lastVerify = this.lastVerify;
    for (const [k, v] of this.alarms) job.alarms.set(k, v);
    job.clearPeerLocks = this.clearPeerLocks && job.policy.holdsRole();
    return job;
  }
}

/** A reload of the backup jobs, checked and ready (Backups.prepare). */
export interface BackupsReload {
  changes: string[];
  apply(): void;
}

const followKey = (f: BackupJobConfig['follows']) => `${f.kind}:${f.name}`;

export class Backups {
  private readonly jobs = new Map<string, Job>();
  private readonly operations: OperationStatus[] = [];
  private nextOperation = 1;
  private reader: BackupWorker | undefined;
  private readerUsedAt = 0;
  private cancelTick: (() => void) | undefined;
  private started = false;
  private closed = false;
  private syncGroups: readonly SyncGroupConfig[];
  /** The last state heard of each instance and sync group (`instance:NAME`, `syncGroup:NAME`): a job added by a reload starts from it. */
  private readonly followed = new Map<string, FollowedState>();

  constructor(
    private config: BackupsConfig | undefined,
    private readonly deps: BackupsDeps,
  ) {
    this.syncGroups = deps.syncGroups;
    for (const j of config?.jobs ?? []) this.jobs.set(j.name, new Job(j));
  }

  get configured(): boolean {
    return this.jobs.size > 0;
  }

  start(): void {
    this.started = true;
    if (this.jobs.size === 0 || this.closed || this.cancelTick) return;
    this.schedule();
  }

  private schedule(): void {
    this.cancelTick = this.deps.timers.at(this.deps.clock.now() + TICK_MS, () => {
      this.tick();
      if (!this.closed) this.schedule();
    }, TICK_MS / 2);
  }

  /** An instance changed state (every transition, with its reason). */
  instanceChanged(instance: string, to: string, reason: string): void {
    const peerGone = to === 'MASTER' && /master-down timer expired/.test(reason);
    this.followed.set(`instance:${instance}`, to as FollowedState);
    for (const job of this.jobs.values()) {
      const f = job.config.follows;
      const member = f.kind === 'instance' ? f.name === instance : this.syncGroups.some((g) => g.name === f.name && g.instances.includes(instance));
      if (!member) continue;
      if (peerGone && job.config.role === 'master') job.clearPeerLocks = true;
      if (f.kind === 'instance') this.roleChanged(job, to as FollowedState);
    }
  }

  /** A sync group changed state (the controller's groupChanged). */
  groupChanged(group: string, state: string): void {
    this.followed.set(`syncGroup:${group}`, state as FollowedState);
    for (const job of this.jobs.values()) if (job.config.follows.kind === 'syncGroup' && job.config.follows.name === group) this.roleChanged(job, state as FollowedState);
  }

  private roleChanged(job: Job, state: FollowedState): void {
    const had = job.policy.holdsRole();
    job.policy.roleChanged(state, this.deps.wallClock());
    const has = job.policy.holdsRole();
    if (had !== has) this.deps.log.log('info', `backup job ${job.config.name}: ${has ? `this node now runs it (${job.follows} is ${state})` : `this node no longer runs it (${job.follows} is ${state})`}`);
    if (!has) job.clearPeerLocks = false;
    this.tick();
  }

  /** Decides for every job and acts. */
  tick(): void {
    if (this.closed) return;
    const now = this.deps.wallClock();
    for (const job of this.jobs.values()) {
      const d = job.policy.decide(now);
      if (d.reason !== job.decision) this.deps.log.log('debug', `backup job ${job.config.name}: ${d.action}: ${d.reason}`);
      job.decision = d.reason;
      switch (d.action) {
        case 'read-repositories':
          if (!job.reading && (job.readFailedAt === undefined || now >= job.readFailedAt + READ_RETRY_MS)) void this.readRepositories(job);
          break;
        case 'run':
          this.startRun(job, d.due, 'schedule', undefined);
          break;
        case 'verify':
          this.startVerify(job, d.due);
          break;
        case 'abort':
          this.abort(job, d.reason);
          break;
        case 'wait':
          break;
      }
      this.updateMissed(job, now);
    }
    if (this.reader && this.readerUsedAt + READER_IDLE_MS < this.deps.clock.now() && this.operations.every((o) => o.state !== 'running') && !this.anyReading()) {
      void this.reader.close();
      this.reader = undefined;
    }
  }

  private anyReading(): boolean {
    return [...this.jobs.values()].some((j) => j.reading);
  }

  private setAlarm(job: Job, kind: Alarm['kind'], message: string | undefined): void {
    const had = job.alarms.get(kind);
    if (message === undefined) {
      if (had) {
        job.alarms.delete(kind);
        this.deps.event({ type: 'backup', message: `backup job ${job.config.name}: ${kind} alarm cleared`, fields: { job: job.config.name, alarm: kind } });
      }
      return;
    }
    if (had?.message === message) return;
    job.alarms.set(kind, { kind, message, since: had?.since ?? iso(this.deps.wallClock()) });
    if (!had) {
      this.deps.log.log('warn', `backup job ${job.config.name}: ${kind}: ${message}`);
      this.deps.event({ type: 'backup', message: `backup job ${job.config.name}: ${ALARM_HEADLINES[kind]}: ${message}`, fields: { job: job.config.name, alarm: kind } });
    }
  }

  private updateMissed(job: Job, now: number): void {
    if (!job.policy.holdsRole() || job.removed) return; // the node holding the role raises it; ours stays as it was last seen
    this.setAlarm(job, 'missed', job.policy.missed(now)?.message);
  }

  private readerWorker(): BackupWorker {
    if (!this.reader || !this.reader.alive) this.reader = this.deps.startWorker('reader');
    this.readerUsedAt = this.deps.clock.now();
    return this.reader;
  }

  private async readRepositories(job: Job): Promise<void> {
    job.reading = true;
    try {
      const latest = await this.readerWorker().request<number | null>({ op: 'latest', repositories: job.config.repositories, tag: jobTag(job.config.name) });
      job.readFailedAt = undefined;
      job.policy.repositoriesRead(latest ?? undefined);
      if (job.alarms.get('failed')?.message.startsWith('cannot read')) this.setAlarm(job, 'failed', undefined);
    } catch (err) {
      job.readFailedAt = this.deps.wallClock();
      this.setAlarm(job, 'failed', `cannot read the repositories: ${(err as Error).message}`);
    } finally {
      job.reading = false;
    }
    this.tick();
  }

  private async spec(job: Job): Promise<JobSpec> {
    const c = job.config;
    const spec: JobSpec = { name: c.name, paths: c.paths, excludes: c.excludes, repositories: c.repositories, tags: c.tags };
    if (c.retention) spec.retention = c.retention;
    if (c.command !== undefined) {
      spec.stdin = { filename: c.stdinFilename, command: splitCommandLine(c.command) };
      if (c.commandUser !== undefined) spec.stdin.runAs = await this.deps.resolveUser(c.commandUser);
    }
    return spec;
  }

  private begin(job: Job, kind: 'run' | 'verify', due: number, trigger: string): Running {
    job.policy.started(kind, due);
    const running: Running = { kind, due, trigger, startedWall: this.deps.wallClock(), startedMono: this.deps.clock.now(), worker: this.deps.startWorker(`${job.config.name} ${kind}`) };
    job.running = running;
    return running;
  }

  private startRun(job: Job, due: number, trigger: string, actor: string | undefined): void {
    const r = this.begin(job, 'run', due, trigger);
    const peer = job.clearPeerLocks ? this.config?.peerHostname : undefined;
    job.clearPeerLocks = false;
    this.deps.log.log('info', `backup job ${job.config.name}: run started (${trigger})`);
    this.deps.event({ type: 'backup', message: `backup job ${job.config.name}: run started (${trigger === 'schedule' ? `due at ${iso(due)}` : trigger}${by(actor)})`, fields: { job: job.config.name, ...(actor ? { actor } : {}) } });
    void (async () => {
      const results: RunResult[] = [];
      let error: string | undefined;
      try {
        const spec = await this.spec(job);
        if (peer !== undefined) spec.clearLocksOf = peer;
        for (let i = 0; i < job.config.repositories.length; i++) {
          results.push(await r.worker.request<RunResult>({ op: 'run', job: spec, repoIndex: i }, { onProgress: (p) => (r.progress = { ...p, phase: `${p.phase} → ${job.config.repositories[i]!.repo}` }) }));
        }
      } catch (err) {
        error = r.aborted ?? (err as Error).message;
      }
      await r.worker.close();
      this.finishRun(job, r, results, error);
      this.ended(job, r.worker);
    })();
  }

  private finishRun(job: Job, r: Running, results: RunResult[], error: string | undefined): void {
    const now = this.deps.wallClock();
    job.running = undefined;
    const notes = results.flatMap((x) => [x.retention, ...(x.peerLocksRemoved ? [`removed ${x.peerLocksRemoved} lock(s) of the peer ${this.config?.peerHostname} in ${x.repo}`] : [])]).filter((s) => s !== '');
    job.lastRun = {
      trigger: r.trigger,
      startedAt: iso(r.startedWall),
      finishedAt: iso(now),
      ok: error === undefined,
      ...(error !== undefined ? { error } : {}),
      durationMs: Math.round(this.deps.clock.now() - r.startedMono),
      bytesRead: results.reduce((a, x) => a + x.bytesRead, 0),
      bytesAdded: results.reduce((a, x) => a + x.bytesAdded, 0),
      snapshots: results.map((x) => ({ repo: x.repo, snapshot: x.snapshot })),
      notes,
    };
    const fields = { job: job.config.name, durationMs: job.lastRun.durationMs, bytesAdded: job.lastRun.bytesAdded };
    if (error === undefined) {
      // A run started for due time D satisfies D even if the snapshot's clock says otherwise.
      // An incomplete run too: its snapshots exist (a retry would meet the same unreadable entries).
      job.policy.finished('run', r.due, { ok: true, snapshotTime: Math.max(r.due, Math.min(...results.map((x) => x.time))) });
      this.setAlarm(job, 'failed', undefined);
      const unreadable = unreadableOf(results);
      if (unreadable) {
        job.lastRun.ok = false;
        job.lastRun.error = unreadable.message;
        job.lastRun.incomplete = unreadable.count;
      }
      this.setAlarm(job, 'incomplete', unreadable?.message);
      this.deps.event({ type: 'backup', message: `backup job ${job.config.name}: run ${unreadable ? 'incomplete' : 'done'}: ${results.map((x) => `snapshot ${x.snapshot.slice(0, 8)} in ${x.repo}`).join(', ')}; ${job.lastRun.bytesAdded} bytes added${unreadable ? `; ${unreadable.message}` : ''}${notes.length ? `; ${notes.join('; ')}` : ''}`, fields });
    } else {
      job.policy.finished('run', r.due, { ok: false, at: now });
      if (r.aborted === undefined) this.setAlarm(job, 'failed', error);
      else this.deps.event({ type: 'backup', message: `backup job ${job.config.name}: run stopped: ${error}`, fields });
    }
    this.updateMissed(job, now);
  }

  private startVerify(job: Job, due: number): void {
    const r = this.begin(job, 'verify', due, 'schedule');
    void (async () => {
      let problems: string[] = [];
      let summary = '';
      let ok = false;
      try {
        const v = job.config.verify!;
        const results = await r.worker.request<VerifyResult[]>({ op: 'verify', job: await this.spec(job), readDataSubset: v.readDataSubset, sampleFiles: v.sampleFiles }, { onProgress: (p) => (r.progress = p) });
        problems = results.flatMap((x) => x.mismatches.map((m) => `${x.repo}: ${m}`));
        summary = results.map((x) => `${x.repo}: ${x.snapshot ? `snapshot ${x.snapshot.slice(0, 8)}, ${x.sampled} files sampled, ${x.compared} compared with the live files, ${x.changedSince} changed since` : 'no snapshot yet'}; ${x.check}`).join(' | ');
        ok = problems.length === 0;
      } catch (err) {
        problems = [r.aborted ?? (err as Error).message];
      }
      await r.worker.close();
      job.running = undefined;
      const now = this.deps.wallClock();
      job.lastVerify = { startedAt: iso(r.startedWall), finishedAt: iso(now), ok, summary, problems };
      job.policy.finished('verify', due, ok ? { ok: true } : { ok: false, at: now });
      if (r.aborted === undefined) {
        this.setAlarm(job, 'verify', ok ? undefined : problems.join('; '));
        if (ok) this.deps.event({ type: 'backup', message: `backup job ${job.config.name}: verified: ${summary}`, fields: { job: job.config.name } });
      }
      this.ended(job, r.worker);
    })();
  }

  /** A run or verification ended (its worker has exited): a reload's change or removal takes effect. */
  private ended(job: Job, worker: BackupWorker): void {
    if (this.closed) return;
    if (job.removed) {
      const pid = worker.pid;
      if (pid === undefined) return;
      const name = job.config.name;
      // The worker was killed holding its lock: the repository is as a kill -9 leaves it
      // (consistent, perhaps with an unindexed pack the next prune removes); the lock goes now.
      this.readerWorker()
        .request<{ repo: string; locks: number }[]>({ op: 'release-locks', repositories: job.config.repositories, pid })
        .then(
          (r) => this.deps.log.log('info', `backup job ${name} (removed): ${r.map((x) => `${x.locks} lock(s) of its stopped worker removed from ${x.repo}`).join(', ')}`),
          (err: unknown) => this.deps.log.log('warn', `backup job ${name} (removed): cannot remove the locks of its stopped worker (pid ${pid}): ${(err as Error).message}; restic calls them stale (this host, a dead process)`),
        );
      return;
    }
    const next = job.next;
    if (next === undefined || this.jobs.get(job.config.name) !== job) return;
    job.next = undefined;
    this.jobs.set(next.name, job.successor(next, this.deps.wallClock(), this.followed.get(followKey(next.follows))));
    this.deps.log.log('info', `backup job ${next.name}: its run under the previous definition ended; the reloaded definition applies now`);
    this.tick();
  }

  /**
   * Checks a reloaded configuration's backup jobs (beyond the file: password files readable,
   * programs found — check-config's checks that need no repository) and returns how to switch
   * over. Throws a ConfigError naming the key when the reload must be refused; nothing changes
   * until apply().
   */
  async prepare(next: Pick<HotstandbyConfig, 'backups' | 'syncGroups'>): Promise<BackupsReload> {
    const plan = planBackupsReload(this.config, next.backups);
    const touched = [...plan.added, ...plan.changed.map((c) => c.config)];
    if (touched.length) {
      const problems = await preflightBackups({ jobs: touched }, undefined, false);
      if (problems.length) throw new ConfigError(problems.map((p) => `${p.key}: ${p.message}`).join('; '));
    }
    return {
      changes: plan.describe(),
      apply: () => {
        const now = this.deps.wallClock();
        this.config = next.backups;
        this.syncGroups = next.syncGroups;
        for (const name of plan.removed) {
          const job = this.jobs.get(name);
          this.jobs.delete(name);
          if (!job?.running) continue;
          job.removed = true;
          this.abort(job, 'the job was removed by a reload');
        }
        for (const config of plan.added) {
          const job = new Job(config);
          const state = this.followed.get(followKey(config.follows));
          if (state !== undefined) job.policy.roleChanged(state, now);
          this.jobs.set(config.name, job);
        }
        for (const { config } of plan.changed) {
          const job = this.jobs.get(config.name);
          if (!job) continue;
          if (job.running) {
            job.next = config; // the run finishes under the definition it started with
            this.deps.log.log('info', `backup job ${config.name}: changed by a reload; the ${job.running.kind} under way finishes under the previous definition`);
          } else this.jobs.set(config.name, job.successor(config, now, this.followed.get(followKey(config.follows))));
        }
        if (this.started) this.start();
        this.tick();
      },
    };
  }

  private abort(job: Job, reason: string): void {
    const r = job.running;
    if (!r || r.aborted !== undefined) return;
    r.aborted = reason;
    this.deps.log.log('warn', `backup job ${job.config.name}: stopping: ${reason}`);
    r.worker.kill();
  }

  // ---- what the API offers ---------------------------------------------------------------------

  private job(name: string): Job {
    const job = this.jobs.get(name);
    if (!job) throw new UnknownBackupError(`No backup job named '${name}'`);
    return job;
  }

  private repository(job: Job, index: number): BackupRepositoryConfig {
    const r = job.config.repositories[index];
    if (!r) throw new UnknownBackupError(`Backup job '${job.config.name}' has no repository ${index} (it has ${job.config.repositories.length}, numbered from 0)`);
    return r;
  }

  /** The sentence a confirmation states before "run now". */
  runEffect(name: string): string {
    const job = this.job(name);
    return `Backs up ${job.config.command ? `the output of "${job.config.command}"` : job.config.paths.join(', ')} now into ${job.config.repositories.map((r) => r.repo).join(' and ')}, from this node.`;
  }

  /** Starts a run now (admin action). 409 when this node does not hold the job's role, or a run is under way. */
  runNow(name: string, actor: string | undefined): void {
    const job = this.job(name);
    if (!job.policy.holdsRole()) throw new BackupConflictError(`Backup job '${name}' runs on the ${job.config.role}; this node is ${job.policy.role ?? 'not started'} for ${job.follows}`);
    if (job.running) throw new BackupConflictError(`Backup job '${name}' is already running (${job.running.kind}, started ${iso(job.running.startedWall)})`);
    this.startRun(job, this.deps.wallClock(), 'run now', actor);
  }

  status(): BackupsStatus {
    const now = this.deps.wallClock();
    const mono = this.deps.clock.now();
    const jobs = [...this.jobs.values()].map((job): BackupJobStatus => {
      const c = job.config;
      const s: BackupJobStatus = {
        name: c.name,
        follows: job.follows,
        role: c.role,
        state: job.policy.role ?? 'INIT',
        holdsRole: job.policy.holdsRole(),
        schedule: c.schedule,
        repositories: c.repositories.map((r) => r.repo),
        alarms: [...job.alarms.values()],
        decision: job.decision,
      };
      const r = job.running;
      if (r) s.running = { kind: r.kind, trigger: r.trigger, ...(r.progress ? { progress: progressOf(r.progress, r.startedMono, mono, iso(r.startedWall)) } : {}) };
      if (job.lastRun) s.lastRun = job.lastRun;
      if (job.lastVerify) s.lastVerify = job.lastVerify;
      const latest = job.policy.latestSuccess();
      if (latest !== undefined) s.latestSnapshot = iso(latest);
      const next = job.policy.nextRun(now);
      if (next !== undefined) s.nextRun = iso(next);
      return s;
    });
    return { jobs, operations: this.operations.slice(-20) };
  }

  async snapshots(name: string, repo: number): Promise<SnapshotInfo[]> {
    const job = this.job(name);
    return this.readerWorker().request<SnapshotInfo[]>({ op: 'snapshots', repository: this.repository(job, repo), tag: jobTag(name) });
  }

  async tree(name: string, repo: number, snapshot: string, path: string): Promise<{ snapshot: SnapshotInfo; path: string; entries: TreeEntry[] }> {
    const job = this.job(name);
    return this.readerWorker().request({ op: 'tree', repository: this.repository(job, repo), snapshot, path });
  }

  /** Starts restoring a file or directory of a snapshot below `target`; progress in status().operations. */
  restore(name: string, repo: number, snapshot: string, path: string, target: string, actor: string | undefined): OperationStatus {
    const job = this.job(name);
    const repository = this.repository(job, repo);
    const op: OperationStatus = { id: this.nextOperation++, kind: 'restore', job: name, description: `${path} of snapshot ${snapshot.slice(0, 8)} to ${target}`, actor: actor ?? 'unknown', state: 'running' };
    this.operations.push(op);
    if (this.operations.length > 100) this.operations.shift();
    this.deps.event({ type: 'backup', message: `backup job ${name}: restore of ${op.description} started${by(actor)}`, fields: { job: name, ...(actor ? { actor } : {}) } });
    const startedMono = this.deps.clock.now();
    const startedAt = iso(this.deps.wallClock());
    this.readerWorker()
      .request<{ restored: string; bytes: number; files: number }>(
        { op: 'restore', repository, snapshot, path, target },
        { onProgress: (p) => (op.progress = progressOf(p, startedMono, this.deps.clock.now(), startedAt)) },
      )
      .then(
        (r) => {
          op.state = 'done';
          op.result = `restored ${r.restored}: ${r.files} file(s), ${r.bytes} bytes`;
          this.deps.event({ type: 'backup', message: `backup job ${name}: ${op.result}${by(actor)}`, fields: { job: name } });
        },
        (err: unknown) => {
          op.state = 'failed';
          op.error = (err as Error).message;
          this.deps.event({ type: 'backup', message: `backup job ${name}: restore of ${op.description} failed: ${op.error}`, fields: { job: name } });
        },
      );
    return op;
  }

  /** Streams a file of a snapshot to `write` (which resolves when the consumer wants more). */
  async download(name: string, repo: number, snapshot: string, path: string, write: (data: Buffer) => Promise<void>): Promise<{ size: number }> {
    const job = this.job(name);
    const worker = this.readerWorker();
    try {
      return await worker.request<{ size: number }>({ op: 'download', repository: this.repository(job, repo), snapshot, path }, { onChunk: write });
    } catch (err) {
      // A consumer that went away leaves the worker waiting for an acknowledgement: start afresh.
      if (this.reader === worker) {
        worker.kill();
        this.reader = undefined;
      }
      throw err;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.cancelTick?.();
    const workers = [...this.jobs.values()].flatMap((j) => (j.running ? [j.running.worker] : []));
    for (const j of this.jobs.values()) if (j.running) j.running.aborted = 'the daemon is stopping';
    if (this.reader) workers.push(this.reader);
    await Promise.all(workers.map((w) => w.close()));
  }
}
