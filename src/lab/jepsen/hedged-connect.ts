/**
 * A hedged connect, as a client or pooler in front of a hot standby connects: if an attempt has
 * not completed after `hedgeAfterMs`, another one starts beside it (the first is not given up),
 * up to `maxInFlight` at once; the first to complete wins and every other is aborted or, if it
 * completes later, closed. Only the overall `timeoutMs` gives attempts up, so a connect that is
 * merely slow (a loaded machine) still completes: never a livelock of ever-aborted connects.
 *
 * Why: a SYN sent to a virtual IP in the instant between the old holder letting it go (or dying)
 * and the new holder's gratuitous ARP is lost, and the kernel sends it again only after TCP's
 * initial retransmission timeout, 1 s (RFC 6298 §2.1 and §5.7; Linux TCP_TIMEOUT_INIT). A fresh
 * attempt every `hedgeAfterMs` reaches the new holder within that much of its taking the address
 * over. With `maxInFlight` attempts out, the next hedge replaces the oldest attempt whose TCP
 * handshake has not completed (a lost SYN: a fresh one now instead of the kernel's at +3 s), so
 * the attempts stay every `hedgeAfterMs` however long the address is away; an attempt whose
 * handshake completed is never given up before the overall timeout (a slow server is waited for).
 * Once an attempt's transport is up, the wait is the server's: no attempt starts for
 * `maxInFlight × hedgeAfterMs` (more would only load a busy server), then hedging resumes in case
 * that server never answers.
 *
 * Generic over the connection type; the checker's writers (writer-process.ts) pass pg clients,
 * the unit tests a fake connector on a fake clock.
 */
import type { Clock, Timers } from '../../ports/index.js';

/** One attempt in flight. */
export interface ConnectAttempt<T> {
  /** Resolves with the connection, or rejects when this attempt failed. */
  readonly connected: Promise<T>;
  /** Resolves once the transport is up (TCP handshake done); optional. Never needs to settle. */
  readonly established?: Promise<void>;
  /**
   * Gives up the attempt while it is in flight; `connected` should then reject soon. If it
   * resolves anyway (the abort raced the connect), the connection is passed to close(). Only an
   * attempt with `established` that has not resolved is ever replaced this way before the timeout.
   */
  abort(): void;
}

/** What the hedged connect needs from the kind of connection it makes. */
export interface HedgeConnector<T> {
  /** Starts one attempt. A throw counts as a failed attempt. */
  attempt(): ConnectAttempt<T>;
  /** Closes a connection that completed after another attempt had won (or after the timeout). */
  close(connection: T): void;
}

export interface HedgeOptions {
  /** Start another attempt when none has completed this long after the previous one began (ms; Infinity: never). */
  readonly hedgeAfterMs: number;
  /** At most this many attempts in flight at once (≥ 1). */
  readonly maxInFlight: number;
  /** Overall: every attempt still in flight is aborted after this long (ms) and the result is undefined. */
  readonly timeoutMs: number;
}

/** setTimeout on performance.now(): what a client process needs (ms granularity is plenty here). */
export const processTime: Clock & Timers = {
  now: () => performance.now(),
  at: (deadline, fn) => {
    const timer = setTimeout(fn, Math.max(0, deadline - performance.now()));
    return () => clearTimeout(timer);
  },
};

/** Throws a RangeError naming the first bad option. */
export function validateHedgeOptions(options: HedgeOptions): void {
  const { hedgeAfterMs, maxInFlight, timeoutMs } = options;
  if (!(hedgeAfterMs > 0)) throw new RangeError(`hedgeAfterMs must be a positive number of ms (or Infinity), got ${String(hedgeAfterMs)}`);
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1) throw new RangeError(`maxInFlight must be an integer ≥ 1, got ${String(maxInFlight)}`);
  if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs)) throw new RangeError(`timeoutMs must be a positive finite number of ms, got ${String(timeoutMs)}`);
}

/**
 * The first connection any attempt yields, or undefined when every attempt failed (none left in
 * flight) or the overall timeout passed. Never rejects.
 */
export function hedgedConnect<T>(connector: HedgeConnector<T>, options: HedgeOptions, time: Clock & Timers = processTime): Promise<T | undefined> {
  validateHedgeOptions(options);
  const started = time.now();
  /** In flight, oldest first (a Set keeps insertion order). */
  const live = new Set<ConnectAttempt<T>>();
  /** When each attempt in flight had its transport up. */
  const up = new Map<ConnectAttempt<T>, number>();
  const quietMs = options.maxInFlight * options.hedgeAfterMs;
  let done = false;
  let cancelHedge = (): void => undefined;
  let cancelTimeout = (): void => undefined;

  return new Promise<T | undefined>((resolve) => {
    const finish = (winner: T | undefined): void => {
      if (done) return;
      done = true;
      cancelHedge();
      cancelTimeout();
      for (const attempt of live) abortQuietly(attempt);
      live.clear();
      up.clear();
      resolve(winner);
    };

    const failed = (attempt: ConnectAttempt<T> | undefined): void => {
      if (done) return;
      if (attempt !== undefined) {
        if (!live.has(attempt)) return; // replaced by a newer attempt: its failure is expected
        live.delete(attempt);
        up.delete(attempt);
      }
      if (live.size === 0) finish(undefined);
    };

    const launch = (): void => {
      let attempt: ConnectAttempt<T>;
      try {
        attempt = connector.attempt();
      } catch {
        failed(undefined);
        return;
      }
      live.add(attempt);
      attempt.established?.then(() => {
        if (!done && live.has(attempt)) up.set(attempt, time.now());
      }, () => undefined);
      attempt.connected.then((connection) => {
        if (done) {
          closeQuietly(connector, connection);
          return;
        }
        live.delete(attempt);
        finish(connection);
      }, () => failed(attempt));
    };

    // The hedge timer: at started + k·hedgeAfterMs another attempt, unless one in flight had its
    // transport up within quietMs; at maxInFlight, in place of the oldest attempt still without
    // its handshake (none such: every attempt out reached a server, wait for them).
    const hedge = (): void => {
      const now = time.now();
      for (const at of up.values()) if (now - at < quietMs) return;
      if (live.size < options.maxInFlight) {
        launch();
        return;
      }
      const stale = [...live].find((attempt) => attempt.established !== undefined && !up.has(attempt));
      if (stale === undefined) return;
      live.delete(stale);
      abortQuietly(stale);
      launch();
    };
    const armHedge = (k: number): void => {
      if (done || !Number.isFinite(options.hedgeAfterMs)) return;
      cancelHedge = time.at(started + k * options.hedgeAfterMs, () => {
        if (done) return;
        hedge();
        armHedge(k + 1);
      });
    };

    cancelTimeout = time.at(started + options.timeoutMs, () => finish(undefined));
    launch();
    armHedge(1);
  });
}

function abortQuietly<T>(attempt: ConnectAttempt<T>): void {
  try {
    attempt.abort();
  } catch {
    // an attempt that cannot be aborted is left to fail or be closed when it completes
  }
}

function closeQuietly<T>(connector: HedgeConnector<T>, connection: T): void {
  try {
    connector.close(connection);
  } catch {
    // nothing more can be done with a loser
  }
}
