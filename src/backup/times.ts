/**
 * Nanosecond file times. Node's utimes takes seconds as a double, which cannot carry every
 * nanosecond of a present-day time; the native addon's utimensat(2) can. Until the addon has it,
 * callers fall back to utimes.
 */
import type { GoTime } from './repo/go-json.js';

/** Sets atime and mtime exactly; false when no exact way is available here. */
export function setTimesNs(_path: string, _atime: GoTime, _mtime: GoTime, _noFollow: boolean): boolean {
  return false;
}
