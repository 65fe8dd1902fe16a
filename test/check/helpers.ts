/** Shared bits of the check tests: real time on libuv timers, a logger that keeps lines, host-order integers. */
import { endianness } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { Clock, Logger, LogLevel, Timers } from '../../src/ports/index.js';

export const realTime: Clock & Timers = {
  now: () => performance.now(),
  at(deadline, fn) {
    const handle = setTimeout(fn, Math.max(0, Math.ceil(deadline - performance.now())));
    return () => clearTimeout(handle);
  },
};

export interface KeptLine {
  level: LogLevel;
  message: string;
  fields: Record<string, unknown>;
}

export function keepingLogger(lines: KeptLine[] = []): Logger & { lines: KeptLine[] } {
  const logger = {
    lines,
    log(level: LogLevel, message: string, fields: Record<string, unknown> = {}) {
      lines.push({ level, message, fields });
    },
    child() {
      return logger;
    },
  };
  return logger;
}

/** Polls `condition` every few ms until it holds or the (generous) deadline passes. */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Real time as the probes take it. */
export const probeTime = { clock: realTime, timers: realTime };

/** Netlink (the proc connector) speaks the host's byte order. */
export const LE = endianness() === 'LE';

/** `values` as consecutive 32-bit unsigned integers in host byte order. */
export function u32(...values: number[]): Buffer {
  const buf = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => (LE ? buf.writeUInt32LE(v >>> 0, i * 4) : buf.writeUInt32BE(v >>> 0, i * 4)));
  return buf;
}
