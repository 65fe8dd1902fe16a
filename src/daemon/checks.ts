/**
 * The checks subsystem: builds the check sets the controller runs (a new one when a reload
 * changes the checks), with the process watcher they share, and tells the current set about
 * link changes so interface checks probe at once.
 */
import { CheckSet, needsProcessWatcher } from '../check/check-set.js';
import { ProcessWatcher } from '../check/process-watcher.js';
import type { CheckConfig } from '../config/check-model.js';
import type { NativeBinding } from '../net/native.js';
import type { LinkInfo } from '../net/netlink/link.js';
import type { Clock, Logger, Timers } from '../ports/index.js';
import type { ChildPriority } from '../util/child-priority.js';

export interface ChecksDeps {
  native: NativeBinding;
  clock: Clock;
  timers: Timers;
  wallClock: () => Date;
  log: Logger;
  /** The priority exec checks run at (src/util/child-priority.ts). */
  childPriority?: ChildPriority;
}

export class Checks {
  private current: CheckSet | undefined;
  /** Opened with the first set that has process checks; kept until close(). */
  private watcher: ProcessWatcher | undefined;

  constructor(private readonly deps: ChecksDeps) {}

  /** A new (not started) set; it becomes the one link changes go to. */
  build(configs: readonly CheckConfig[]): CheckSet {
    const { native, clock, timers, wallClock, log, childPriority } = this.deps;
    if (this.watcher === undefined && needsProcessWatcher(configs)) this.watcher = ProcessWatcher.open(native, { clock, timers, log });
    this.current = new CheckSet(configs, {
      clock,
      timers,
      log,
      wallClock,
      watchPid: (pid, onExit) => new native.PidWatch(pid, onExit),
      ...(this.watcher ? { processEvents: this.watcher } : {}),
      ...(childPriority ? { childPriority } : {}),
    });
    return this.current;
  }

  linkChanged(link: LinkInfo): void {
    this.current?.notifyLinkChange(link.name, link.up && link.carrier);
  }

  close(): void {
    this.watcher?.close();
  }
}
