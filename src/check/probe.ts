/**
 * What every kind of health check has in common: one probe run looks at the service once and
 * reports a result. Probes never throw and never reject: every failure is a result whose detail
 * says what went wrong, so a broken check can never take the daemon down.
 */
import type { Clock, Timers } from '../daemon/ports.js';

export interface ProbeResult {
  ok: boolean;
  /** How long the run took (monotonic ms). */
  latencyMs: number;
  /** One line a person can act on: "HTTP 503, expected 200-299", "timed out after 1000 ms". */
  detail: string;
  /** File checks only: the number read (0 when missing, unreadable or not a number). */
  value?: number;
}

export interface Probe {
  /**
   * Runs once. The signal cancels the run (daemon stopping, runner backstop); the probe enforces
   * its own configured timeout. Resolves, never rejects.
   */
  run(signal: AbortSignal): Promise<ProbeResult>;
}

/** The time sources a probe needs: latency from the clock, its timeout from the timers. */
export interface ProbeTime {
  clock: Clock;
  timers: Timers;
}

/** Error text without stack: the errno code and message as Node gives them. */
export function describeError(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code !== undefined && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

/** Detail used when the signal aborted a run before it finished. */
export function abortedDetail(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  return reason instanceof Error && reason.message !== '' ? `aborted: ${reason.message}` : 'aborted';
}

/** Makes text safe for a one-line detail: control bytes escaped, length bounded. */
export function printable(text: string, maxLength = 512): string {
  // eslint-disable-next-line no-control-regex
  const cleaned = text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  const oneLine = cleaned.trim().replace(/\s*\n\s*/g, ' | ');
  return oneLine.length > maxLength ? `${oneLine.slice(0, maxLength - 1)}…` : oneLine;
}

/**
 * Waits for `work` until the deadline (started + timeoutMs) or the signal, whichever comes first.
 * The work itself is not cancelled (async file reads cannot be); its late result is dropped.
 */
export async function withDeadline<T>(
  work: Promise<T>,
  deadline: number,
  signal: AbortSignal,
  time: ProbeTime,
): Promise<{ done: T } | 'timeout' | 'aborted'> {
  if (signal.aborted) return 'aborted';
  let cancelTimer = (): void => {};
  let onAbort = (): void => {};
  const stop = new Promise<'timeout' | 'aborted'>((resolve) => {
    cancelTimer = time.timers.at(deadline, () => resolve('timeout'));
    onAbort = () => resolve('aborted');
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([work.then((done) => ({ done })), stop]);
  } finally {
    cancelTimer();
    signal.removeEventListener('abort', onAbort);
  }
}
