/**
 * A request the kernel refused (NLMSG_ERROR with a negative errno), did not answer in time, or
 * could not be sent. `code` is the errno name so callers can branch on meaning
 * (e.g. `err.code === 'EEXIST'`).
 */
import { constants as osConstants } from 'node:os';

const ERRNO_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(osConstants.errno).map(([name, value]) => [value, name]),
);

/** The C name of a positive errno ('EEXIST' for 17), or 'E<number>' when unknown. */
export function errnoName(errno: number): string {
  return ERRNO_NAMES.get(errno) ?? `E${errno}`;
}

/** The errno for a C name, e.g. 110 for 'ETIMEDOUT'. */
export function errnoNumber(name: keyof typeof osConstants.errno): number {
  return osConstants.errno[name];
}

export class NetlinkError extends Error {
  /** Positive errno. */
  readonly errno: number;
  /** Errno name, e.g. 'EEXIST', 'EADDRNOTAVAIL', 'ENODEV', 'ETIMEDOUT'. */
  readonly code: string;
  /** What was asked, e.g. 'RTM_NEWADDR 10.99.0.10/32 on ifindex 3'. */
  readonly operation: string;
  /** The kernel's extended-ack text when it gave one (e.g. 'Invalid prefix length'). */
  readonly kernelMessage: string | undefined;

  /**
   * kernelMessage: the extended-ack text; reason: our own explanation when the kernel gave none
   * (timeouts, send failures). Either is appended to the message in parentheses.
   */
  constructor(errno: number, operation: string, details: { kernelMessage?: string; reason?: string } = {}) {
    const code = errnoName(errno);
    const why = details.kernelMessage ?? details.reason;
    super(`Netlink request ${operation} failed: ${code}${why ? ` (${why})` : ''}`);
    const kernelMessage = details.kernelMessage;
    this.name = 'NetlinkError';
    this.errno = errno;
    this.code = code;
    this.operation = operation;
    this.kernelMessage = kernelMessage;
  }
}

/** True when err is a NetlinkError, optionally with the given errno name. */
export function isNetlinkError(err: unknown, code?: string): err is NetlinkError {
  return err instanceof NetlinkError && (code === undefined || err.code === code);
}
