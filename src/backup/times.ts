/**
 * Nanosecond file times. Node's utimes takes seconds as a double, which cannot carry every
 * nanosecond of a present-day time; the native addon's utimensat(2) can. Without the addon,
 * callers fall back to utimes (sub-microsecond rounding).
 */
import { backupNative } from './native.js';
import type { GoTime } from './repo/go-json.js';
import { fsPath } from './repo/names.js';

/** Sets atime and mtime exactly; false when no exact way is available here. */
export function setTimesNs(path: string, atime: GoTime, mtime: GoTime, noFollow: boolean): boolean {
  const setFileTimes = backupNative()?.setFileTimes;
  if (!setFileTimes) return false;
  setFileTimes(fsPath(path), atime.sec, atime.nsec, mtime.sec, mtime.nsec, noFollow);
  return true;
}
