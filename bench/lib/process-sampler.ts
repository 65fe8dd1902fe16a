/**
 * CPU time and memory of a daemon and its child processes, from /proc: utime + stime of
 * /proc/PID/stat (clock ticks) and VmRSS of /proc/PID/status. keepalived runs as a parent and a
 * VRRP child; hotstandby as one Node process. Both are measured as their whole process tree.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';

/** Clock ticks per second of the /proc times (USER_HZ, almost always 100). */
export function clockTicksPerSecond(): number {
  try {
    const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isInteger(value) && value > 0 ? value : 100;
  } catch {
    return 100;
  }
}

interface ProcStat {
  ppid: number;
  /** Clock ticks in user and in kernel mode. */
  utime: number;
  stime: number;
}

function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) is in parentheses and may contain spaces: parse after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15 (proc(5)).
  const ppid = Number(fields[1]);
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isFinite(ppid) && Number.isFinite(utime) && Number.isFinite(stime) ? { ppid, utime, stime } : undefined;
}

/** VmRSS, and its anonymous part (RssAnon: the process's own memory, not mapped files). */
function readMemoryKb(pid: number): { rssKb: number; anonKb: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, 'm').exec(status)?.[1] ?? 0);
    return { rssKb: field('VmRSS'), anonKb: field('RssAnon') };
  } catch {
    return { rssKb: 0, anonKb: 0 };
  }
}

/** `root` and every descendant alive now. */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const stat = readStat(pid);
    if (!stat) continue;
    const list = children.get(stat.ppid) ?? [];
    list.push(pid);
    children.set(stat.ppid, list);
  }
  const tree: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    if (tree.includes(pid)) continue;
    tree.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return tree.filter((pid) => readStat(pid) !== undefined);
}

export interface ProcessSample {
  at: number;
  /** CPU ticks per pid. */
  ticks: Map<number, { utime: number; stime: number }>;
  rssKb: number;
  anonKb: number;
}

export function sampleProcesses(pids: readonly number[]): ProcessSample {
  const ticks = new Map<number, { utime: number; stime: number }>();
  let rssKb = 0;
  let anonKb = 0;
  for (const pid of pids) {
    const stat = readStat(pid);
    if (!stat) continue;
    ticks.set(pid, { utime: stat.utime, stime: stat.stime });
    const memory = readMemoryKb(pid);
    rssKb += memory.rssKb;
    anonKb += memory.anonKb;
  }
  return { at: performance.now(), ticks, rssKb, anonKb };
}

export interface ProcessUsage {
  pids: number[];
  seconds: number;
  /** CPU time over wall time: 1.0 is one core fully busy. */
  cpuShare: number;
  /** The part of cpuShare spent in user mode and in the kernel (system calls, packet sending). */
  userShare: number;
  systemShare: number;
  /** Sum of the processes' resident set sizes: maximum and last of the samples, MiB. */
  rssMaxMb: number;
  rssEndMb: number;
  /**
   * The anonymous part of the RSS at its maximum, MiB: memory of the daemon's own. The rest is
   * mapped files (for hotstandby mostly the node binary's code, shared with every node process).
   */
  anonMaxMb: number;
}

/**
 * Samples a process tree from now until stop(): CPU from the tick deltas of the processes present
 * at both ends, RSS every `rssEveryMs`.
 */
export class ProcessWindow {
  private readonly pids: number[];
  private readonly first: ProcessSample;
  private readonly rss: number[] = [];
  private readonly anon: number[] = [];
  private readonly timer: NodeJS.Timeout;
  private readonly ticksPerSecond = clockTicksPerSecond();

  constructor(root: number, rssEveryMs = 2000) {
    this.pids = processTree(root);
    this.first = sampleProcesses(this.pids);
    this.record(this.first);
    this.timer = setInterval(() => this.record(sampleProcesses(this.pids)), rssEveryMs);
    this.timer.unref();
  }

  stop(): ProcessUsage {
    clearInterval(this.timer);
    const last = sampleProcesses(this.pids);
    this.record(last);
    let user = 0;
    let system = 0;
    for (const [pid, end] of last.ticks) {
      const start = this.first.ticks.get(pid);
      if (start === undefined) continue;
      user += end.utime - start.utime;
      system += end.stime - start.stime;
    }
    const seconds = (last.at - this.first.at) / 1000;
    const share = (ticks: number): number => (seconds > 0 ? ticks / this.ticksPerSecond / seconds : Number.NaN);
    return {
      pids: this.pids,
      seconds,
      cpuShare: share(user + system),
      userShare: share(user),
      systemShare: share(system),
      rssMaxMb: Math.max(...this.rss) / 1024,
      rssEndMb: last.rssKb / 1024,
      anonMaxMb: Math.max(...this.anon) / 1024,
    };
  }

  private record(sample: ProcessSample): void {
    this.rss.push(sample.rssKb);
    this.anon.push(sample.anonKb);
  }
}
