/**
 * process check (keepalived vrrp_track_process): counts the live processes that match and is
 * healthy when at least `quorum` do. Matching, by the config's `match`:
 * - name: the process name as the kernel keeps it (/proc/PID/comm, from the stat line), compared
 *   exactly. The kernel truncates names to 15 bytes, so a longer configured name is compared by
 *   its first 15 bytes (as keepalived does).
 * - commandLine: the full command line (/proc/PID/cmdline, arguments joined with single spaces),
 *   compared exactly: a substring match would also count the editor or grep that mentions it.
 * - pidFile: the pid in the file (first line, decimal) must be a live process.
 * Zombies and processes whose exit the process connector reported do not count.
 *
 * /proc/PID/stat is read synchronously: it takes no lock that can block (unlike cmdline, which
 * waits for the target's memory map lock and is read asynchronously), costs ~15 µs, and a whole
 * scan yields to the event loop every STAT_SLICE processes. Async reads cost ~10× more per file.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import type { ProcessCheckConfig } from '../config/check-model.js';
import { abortedDetail, describeError, printable, withDeadline, type Probe, type ProbeResult, type ProbeTime } from './probe.js';

export type ProcessProbeConfig = Pick<ProcessCheckConfig, 'match' | 'quorum' | 'timeoutMs'>;

export interface ProcessProbeOptions {
  /** Default '/proc'. */
  procRoot?: string;
  /** The watcher's knowledge of exits the kernel reported but /proc may not show yet. */
  hasExited?: (pid: number) => boolean;
  /** Appended to every detail, e.g. why the check polls instead of watching events. */
  note?: () => string | undefined;
}

/**
 * 'known': the next run re-checks only the processes counted last time (after one of them
 * exited), and scans everything only if fewer than the quorum are left. 'full': scan everything
 * (the default).
 */
export type ScanScope = 'known' | 'full';

export interface ProcessProbe extends Probe {
  /** The pids the last completed run counted (what an exit event must be checked against). */
  readonly matched: ReadonlySet<number>;
  /** Narrows or widens the next run; 'full' wins over 'known' until a run takes it. */
  requestScope(scope: ScanScope): void;
  /** Whether one process matches now (false when it is gone). */
  matchesPid(pid: number): Promise<boolean>;
  /** Whether a process of this name would match (name matches only; false otherwise). */
  matchesName(comm: string): boolean;
}

/** The kernel keeps TASK_COMM_LEN - 1 bytes of a process name. */
export const COMM_LENGTH = 15;
/** Processes whose stat is read between two yields to the event loop (~0.5 ms). */
const STAT_SLICE = 32;
/** Parallel cmdline reads: bounded so reads stuck on a busy process cannot take the whole thread pool. */
const CMDLINE_CONCURRENCY = 4;
/** A stat line is a few hundred bytes; the name and state come first. */
const STAT_READ_BYTES = 512;

interface Stat {
  comm: string;
  state: string;
}

