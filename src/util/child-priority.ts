/**
 * The priority of the processes the daemon starts. The daemon raises its own priority at start
 * (processPriority, default nice -10: src/daemon/process-priority.ts); a child inherits the nice
 * value of the thread that forks it, and a check script, a notify script or pg_ctl must not run at
 * -10: they would compete with the VRRP timers instead of yielding to them. So every command the
 * daemon starts goes through a `ChildPriority`, whose `command()` prefixes `nice -n DELTA` to bring
 * it back to the priority the daemon was started with (or to an absolute target, nice 10 for
 * backup workers).
 *
 * The composition root builds the one real ChildPriority when it raises the daemon's priority
 * (DaemonPriority.children) and hands it down through the subsystems' dependency objects. Where
 * none is given (CLI one-shot commands, tests) `STARTED_PRIORITY` stands in: the process did not
 * change its own priority, so a command runs unchanged unless it asks for a target.
 *
 * Why a `nice` prefix and not setpriority(2) on the child's pid after spawn: by the time spawn()
 * returns the program is already running, and a shell script can have forked its own children at
 * -10 by then. nice(1) sets the value before the program's first instruction, and every process it
 * forks inherits it. The cost: a program that does not exist is reported by nice ("nice: 'x': No
 * such file or directory", exit 127) rather than as a spawn error.
 *
 * Nice values are per thread on Linux (setpriority(2) NOTES); the delta is relative to the main
 * thread, which is the thread that forks. It is computed at each command, so a reload that changes
 * the daemon's own value (processPriority) changes the delta with it; the original does not change.
 */
import { existsSync } from 'node:fs';
import { getPriority } from 'node:os';

/** coreutils nice; POSIX says `nice [-n increment] utility [argument...]`. */
export const NICE_PROGRAM = '/usr/bin/nice';

/** How the processes the daemon starts get their priority back. */
export interface ChildPriority {
  /**
   * `command` with a `nice -n DELTA` prefix so that it runs at `target` (default: the priority
   * the daemon was started with). A new array; unchanged when there is no original and no target,
   * the delta is 0, or nice(1) is missing (then the child keeps the daemon's priority: better than
   * not running it). A negative delta needs CAP_SYS_NICE, which the daemon had when it could lower
   * its own value.
   */
  command(command: readonly string[], target?: number): string[];
}

/** What the operating system offers; the real one by default, a fake in tests. */
export interface ChildPriorityHost {
  /** getpriority(PRIO_PROCESS, 0): the calling thread, which is the main thread that will fork. */
  getPriority(): number;
  /** Whether NICE_PROGRAM exists. */
  niceAvailable(): boolean;
}

export const LINUX_CHILD_PRIORITY_HOST: ChildPriorityHost = {
  getPriority: () => getPriority(0),
  // A stat(2) per command started: nothing beside the fork and exec it goes with.
  niceAvailable: () => existsSync(NICE_PROGRAM),
};

/**
 * Children brought back to `original` (the nice value the daemon had before it changed its own;
 * undefined when it did not change it).
 */
export function childPriority(original: number | undefined, host: ChildPriorityHost = LINUX_CHILD_PRIORITY_HOST): ChildPriority {
  if (original !== undefined && !Number.isInteger(original)) throw new RangeError(`Original nice value must be an integer, got ${original}`);
  return {
    command(command, target) {
      const wanted = target ?? original;
      if (wanted === undefined) return [...command];
      const delta = wanted - host.getPriority();
      if (delta === 0 || !host.niceAvailable()) return [...command];
      return [NICE_PROGRAM, '-n', String(delta), ...command];
    },
  };
}

/** A process that did not change its own priority (CLI one-shot commands, tests): targets only. */
export const STARTED_PRIORITY: ChildPriority = childPriority(undefined);
