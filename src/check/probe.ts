/**
 * What every kind of health check has in common: one probe run looks at the service once and
 * reports a result. Probes never throw and never reject: every failure is a result whose detail
 * says what went wrong, so a broken check can never take the daemon down.
 */
import type { Clock, Timers } from '../ports/index.js';

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

/** How an attempt reports its result; the first call wins, later ones are ignored. */
export type Settle = (ok: boolean, detail: string) => void;

/**
 * One run of a probe that holds something open (a connection, a request): `start` begins it and
 * reports through `settle`, and returns how to tear it down. The timeout (`timeoutMs` after the
 * start) and the signal settle it too. Whatever settles first wins; the teardown then runs at
 * once, whatever state the attempt is in.
 */
export function settleOnce(
  time: ProbeTime,
  signal: AbortSignal,
  timeoutMs: number,
  timeoutDetail: string,
  start: (settle: Settle) => (() => void) | undefined,
): Promise<ProbeResult> {
  const started = time.clock.now();
  const finish = (ok: boolean, detail: string): ProbeResult => ({ ok, latencyMs: time.clock.now() - started, detail });
  if (signal.aborted) return Promise.resolve(finish(false, abortedDetail(signal)));
  return new Promise<ProbeResult>((resolve) => {
    let settled = false;
    let teardown: (() => void) | undefined;
    const settle: Settle = (ok, detail) => {
      if (settled) return;
      settled = true;
      cancelTimeout();
      signal.removeEventListener('abort', onAbort);
      teardown?.();
      resolve(finish(ok, detail));
    };
    const cancelTimeout = time.timers.at(started + timeoutMs, () => settle(false, timeoutDetail));
    const onAbort = (): void => settle(false, abortedDetail(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    teardown = start(settle);
    // Settled while starting (it could not even begin): nothing else will tear it down.
    if (settled) teardown?.();
  });
}
