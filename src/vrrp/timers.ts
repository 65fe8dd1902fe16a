/**
 * The protocol's timer formulas, in milliseconds.
 * RFC 3768 §6.1 (v2: seconds) and RFC 5798 §6.1 (v3: centiseconds, scaled by the learned interval).
 */
import type { VrrpVersion } from './advert.js';

/** RFC 3768 §6.1 / RFC 5798 §6.1: the default multiplier of Master_Down_Interval. */
export const DOWN_TIMER_ADVERTS = 3;

/**
 * Skew_Time: how much longer a lower-priority backup waits, so the best backup wins the race.
 * v2 (RFC 3768 §6.1): (256 - Priority) / 256 seconds, independent of the interval.
 * v3 (RFC 5798 §6.1): ((256 - Priority) * Master_Adver_Interval) / 256.
 */
export function skewTimeMs(version: VrrpVersion, priority: number, masterAdverIntervalMs: number): number {
  const share = (256 - priority) / 256;
  return version === 2 ? share * 1000 : share * masterAdverIntervalMs;
}

/** Master_Down_Interval = 3 * Master_Adver_Interval + Skew_Time (RFC 3768 §6.1, RFC 5798 §6.1). */
export function masterDownIntervalMs(
  version: VrrpVersion,
  priority: number,
  masterAdverIntervalMs: number,
  downTimerAdverts: number = DOWN_TIMER_ADVERTS,
): number {
  return downTimerAdverts * masterAdverIntervalMs + skewTimeMs(version, priority, masterAdverIntervalMs);
}