export function createProcessProbe(config: ProcessProbeConfig, time: ProbeTime, options: ProcessProbeOptions = {}): ProcessProbe {
  const proc = options.procRoot ?? '/proc';
  const hasExited = options.hasExited ?? (() => false);
  const match = config.match;
  const wantedComm = 'name' in match ? truncateComm(match.name) : undefined;
  const statBuffer = Buffer.alloc(STAT_READ_BYTES);
  let matched: ReadonlySet<number> = new Set();
  /** Asked for the next run; undefined = a full scan. */
  let nextScope: ScanScope | undefined;

  /** The stat of a process that is alive (not a zombie, no exit reported), else undefined. */
  const liveStat = (pid: number): Stat | undefined => {
    if (hasExited(pid)) return undefined;
    const stat = parseStat(readStatSync(join(proc, String(pid), 'stat'), statBuffer));
    return stat === undefined || isDead(stat) ? undefined : stat;
  };

  const isMatch = async (pid: number): Promise<boolean> => {
    if ('name' in match) return liveStat(pid)?.comm === wantedComm;
    if ('commandLine' in match) {
      const cmdline = await readFile(join(proc, String(pid), 'cmdline'), 'utf8').catch(() => undefined);
      return cmdline !== undefined && joinCmdline(cmdline) === match.commandLine && liveStat(pid) !== undefined;
    }
    return pid === (await readPidFile(match.pidFile)).pid && liveStat(pid) !== undefined;
  };

  const summary = (pids: number[]): string => {
    pids.sort((a, b) => a - b);
    const shown = pids.length > 0 ? ` (pid ${pids.slice(0, 8).join(', ')}${pids.length > 8 ? ', …' : ''})` : '';
    return `${pids.length} ${pids.length === 1 ? 'process' : 'processes'} ${describeMatch(match)}${shown}, quorum ${config.quorum}`;
  };

  const scanPidFile = async (pidFile: string): Promise<{ pids: number[]; detail: string }> => {
    const { pid, problem } = await readPidFile(pidFile);
    if (pid === undefined) return { pids: [], detail: `pid file ${pidFile}: ${problem}` };
    if (hasExited(pid)) return { pids: [], detail: `pid ${pid} from ${pidFile} has exited` };
    const stat = parseStat(readStatSync(join(proc, String(pid), 'stat'), statBuffer));
    if (stat === undefined) return { pids: [], detail: `pid ${pid} from ${pidFile} is not running` };
    if (isDead(stat)) return { pids: [], detail: `pid ${pid} from ${pidFile} is a zombie` };
    return { pids: [pid], detail: `pid ${pid} (${stat.comm}) from ${pidFile} is running` };
  };

  const scan = async (scope: ScanScope): Promise<{ pids: number[]; detail: string }> => {
    if ('pidFile' in match) return scanPidFile(match.pidFile);
    let candidates: number[];
    if (scope === 'known') {
      candidates = [...matched];
    } else {
      try {
        candidates = (await readdir(proc)).filter((name) => /^\d+$/.test(name)).map(Number);
      } catch (err) {
        return { pids: [], detail: `cannot list ${proc}: ${describeError(err)}` };
      }
    }
    const pids: number[] = [];
    if ('name' in match) {
      for (let i = 0; i < candidates.length; i++) {
        if (i > 0 && i % STAT_SLICE === 0) await yieldToEventLoop();
        const pid = candidates[i] as number;
        if (liveStat(pid)?.comm === wantedComm) pids.push(pid);
      }
    } else {
      await eachBounded(candidates, CMDLINE_CONCURRENCY, async (pid) => {
        if (await isMatch(pid)) pids.push(pid);
      });
    }
    // Too few of the known ones left: a process that started while the quorum was met was not
    // tracked, so only a full scan can tell.
    if (scope === 'known' && pids.length < config.quorum) return scan('full');
    return { pids, detail: summary(pids) };
  };

  return {
    get matched() {
      return matched;
    },
    requestScope(scope) {
      if (nextScope !== 'full') nextScope = scope;
    },
    matchesPid: (pid) => isMatch(pid).catch(() => false),
    matchesName: (comm) => wantedComm !== undefined && truncateComm(comm) === wantedComm,
    async run(signal) {
      const started = time.clock.now();
      const scope = nextScope ?? 'full';
      nextScope = undefined;
      const finish = (ok: boolean, detail: string): ProbeResult => {
        const note = options.note?.();
        return { ok, latencyMs: time.clock.now() - started, detail: note === undefined ? detail : `${detail}; ${note}` };
      };
      if (signal.aborted) return finish(false, abortedDetail(signal));
      const scanned = scan(scope).catch((err: unknown) => ({ pids: [] as number[], detail: `scan failed: ${describeError(err)}` }));
      const outcome = await withDeadline(scanned, started + config.timeoutMs, signal, time);
      if (outcome === 'timeout') return finish(false, `timed out after ${config.timeoutMs} ms reading ${proc}`);
      if (outcome === 'aborted') return finish(false, abortedDetail(signal));
      const { pids, detail } = outcome.done;
      matched = new Set(pids);
      return finish(pids.length >= config.quorum, detail);
    },
  };
}

function isDead(stat: Stat): boolean {
  return stat.state === 'Z' || stat.state === 'X' || stat.state === 'x';
}

function describeMatch(match: ProcessProbeConfig['match']): string {
  if ('name' in match) return `named '${printable(match.name, 64)}'`;
  if ('commandLine' in match) return `with command line '${printable(match.commandLine, 200)}'`;
  return `from ${match.pidFile}`;
}

function truncateComm(name: string): string {
  const bytes = Buffer.from(name, 'utf8');
  return bytes.length <= COMM_LENGTH ? name : bytes.subarray(0, COMM_LENGTH).toString('utf8');
}

/** /proc/PID/cmdline: NUL-terminated arguments; joined with spaces. */
export function joinCmdline(raw: string): string {
  const parts = raw.split('\0');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts.join(' ');
}

/**
 * /proc/PID/stat: "pid (comm) state ...". The name may itself hold spaces and parentheses, so it
 * runs to the last ')'. undefined when the text is not a stat line.
 */
export function parseStat(text: string | undefined): Stat | undefined {
  if (text === undefined) return undefined;
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  if (open < 0 || close < open || close + 2 >= text.length) return undefined;
  return { comm: text.slice(open + 1, close), state: text.charAt(close + 2) };
}

/** The start of a stat file, or undefined when the process is gone. */
function readStatSync(path: string, buffer: Buffer): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const length = readSync(fd, buffer, 0, buffer.length, 0);
    return buffer.toString('utf8', 0, length);
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

async function readPidFile(path: string): Promise<{ pid?: number; problem?: string }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    return { problem: (err as NodeJS.ErrnoException).code ?? describeError(err) };
  }
  const first = text.split('\n', 1)[0]?.trim() ?? '';
  if (!/^\d+$/.test(first) || Number(first) <= 0 || Number(first) > 0x3fffffff) return { problem: `no pid in it ('${printable(first, 40)}')` };
  return { pid: Number(first) };
}

async function eachBounded<T>(items: readonly T[], concurrency: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}
