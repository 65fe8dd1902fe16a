/**
 * Turns instance and sync group state changes into keepalived's notifications: the state's own
 * script, then the generic `notify` script, and a notify FIFO line.
 *
 * The protocol never waits for a hook: callers only enqueue. Hooks of one instance (or group) run
 * one at a time in the order of the changes, so a slow notify_backup is finished before the
 * notify_master that follows it starts; other instances' hooks run alongside. Every result goes
 * to the event log (type 'hook') and the logger.
 */
import type { NotifyConfig } from '../config/model.js';
import type { EventLog } from '../daemon/event-log.js';
import type { Clock, Logger, LogLevel } from '../ports/index.js';
import { resolveScriptUser } from '../check/script-security.js';
import type { ChildPriority } from '../util/child-priority.js';
import { runHookProcess, type HookResult, type RunAs, type SpawnFn } from './hook-process.js';
import { fifoLine, hooksFor, lowerPriorityHooks, type HookSpec, type NotifyEvent, type NotifyKind, type NotifyState } from './notify-args.js';
import type { NotifyFifoSink } from './notify-fifo.js';
import { SerialQueues } from './serial-queues.js';

/** An instance or sync group as far as notifications go (InstanceConfig and SyncGroupConfig fit). */
export interface NotifyTarget {
  name: string;
  notify: NotifyConfig;
}

export type UserResolver = (user: string | undefined) => Promise<RunAs>;

export interface NotifyDispatcherDeps {
  log: Logger;
  events: Pick<EventLog, 'append'>;
  /** Monotonic, for hook durations. */
  clock: Clock;
  spawn?: SpawnFn;
  /** Turns the script user name into ids; default reads /etc/passwd (see resolveScriptUser). */
  resolveUser?: UserResolver;
  /** keepalived script_user; undefined = keepalived_script if it exists, else the daemon's own user. */
  scriptUser?: string;
  fifo?: NotifyFifoSink;
  /** Per hook; at the limit its process group is killed. Default 30 s. */
  timeoutMs?: number;
  /** Between SIGTERM and SIGKILL at the limit. Default 1 s. */
  killGraceMs?: number;
  /** Output kept per hook for the event log. Default 512 bytes. */
  outputBytes?: number;
  /** Hooks waiting per instance before the oldest waiting one is dropped. Default 64. */
  maxWaiting?: number;
  /** Environment of the hooks; default the daemon's. */
  env?: NodeJS.ProcessEnv;
  /** The priority hooks run at (src/util/child-priority.ts); default unchanged. */
  childPriority?: ChildPriority;
}

export const DEFAULT_HOOK_TIMEOUT_MS = 30_000;
const DEFAULT_KILL_GRACE_MS = 1_000;
const DEFAULT_OUTPUT_BYTES = 512;
const DEFAULT_MAX_WAITING = 64;

interface HookJob extends HookSpec {
  kind: NotifyKind;
  name: string;
  state: NotifyEvent;
}

export class NotifyDispatcher {
  private readonly queues: SerialQueues;
  private readonly abort = new AbortController();
  private closed = false;
  private user: Promise<RunAs> | undefined;
  private scriptUserName: string | undefined;

  constructor(private readonly deps: NotifyDispatcherDeps) {
    this.scriptUserName = deps.scriptUser;
    this.queues = new SerialQueues({
      maxWaiting: deps.maxWaiting ?? DEFAULT_MAX_WAITING,
      onDrop: (key) => this.deps.log.log('warn', 'notify hook dropped: too many waiting', { queue: key }),
    });
  }

  /** An instance changed state; `priority` is its effective priority (what keepalived passes). */
  instanceChanged(instance: NotifyTarget, state: NotifyState, priority: number): void {
    this.changed('INSTANCE', instance, state, priority);
  }

  /** A master heard a lower-priority advert: notify_master_rx_lower_pri and a FIFO line (keepalived). */
  masterHeardLowerPriority(instance: NotifyTarget, priority: number): void {
    this.notify('INSTANCE', instance, 'MASTER_RX_LOWER_PRI', priority, () => lowerPriorityHooks(instance.notify));
  }

  /** A sync group changed state (keepalived passes priority 0 for groups). */
  groupChanged(group: NotifyTarget, state: NotifyState): void {
    this.changed('GROUP', group, state, 0);
  }

  /** A reload changed script_user (or its group): hooks that start from now on run as it. */
  useScriptUser(user: string | undefined): void {
    this.scriptUserName = user;
    this.user = undefined;
  }

  /** Hooks running or waiting. */
  get pending(): number {
    return this.queues.pending;
  }

