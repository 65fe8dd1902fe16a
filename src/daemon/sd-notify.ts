/**
 * systemd's readiness protocol (sd_notify(3)) without libsystemd: one datagram with
 * newline-separated assignments ("READY=1", "STOPPING=1", "STATUS=…") to the unix datagram socket
 * named by $NOTIFY_SOCKET. Node's dgram has no unix datagram sockets, so the native addon's
 * generic socket sends it. Used with `Type=notify` in packaging/hotstandby.service.
 */
import { endianness } from 'node:os';
import type { NativeBinding } from '../net/native.js';

/** Linux AF_UNIX (ABI-stable; the addon does not export it). */
export const AF_UNIX = 1;
/** sizeof(sun_path) in struct sockaddr_un on Linux. */
const SUN_PATH_SIZE = 108;
const SUN_PATH_OFFSET = 2;

/**
 * struct sockaddr_un for $NOTIFY_SOCKET: an absolute path, or '@name' for the abstract namespace
 * (a leading NUL byte instead of '@', and no terminating NUL: the length says where it ends).
 */
export function notifySocketAddress(value: string): Buffer {
  if (typeof value !== 'string') throw new TypeError(`Expected a NOTIFY_SOCKET string, got ${typeof value}`);
  const abstract = value.startsWith('@');
  if (!abstract && !value.startsWith('/')) {
    throw new SyntaxError(`NOTIFY_SOCKET "${value}" is neither an absolute path nor an abstract name ('@…')`);
  }
  const name = Buffer.from(abstract ? value.slice(1) : value, 'utf8');
  // Abstract: the leading NUL plus the name. A path: the path plus its terminating NUL.
  const pathBytes = name.length + 1;
  if (name.length === 0 || pathBytes > SUN_PATH_SIZE || name.includes(0)) {
    throw new RangeError(`NOTIFY_SOCKET "${value}" does not fit a unix socket address (1..${SUN_PATH_SIZE - 1} bytes, no NUL)`);
  }
  const address = Buffer.alloc(SUN_PATH_OFFSET + pathBytes);
  if (endianness() === 'LE') address.writeUInt16LE(AF_UNIX, 0);
  else address.writeUInt16BE(AF_UNIX, 0);
  name.copy(address, abstract ? SUN_PATH_OFFSET + 1 : SUN_PATH_OFFSET);
  return address;
}

/**
 * Sends `state` (e.g. "READY=1", "STOPPING=1", "STATUS=2 instances, web MASTER", or several
 * lines) to the service manager. Returns false when not started by systemd with notification
 * (no NOTIFY_SOCKET), true when sent. Throws when there is a socket but the message cannot be
 * delivered (the caller logs it: a missing READY=1 makes systemd time the start out).
 */
export function sdNotify(state: string, native: Pick<NativeBinding, 'Socket' | 'constants'>, env: NodeJS.ProcessEnv = process.env): boolean {
  if (typeof state !== 'string' || state.length === 0) throw new TypeError(`Expected a non-empty notification, got ${JSON.stringify(state)}`);
  const target = env.NOTIFY_SOCKET;
  if (target === undefined || target === '') return false;
  const address = notifySocketAddress(target);
  const socket = new native.Socket(AF_UNIX, native.constants.SOCK_DGRAM as number, 0);
  try {
    const payload = Buffer.from(state, 'utf8');
    let sent: number;
    try {
      sent = socket.sendTo(payload, address);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw Object.assign(new Error(`Notification to ${target} failed: ${(error as Error).message}`), { code });
    }
    if (sent !== payload.length) {
      throw new Error(`Notification to ${target} was not sent (${sent < 0 ? 'the socket is busy' : `${sent} of ${payload.length} bytes`})`);
    }
    return true;
  } finally {
    socket.close();
  }
}
