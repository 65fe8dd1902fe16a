/**
 * The daemon's scheduling priority (global processPriority, keepalived vrrp_priority; default
 * nice -10). On a loaded machine a daemon at nice 0 waits its turn: at load 12–24 on two cores the
 * reload test's backup woke up for its master-down timer hundreds of milliseconds late and took
 * over for a moment. Two knobs, both needed:
 *
 * - The nice value of every thread (setpriority(2): on Linux a nice value belongs to a thread,
 *   so the threads V8 and libuv started before this call are set one by one from
 *   /proc/self/task; threads started later inherit it from the main thread).
 * - The nice value of the session's autogroup (sched(7), "The autogroup feature"): with
 *   CONFIG_SCHED_AUTOGROUP the CPU is first shared equally between sessions, and only inside a
 *   session by nice value, so a nice -10 daemon in a session beside twenty busy ones still gets a
 *   twenty-first of the machine. Writing /proc/self/autogroup weights the whole session, so it is
 *   only done when the daemon leads its own session (systemd starts services so; the lab starts
 *   daemons with setsid); otherwise it would lift the shell it was started from, too.
 *
 * Realtime scheduling (keepalived's vrrp_rt_priority) is not used: a realtime daemon that spins
 * starves the machine, its own check scripts included.
 *
 * Without CAP_SYS_NICE a negative value cannot be set: a warning, and the daemon runs as it was
 * started. Children get the original priority back (src/util/child-priority.ts): `children` of
 * the DaemonPriority that `raise()` returns, which the composition root hands to every subsystem
 * that starts processes.
 *
 * A reload that changes processPriority goes the same way (`change()`): threads, then the
 * autogroup when the daemon leads its session. The original does not change, so children keep
 * getting the priority the daemon was started with; their delta is computed at each start.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import type { Logger } from '../ports/index.js';
import { childPriority, LINUX_CHILD_PRIORITY_HOST, type ChildPriority, type ChildPriorityHost } from '../util/child-priority.js';

export interface PriorityOutcome {
  /** The nice value the daemon had at start, before it changed its own (what children get back). */
  original: number;
  /** What was set, one line each, for an info log. */
  applied: string[];
  /** What could not be set and why, one line each, for warnings. */
  warnings: string[];
}

/** What the operating system offers; the real one by default, a fake in tests. */
export interface PriorityHost {
  getPriority(): number;
  setThreadPriority(tid: number, nice: number): void;
  /** Thread ids of this process. */
  threads(): number[];
  /** Whether this process leads its session (setsid). */
  sessionLeader(): boolean;
  /** The autogroup nice of this session, or undefined without autogroup scheduling. */
  autogroupNice(): number | undefined;
  setAutogroupNice(nice: number): void;
}

export const LINUX_PRIORITY_HOST: PriorityHost = {
  getPriority: () => getPriority(0),
  setThreadPriority: (tid, nice) => setPriority(tid, nice),
  threads: () => readdirSync('/proc/self/task').map(Number),
  sessionLeader: () => sessionOf(readFileSync('/proc/self/stat', 'utf8')) === process.pid,
  autogroupNice: () => {
    let text: string;
    try {
      text = readFileSync('/proc/self/autogroup', 'utf8');
    } catch {
      return undefined; // kernel without CONFIG_SCHED_AUTOGROUP
    }
    const match = /nice (-?\d+)/.exec(text);
    return match ? Number(match[1]) : undefined;
  },
  setAutogroupNice: (nice) => writeFileSync('/proc/self/autogroup', String(nice)),
};

/**
 * The session id from /proc/PID/stat (proc(5): field 6). The command name (field 2) is in
 * parentheses and may itself hold spaces or parentheses: fields are counted after the last ')'.
 */
export function sessionOf(stat: string): number {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); field 6 is rest[3].
  const session = Number(rest[3]);
  if (!Number.isInteger(session)) throw new SyntaxError(`Cannot read the session from /proc/self/stat: "${stat.slice(0, 80)}"`);
  return session;
}

/** The daemon's own priority and, from it, its children's (one per daemon, built at start). */
export class DaemonPriority {
  /** What every process the daemon starts runs at: the original priority, or a target. */
  readonly children: ChildPriority;

  private constructor(
    /** The nice value the daemon had before it changed its own: what its children get back. */
    readonly original: number,
    private readonly host: PriorityHost,
    childHost: ChildPriorityHost,
  ) {
    this.children = childPriority(original, childHost);
  }

  /**
   * At start: records the nice value the daemon has now as the original and sets `nice`
   * (−20..19, validated by the configuration). Never throws.
   */
  static raise(nice: number, host: PriorityHost = LINUX_PRIORITY_HOST, childHost: ChildPriorityHost = LINUX_CHILD_PRIORITY_HOST): { priority: DaemonPriority; outcome: PriorityOutcome } {
    const priority = new DaemonPriority(host.getPriority(), host, childHost);
    return { priority, outcome: priority.change(nice) };
  }

  /**
   * Sets the daemon's priority to `nice`, as at start (a reload that changes processPriority).
   * The original is kept. Never throws.
   */
  change(nice: number): PriorityOutcome {
    const outcome: PriorityOutcome = { original: this.original, applied: [], warnings: [] };
    const before = this.host.getPriority();
    if (nice === before) return outcome;
    const failed = setThreads(nice, this.host);
    if (failed === undefined) outcome.applied.push(`nice ${before} → ${nice}`);
    else outcome.warnings.push(`cannot set the daemon's nice value to ${nice} (${failed}); it runs at ${before}, and may run its VRRP timers late on a loaded machine (needs CAP_SYS_NICE)`);
    setAutogroup(nice, this.host, outcome);
    return outcome;
  }
}

/** The outcome in the log: what was set (info) and what could not be (warn), `what` first. */
export function logPriorityOutcome(outcome: PriorityOutcome, log: Logger, what = 'scheduling priority'): void {
  if (outcome.applied.length > 0) log.log('info', `${what}: ${outcome.applied.join('; ')}`);
  for (const warning of outcome.warnings) log.log('warn', warning);
}

/** Sets every thread; undefined when the main thread was set, else why not. */
function setThreads(nice: number, host: PriorityHost): string | undefined {
  try {
    host.setThreadPriority(0, nice);
  } catch (err) {
    return describe(err);
  }
  let tids: number[] = [];
  try {
    tids = host.threads();
  } catch {
    // without /proc the main thread (the one running the timers) is what matters
  }
  for (const tid of tids) {
    try {
      host.setThreadPriority(tid, nice);
    } catch {
      // a thread that ended meanwhile (ESRCH)
    }
  }
  return undefined;
}

function setAutogroup(nice: number, host: PriorityHost, outcome: PriorityOutcome): void {
  let before: number | undefined;
  try {
    before = host.autogroupNice();
  } catch {
    before = undefined;
  }
  if (before === undefined || before === nice) return;
  let leader = false;
  try {
    leader = host.sessionLeader();
  } catch {
    leader = false;
  }
  if (!leader) {
    outcome.applied.push(`autogroup nice left at ${before}: the daemon shares its session (start it with setsid, as systemd does, for it to count on a busy machine)`);
    return;
  }
  try {
    host.setAutogroupNice(nice);
    outcome.applied.push(`autogroup nice ${before} → ${nice}`);
  } catch (err) {
    outcome.warnings.push(`cannot set the session's autogroup nice value to ${nice} (${describe(err)}); other sessions get as much CPU as the daemon's`);
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
