/**
 * Builds and runs every configured check: the probe for its kind, its runner, and the event
 * sources that make process and interface checks react at once. The composition root creates
 * the real ports (clock, timers, the process watcher) and passes them in.
 */
import type { CheckConfig } from '../config/check-model.js';
import type { Clock, Logger, Timers } from '../ports/index.js';
import type { ChildPriority } from '../util/child-priority.js';
import { CheckRunner, type CheckRunnerStatus } from './check-runner.js';
import { createExecProbe } from './exec-probe.js';
import { createFileProbe } from './file-probe.js';
import { createHttpProbe } from './http-probe.js';
import { createInterfaceProbe } from './interface-probe.js';
import type { LinkEvents } from './link-events.js';
import type { Probe } from './probe.js';
import { createProcessProbe } from './process-probe.js';
import { triggerOnPidExit, type WatchPid } from './pid-exit-trigger.js';
import { triggerOnProcessEvents } from './process-trigger.js';
import type { ProcessEvents } from './process-watcher.js';
import { createTcpProbe } from './tcp-probe.js';
import { scriptUserResolver, type UserResolver } from './user-resolver.js';

export interface CheckSetDeps {
  clock: Clock;
  timers: Timers;
  log: Logger;
  wallClock: () => Date;
  /** For exec checks' user / group. Default: keepalived's script-user rules on /etc/passwd and /etc/group. */
  users?: UserResolver;
  /** The process watcher (ProcessWatcher.open); without it process checks poll. */
  processEvents?: ProcessEvents;
  /** pidfd watches, so a counted process's exit is noticed at once in any namespace. */
  watchPid?: WatchPid;
  /** The priority exec checks run at (src/util/child-priority.ts); default unchanged. */
  childPriority?: ChildPriority;
  /** Test seams. */
  procRoot?: string;
  sysClassNet?: string;
  execKillGraceMs?: number;
  backstopMs?: number;
}

export interface ProbeDeps {
  clock: Clock;
  timers: Timers;
  users?: UserResolver;
  childPriority?: ChildPriority;
  processEvents?: ProcessEvents;
  procRoot?: string;
  sysClassNet?: string;
  execKillGraceMs?: number;
}

/** True when a process watcher would serve some check (open one only then). */
export function needsProcessWatcher(configs: readonly CheckConfig[]): boolean {
  return configs.some((c) => c.kind === 'process');
}

/** The probe for one check of any kind. */
export function createProbe(config: CheckConfig, deps: ProbeDeps): Probe {
  const time = { clock: deps.clock, timers: deps.timers };
  switch (config.kind) {
    case 'http':
      return createHttpProbe(config, time);
    case 'tcp':
      return createTcpProbe(config, time);
    case 'exec': {
      const options: Parameters<typeof createExecProbe>[2] = { users: deps.users ?? scriptUserResolver() };
      if (deps.execKillGraceMs !== undefined) options.killGraceMs = deps.execKillGraceMs;
      if (deps.childPriority !== undefined) options.childPriority = deps.childPriority;
      return createExecProbe(config, time, options);
    }
    case 'process':
      return createProcessProbe(config, time, processProbeOptions(config.intervalMs, deps));
    case 'file':
      return createFileProbe(config, time);
    case 'interface':
      return createInterfaceProbe(config, time, deps.sysClassNet === undefined ? {} : { sysClassNet: deps.sysClassNet });
  }
}

function processProbeOptions(intervalMs: number, deps: ProbeDeps): Parameters<typeof createProcessProbe>[2] {
  const events = deps.processEvents;
  const options: Parameters<typeof createProcessProbe>[2] = {
    note: () => {
      if (events === undefined) return `polling every ${intervalMs} ms (no process watcher)`;
      if (events.mode === 'events') return undefined;
      return `polling every ${intervalMs} ms (${events.note ?? events.mode})`;
    },
  };
  if (deps.procRoot !== undefined) options.procRoot = deps.procRoot;
  if (events !== undefined) options.hasExited = (pid) => events.hasExited(pid);
  return options;
}

export class CheckSet implements LinkEvents {
  private readonly runners = new Map<string, CheckRunner>();
  private readonly detachers: Array<() => void> = [];
  private started = false;
  private stopped = false;

  constructor(configs: readonly CheckConfig[], private readonly deps: CheckSetDeps) {
    for (const config of configs) {
      if (this.runners.has(config.name)) throw new TypeError(`Two checks are named '${config.name}'`);
      if (config.kind === 'process') {
        const probe = createProcessProbe(config, deps, processProbeOptions(config.intervalMs, deps));
        const runner = new CheckRunner(config, probe, deps);
        this.runners.set(config.name, runner);
        if (deps.processEvents !== undefined) this.detachers.push(triggerOnProcessEvents(config, probe, runner, deps.processEvents, deps));
        if (deps.watchPid !== undefined) this.detachers.push(triggerOnPidExit(probe, runner, deps.watchPid, deps.log));
      } else {
        this.runners.set(config.name, new CheckRunner(config, createProbe(config, deps), deps));
      }
    }
  }

  get(name: string): CheckRunner | undefined {
    return this.runners.get(name);
  }

  all(): CheckRunner[] {
    return [...this.runners.values()];
  }

  /**
   * Starts every runner. Checks sharing an interval are spread evenly over it (the first of
   * them probes at once), so twenty 50 ms checks do not all connect in the same millisecond.
   */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    const byInterval = new Map<number, CheckRunner[]>();
    for (const runner of this.runners.values()) {
      const group = byInterval.get(runner.config.intervalMs) ?? [];
      group.push(runner);
      byInterval.set(runner.config.intervalMs, group);
    }
    for (const [interval, group] of byInterval) {
      group.forEach((runner, i) => runner.start((i * interval) / group.length));
    }
  }

  /** Stops every runner (aborting probes in flight) and detaches from event sources. Idempotent. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const detach of this.detachers.splice(0)) detach();
    for (const runner of this.runners.values()) runner.stop();
  }

  /** Interface checks on that interface probe now (the hysteresis still applies). */
  notifyLinkChange(name: string, up: boolean): void {
    for (const runner of this.runners.values()) {
      if (runner.config.kind === 'interface' && runner.config.interface === name) {
        this.deps.log.log('debug', 'link change for an interface check', { check: runner.name, iface: name, up });
        runner.runNow();
      }
    }
  }

  statuses(): CheckRunnerStatus[] {
    return this.all().map((runner) => runner.status());
  }
}
