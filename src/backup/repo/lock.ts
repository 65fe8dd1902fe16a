/**
 * Lock files in `locks/` (design.rst, "Locks"): `{"time":…,"exclusive":…,"hostname":…,
 * "username":…,"pid":…,"uid":…,"gid":…}` (uid and gid omitted when zero, as Go's omitempty does).
 * Stored in the unpacked format; a lock older than 30 minutes, or of a dead process on this
 * host, is stale.
 */
import { formatGoTime, goJsonEncode, parseGoTime, type GoTime } from './go-json.js';

export interface Lock {
  time: GoTime;
  exclusive: boolean;
  hostname: string;
  username: string;
  pid: number;
  uid?: number;
  gid?: number;
}

/** design.rst: "locks with timestamps older than 30 minutes" are stale. */
export const STALE_LOCK_SECONDS = 30 * 60;

export function encodeLock(l: Lock): Buffer {
  return Buffer.from(
    goJsonEncode({
      time: formatGoTime(l.time),
      exclusive: l.exclusive,
      hostname: l.hostname,
      username: l.username,
      pid: l.pid,
      uid: l.uid || undefined,
      gid: l.gid || undefined,
    }),
  );
}

export function decodeLock(json: Uint8Array): Lock {
  const v = JSON.parse(Buffer.from(json).toString('utf8')) as Record<string, unknown>;
  if (typeof v.time !== 'string') throw new TypeError('Lock has no time');
  return {
    time: parseGoTime(v.time),
    exclusive: v.exclusive === true,
    hostname: typeof v.hostname === 'string' ? v.hostname : '',
    username: typeof v.username === 'string' ? v.username : '',
    pid: typeof v.pid === 'number' ? v.pid : 0,
    uid: typeof v.uid === 'number' ? v.uid : 0,
    gid: typeof v.gid === 'number' ? v.gid : 0,
  };
}