  /** Resolves when every hook queued so far has finished. */
  idle(): Promise<void> {
    return this.queues.idle();
  }

  /** Stops taking changes, drops waiting hooks and kills running ones; resolves when they are gone. */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      const dropped = this.queues.clearWaiting();
      if (dropped > 0) this.deps.log.log('warn', 'notify hooks dropped at shutdown', { dropped });
      this.abort.abort();
    }
    await this.queues.idle();
  }

  private changed(kind: NotifyKind, target: NotifyTarget, state: NotifyState, priority: number): void {
    this.notify(kind, target, state, priority, () => hooksFor(kind, target.name, target.notify, state, priority));
  }

  private notify(kind: NotifyKind, target: NotifyTarget, state: NotifyEvent, priority: number, hooksOf: () => HookSpec[]): void {
    if (this.closed) {
      this.deps.log.log('debug', 'notify after close ignored', { kind, name: target.name, state });
      return;
    }
    this.deps.fifo?.write(fifoLine(kind, target.name, state, priority));
    let hooks: HookSpec[];
    try {
      hooks = hooksOf();
    } catch (err) {
      this.record(kind, target.name, state, 'error', `notify script of ${target.name} cannot be split: ${String(err)}`, {});
      return;
    }
    const key = `${kind}:${target.name}`;
    for (const hook of hooks) {
      const job: HookJob = { ...hook, kind, name: target.name, state };
      this.queues.enqueue(key, () => this.run(job));
    }
  }

  private async run(job: HookJob): Promise<void> {
    let runAs: RunAs;
    try {
      runAs = await this.scriptUser();
    } catch (err) {
      const message = `${job.keyword} for ${job.name} not run: ${err instanceof Error ? err.message : String(err)}`;
      this.record(job.kind, job.name, job.state, 'error', message, { keyword: job.keyword, command: job.command });
      return;
    }
    const result = await runHookProcess(
      {
        command: job.command,
        runAs,
        timeoutMs: this.deps.timeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS,
        killGraceMs: this.deps.killGraceMs ?? DEFAULT_KILL_GRACE_MS,
        outputBytes: this.deps.outputBytes ?? DEFAULT_OUTPUT_BYTES,
        signal: this.abort.signal,
        ...(this.deps.env ? { env: this.deps.env } : {}),
      },
      { clock: this.deps.clock, ...(this.deps.spawn ? { spawn: this.deps.spawn } : {}), ...(this.deps.childPriority ? { childPriority: this.deps.childPriority } : {}) },
    );
    const ok = result.outcome === 'exited' && result.exitCode === 0;
    this.record(job.kind, job.name, job.state, ok ? 'info' : 'warn', `${job.keyword} for ${job.name} ${describeResult(result)}`, {
      keyword: job.keyword,
      command: job.command,
      uid: runAs.uid,
      gid: runAs.gid,
      outcome: result.outcome,
      exitCode: result.exitCode,
      signal: result.signal,
      timedOut: result.timedOut,
      durationMs: Math.round(result.durationMs),
      output: result.output,
      ...(result.error !== undefined ? { error: result.error } : {}),
    });
  }

  private scriptUser(): Promise<RunAs> {
    if (this.user === undefined) {
      const resolve = this.deps.resolveUser ?? ((name: string | undefined) => resolveScriptUser(name));
      const pending = resolve(this.scriptUserName);
      // A failed lookup is retried on the next hook (the user may be created meanwhile).
      pending.catch(() => {
        if (this.user === pending) this.user = undefined;
      });
      this.user = pending;
    }
    return this.user;
  }

  private record(kind: NotifyKind, name: string, state: NotifyEvent, level: LogLevel, message: string, fields: Record<string, unknown>): void {
    const where = kind === 'INSTANCE' ? { instance: name } : { group: name };
    this.deps.log.log(level, message, { ...where, state, ...fields });
    this.deps.events.append({
      type: 'hook',
      ...(kind === 'INSTANCE' ? { instance: name } : {}),
      message,
      fields: { ...(kind === 'GROUP' ? { group: name } : {}), state, ...fields },
    });
  }
}

function describeResult(result: HookResult): string {
  const after = `after ${Math.round(result.durationMs)} ms`;
  switch (result.outcome) {
    case 'exited':
      return `exited ${result.exitCode ?? '?'} ${after}`;
    case 'signalled':
      return `killed by ${result.signal ?? 'a signal'} ${after}`;
    case 'timeout':
      return `timed out ${after}; process group killed`;
    case 'aborted':
      return `stopped at shutdown ${after}`;
    case 'spawn-error':
      return `could not start (${result.error ?? 'unknown error'})`;
  }
}
