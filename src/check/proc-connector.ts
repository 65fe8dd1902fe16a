/**
 * The kernel's process events connector (linux/connector.h, linux/cn_proc.h): messages to
 * subscribe and the events it multicasts (fork, exec, comm change, exit). Everything is in host
 * byte order. A datagram is nlmsghdr + struct cn_msg (20 bytes) + struct proc_event:
 *   proc_event: u32 what, u32 cpu, u64 timestamp_ns, then the event_data union at offset 16.
 * Decoding is network input: it never throws, and what it cannot read it skips with a reason.
 */
import { NLMSG_DONE } from '../net/netlink/constants.js';
import { readS32, readU16, readU32, writeU16, writeU32 } from '../net/netlink/host-order.js';
import { decodeMessages, encodeMessage } from '../net/netlink/message.js';

export const NETLINK_CONNECTOR = 11;
/** The connector id (idx, val) of process events; idx is also the multicast group to bind. */
export const CN_IDX_PROC = 1;
export const CN_VAL_PROC = 1;

export const PROC_CN_MCAST_LISTEN = 1;
export const PROC_CN_MCAST_IGNORE = 2;

/** proc_event.what values (a bit each). */
export const PROC_EVENT_NONE = 0x0;
export const PROC_EVENT_FORK = 0x1;
export const PROC_EVENT_EXEC = 0x2;
export const PROC_EVENT_COMM = 0x200;
export const PROC_EVENT_EXIT = 0x80000000;

export const CN_MSG_LENGTH = 20;
/** what, cpu, timestamp_ns: the union starts after them. */
const EVENT_DATA_OFFSET = 16;
const TASK_COMM_LENGTH = 16;

export type ProcEvent =
  /**
   * The kernel's answer to a subscribe request, multicast to every listener. The kernel
   * overwrites cn_msg.seq with its own counter but answers cn_msg.ack with the request's ack + 1:
   * `ack` is that field, to tell our answer from another process's. err is an errno (0 = subscribed).
   */
  | { type: 'ack'; err: number; ack: number }
  /** A new task; a new process (not a thread) when childPid === childTgid. */
  | { type: 'fork'; parentPid: number; parentTgid: number; childPid: number; childTgid: number }
  | { type: 'exec'; pid: number; tgid: number }
  /** The task's name (comm) changed, e.g. prctl(PR_SET_NAME). */
  | { type: 'comm'; pid: number; tgid: number; comm: string }
  /** A task ended; the whole process when pid === tgid (its leader). */
  | { type: 'exit'; pid: number; tgid: number; exitCode: number; exitSignal: number }
  /** uid / gid / sid / ptrace / coredump changes: not used here. */
  | { type: 'other'; what: number };

/**
 * One subscribe (LISTEN) or unsubscribe (IGNORE) request: the old 4-byte form every kernel
 * accepts (newer ones also take an event filter). `token` goes in cn_msg.ack; the kernel's
 * acknowledgement carries token + 1.
 */
export function encodeMcastOp(op: typeof PROC_CN_MCAST_LISTEN | typeof PROC_CN_MCAST_IGNORE, token = 0): Buffer {
  const payload = Buffer.alloc(CN_MSG_LENGTH + 4);
  writeU32(payload, CN_IDX_PROC, 0);
  writeU32(payload, CN_VAL_PROC, 4);
  writeU32(payload, 0, 8); // seq
  writeU32(payload, token, 12); // ack
  writeU16(payload, 4, 16); // len of the data that follows
  writeU16(payload, 0, 18); // flags
  writeU32(payload, op, CN_MSG_LENGTH);
  return encodeMessage({ type: NLMSG_DONE, flags: 0, seq: 0, pid: 0 }, payload);
}

export interface DecodedProcEvents {
  events: ProcEvent[];
  /** Why some bytes were skipped (short or foreign messages), when any were. */
  malformed?: string;
}

