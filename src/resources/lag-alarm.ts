/**
 * The replication-lag alarm of a resource (issue 14 §4): raised when the lag a kind reports as
 * gauges (`lag_seconds`, `lag_bytes`; directory and postgresql do) stays above a threshold,
 * cleared when it stays back below. Any kind that reports those gauges gets it with no code of
 * its own.
 *
 * Two kinds of hysteresis keep it from flapping: time (over for `forMs` before it is raised,
 * back for `clearAfterMs` before it is cleared) and level (cleared only below CLEAR_LEVEL of the
 * threshold, so a lag hovering at the threshold does not raise, clear, raise). A gauge the
 * resource stops reporting (demoted to a replica, stopped) is no lag: the alarm clears at once,
 * saying why. Pure: the caller passes monotonic time.
 */

export interface LagAlarmConfig {
  /** Raise above this lag_seconds (as ms); absent: seconds are not watched. */
  readonly lagMs?: number;
  /** Raise above this lag_bytes; absent: bytes are not watched. */
  readonly bytes?: number;
  /** Over the threshold this long before the alarm is raised. */
  readonly forMs: number;
  /** Below the clear level this long before it is cleared. */
  readonly clearAfterMs: number;
}

/** Cleared only below this share of the threshold. */
export const CLEAR_LEVEL = 0.8;

export interface LagAlarmState {
  readonly raised: boolean;
  /** Monotonic ms since when the lag has been on the other side (over while clear, back while raised). */
  readonly turningSince?: number;
  /** Monotonic ms of the last raise or clear. */
  readonly changedAt?: number;
  /** What the last raise or clear said. */
  readonly message?: string;
}

export interface LagAlarmStep {
  readonly state: LagAlarmState;
  /** Set when this sample raised or cleared the alarm. */
  readonly change?: 'raised' | 'cleared';
}

export const INITIAL_LAG_ALARM: LagAlarmState = { raised: false };

/** The lag in words, as the event and status say it: "lag 7.2 s (alarm above 5 s), 3.1 MiB". */
export function lagText(config: LagAlarmConfig, gauges: Readonly<Record<string, number>>): string {
  const parts: string[] = [];
  const seconds = gauges['lag_seconds'];
  const bytes = gauges['lag_bytes'];
  if (config.lagMs !== undefined && seconds !== undefined) parts.push(`lag ${round(seconds)} s (alarm above ${round(config.lagMs / 1000)} s)`);
  if (config.bytes !== undefined && bytes !== undefined) parts.push(`${bytes} bytes behind (alarm above ${config.bytes})`);
  return parts.join(', ');
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

type Level = 'over' | 'between' | 'under' | 'unmeasured';

/** Where the sample stands: over a threshold, under every clear level, or in between. */
export function lagLevel(config: LagAlarmConfig, gauges: Readonly<Record<string, number>>): Level {
  const watched: Array<[number | undefined, number | undefined]> = [
    [config.lagMs === undefined ? undefined : config.lagMs / 1000, gauges['lag_seconds']],
    [config.bytes, gauges['lag_bytes']],
  ];
  let measured = false;
  let allUnder = true;
  for (const [threshold, value] of watched) {
    if (threshold === undefined || value === undefined || !Number.isFinite(value)) continue;
    measured = true;
    if (value > threshold) return 'over';
    if (value >= threshold * CLEAR_LEVEL) allUnder = false;
  }
  if (!measured) return 'unmeasured';
  return allUnder ? 'under' : 'between';
}

/** The alarm after one monitor sample taken at `now`. */
export function stepLagAlarm(config: LagAlarmConfig, state: LagAlarmState, gauges: Readonly<Record<string, number>> | undefined, now: number): LagAlarmStep {
  const level = gauges === undefined ? 'unmeasured' : lagLevel(config, gauges);
  if (!state.raised) {
    if (level !== 'over') return { state: { ...state, turningSince: undefined } };
    const since = state.turningSince ?? now;
    if (now - since < config.forMs) return { state: { ...state, turningSince: since } };
    const message = `replication lag over the threshold for ${round((now - since) / 1000)} s: ${lagText(config, gauges ?? {})}`;
    return { state: { raised: true, changedAt: now, message }, change: 'raised' };
  }
  if (level === 'unmeasured') {
    return { state: { raised: false, changedAt: now, message: 'replication lag alarm cleared: the lag is no longer measured here (no longer the source, or stopped)' }, change: 'cleared' };
  }
  if (level !== 'under') return { state: { ...state, turningSince: undefined } };
  const since = state.turningSince ?? now;
  if (now - since < config.clearAfterMs) return { state: { ...state, turningSince: since } };
  const message = `replication lag back below the threshold for ${round((now - since) / 1000)} s: ${lagText(config, gauges ?? {})}`;
  return { state: { raised: false, changedAt: now, message }, change: 'cleared' };
}
