/**
 * Where the packet work of a transfer ran, from /proc: softirq time per CPU (/proc/stat's cpuN
 * lines, column 7), the CPU time of each ksoftirqd/N thread, and which CPU a process's main
 * thread was on, sampled (/proc/PID/stat field 39, "processor"; proc(5)). Used by
 * bench/tcp-pipe.ts to see where a transfer's packet work and its two ends ran: in this 2-core
 * lab a transfer with both ends on one CPU takes about 1.4x as long (docs/replication.md).
 */
import { readFileSync, readdirSync } from 'node:fs';
import { clockTicksPerSecond } from './process-sampler.js';

const TICKS = clockTicksPerSecond();

/** Softirq seconds per CPU, in CPU order. */
export function softirqByCpu(): number[] {
  return readFileSync('/proc/stat', 'utf8')
    .split('\n')
    .filter((line) => /^cpu\d+ /.test(line))
    .map((line) => Number(line.trim().split(/\s+/)[7]) / TICKS);
}

/** Fields after the command name of /proc/PID/stat; [0] is field 3 (proc(5)). */
function statFields(path: string): string[] | undefined {
  try {
    const text = readFileSync(path, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) of each ksoftirqd/N thread, by N. */
export function ksoftirqdSeconds(): Record<string, number> {
  const out: Record<string, number> = {};
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let comm: string;
    try {
      comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    const cpu = /^ksoftirqd\/(\d+)$/.exec(comm)?.[1];
    const fields = cpu === undefined ? undefined : statFields(`/proc/${entry}/stat`);
    if (cpu !== undefined && fields !== undefined) out[cpu] = (Number(fields[11]) + Number(fields[12])) / TICKS;
  }
  return out;
}

/** The CPU a process's main thread last ran on, or undefined once it is gone. */
export function processorOf(pid: number): number | undefined {
  const fields = statFields(`/proc/${pid}/stat`);
  return fields === undefined ? undefined : Number(fields[36]);
}

/** Counts, per CPU, the samples of `processorOf(pid)` until `stop()`: where the process ran. */
export function sampleProcessor(pid: number, everyMs: number): { stop(): number[] } {
  const counts: number[] = [];
  const timer = setInterval(() => {
    const cpu = processorOf(pid);
    if (cpu !== undefined) counts[cpu] = (counts[cpu] ?? 0) + 1;
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return Array.from(counts, (n) => n ?? 0);
    },
  };
}

/** Samples, every `everyMs`, whether two processes' main threads were last on the same CPU. */
export function sampleSharing(a: number, b: number, everyMs: number): { stop(): { same: number; apart: number } } {
  const seen = { same: 0, apart: 0 };
  const timer = setInterval(() => {
    const [cpuA, cpuB] = [processorOf(a), processorOf(b)];
    if (cpuA !== undefined && cpuB !== undefined) seen[cpuA === cpuB ? 'same' : 'apart']++;
  }, everyMs);
  return {
    stop() {
      clearInterval(timer);
      return seen;
    },
  };
}

export function minus(after: number[], before: number[]): number[] {
  return after.map((value, i) => Math.round((value - (before[i] ?? 0)) * 100) / 100);
}