/** All process events of one datagram, in order. */
export function decodeProcEvents(datagram: Buffer): DecodedProcEvents {
  const { messages, malformed } = decodeMessages(datagram);
  const events: ProcEvent[] = [];
  const problems: string[] = malformed !== undefined ? [malformed] : [];
  for (const message of messages) {
    const payload = message.payload;
    if (payload.length < CN_MSG_LENGTH) {
      problems.push(`Connector message of ${payload.length} bytes is shorter than cn_msg`);
      continue;
    }
    if (readU32(payload, 0) !== CN_IDX_PROC || readU32(payload, 4) !== CN_VAL_PROC) {
      problems.push(`Connector message for id ${readU32(payload, 0)}/${readU32(payload, 4)} is not a process event`);
      continue;
    }
    const length = Math.min(readU16(payload, 16), payload.length - CN_MSG_LENGTH);
    const event = decodeProcEvent(payload.subarray(CN_MSG_LENGTH, CN_MSG_LENGTH + length));
    if (typeof event === 'string') problems.push(event);
    else events.push(event.type === 'ack' ? { ...event, ack: readU32(payload, 12) } : event);
  }
  return problems.length > 0 ? { events, malformed: problems.join('; ') } : { events };
}

/** One struct proc_event, or why it cannot be read (an ack's ack field comes from cn_msg: 0 here). */
export function decodeProcEvent(data: Buffer): ProcEvent | string {
  if (data.length < EVENT_DATA_OFFSET) return `Process event of ${data.length} bytes is shorter than its header`;
  const what = readU32(data, 0);
  const need = (bytes: number): boolean => data.length >= EVENT_DATA_OFFSET + bytes;
  const at = (index: number): number => readS32(data, EVENT_DATA_OFFSET + 4 * index);
  const short = (name: string): string => `Process ${name} event of ${data.length} bytes is too short`;
  switch (what) {
    case PROC_EVENT_NONE:
      return need(4) ? { type: 'ack', err: readU32(data, EVENT_DATA_OFFSET), ack: 0 } : short('ack');
    case PROC_EVENT_FORK:
      return need(16) ? { type: 'fork', parentPid: at(0), parentTgid: at(1), childPid: at(2), childTgid: at(3) } : short('fork');
    case PROC_EVENT_EXEC:
      return need(8) ? { type: 'exec', pid: at(0), tgid: at(1) } : short('exec');
    case PROC_EVENT_COMM: {
      if (!need(8 + TASK_COMM_LENGTH)) return short('comm');
      const raw = data.subarray(EVENT_DATA_OFFSET + 8, EVENT_DATA_OFFSET + 8 + TASK_COMM_LENGTH);
      const end = raw.indexOf(0);
      return { type: 'comm', pid: at(0), tgid: at(1), comm: raw.subarray(0, end < 0 ? raw.length : end).toString('utf8') };
    }
    case PROC_EVENT_EXIT:
      return need(16) ? { type: 'exit', pid: at(0), tgid: at(1), exitCode: at(2) >>> 0, exitSignal: at(3) >>> 0 } : short('exit');
    default:
      return { type: 'other', what };
  }
}

/** Builds the datagram the kernel would send for an event (tests and fakes). */
export function encodeProcEventDatagram(what: number, eventData: Buffer, options: { cpu?: number; ack?: number } = {}): Buffer {
  const event = Buffer.alloc(EVENT_DATA_OFFSET + eventData.length);
  writeU32(event, what, 0);
  writeU32(event, options.cpu ?? 0, 4);
  eventData.copy(event, EVENT_DATA_OFFSET);
  const payload = Buffer.alloc(CN_MSG_LENGTH + event.length);
  writeU32(payload, CN_IDX_PROC, 0);
  writeU32(payload, CN_VAL_PROC, 4);
  writeU32(payload, options.ack ?? 0, 12);
  writeU16(payload, event.length, 16);
  event.copy(payload, CN_MSG_LENGTH);
  return encodeMessage({ type: NLMSG_DONE, flags: 0, seq: 0, pid: 0 }, payload);
}
