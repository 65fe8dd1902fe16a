/**
 * The priority of the processes the daemon starts. The daemon raises its own priority at start
 * (processPriority, default nice -10: src/daemon/process-priority.ts); a child inherits the nice
 * value of the thread that forks it, and a check script, a notify script or pg_ctl must not run at
 * -10: they would compete with the VRRP timers instead of yielding to them. So every command the
 * daemon starts goes through `childCommand()`, which prefixes `nice -n DELTA` to bring it back to
 * the priority the daemon was started with (or to an absolute target, nice 10 for backup workers).
 *
 * Why a `nice` prefix and not setpriority(2) on the child's pid after spawn: by the time spawn()
 * returns the program is already running, and a shell script can have forked its own children at
 * -10 by then. nice(1) sets the value before the program's first instruction, and every process it
 * forks inherits it. The cost: a program that does not exist is reported by nice ("nice: 'x': No
 * such file or directory", exit 127) rather than as a spawn error.
 *
 * Nice values are per thread on Linux (setpriority(2) NOTES); the delta is relative to the main
 * thread, which is the thread that forks.
 */
import { existsSync } from 'node:fs';
import { getPriority } from 'node:os';

/** coreutils nice; POSIX says `nice [-n increment] utility [argument...]`. */
export const NICE_PROGRAM = '/usr/bin/nice';

/** The nice value the daemon was started with: what its children get back. */
let original: number | undefined;

/** Records the nice value the daemon had before it changed its own (once, at start). */
export function recordOriginalPriority(nice: number): void {
  original = nice;
}

/** Forgets the recorded value (tests). */
export function forgetOriginalPriority(): void {
  original = undefined;
}

/**
 * `command` with a `nice -n DELTA` prefix so that it runs at `target` (default: the priority the
 * daemon was started with). Unchanged when nothing was recorded and no target given, the delta is
 * 0, or nice(1) is missing (then the child keeps the daemon's priority: better than not running it).
 * A negative delta needs CAP_SYS_NICE, which the daemon had when it could lower its own value.
 */
export function childCommand(command: readonly string[], target?: number): string[] {
  const wanted = target ?? original;
  if (wanted === undefined) return [...command];
  // getpriority(PRIO_PROCESS, 0): the calling thread, which is the main thread that will fork.
  const delta = wanted - getPriority(0);
  if (delta === 0 || !niceAvailable()) return [...command];
  return [NICE_PROGRAM, '-n', String(delta), ...command];
}

let niceFound: boolean | undefined;
function niceAvailable(): boolean {
  niceFound ??= existsSync(NICE_PROGRAM);
  return niceFound;
}
