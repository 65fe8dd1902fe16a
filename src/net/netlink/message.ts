/**
 * The netlink message frame (linux/netlink.h): a 16-byte nlmsghdr in host byte order, then the
 * payload, each message padded to 4 bytes. One datagram may carry several messages (dump parts).
 */
import { NLMSG_ALIGN, NLMSG_HEADER_LENGTH, NLM_F_ACK_TLVS, NLM_F_CAPPED, NLMSGERR_ATTR_MSG } from './constants.js';
import { decodeAttributes } from './attributes.js';
import { readS32, readU16, readU32, writeU16, writeU32 } from './host-order.js';

export interface NetlinkHeader {
  type: number;
  flags: number;
  seq: number;
  /** Port id of the sender (0 for the kernel) or, in requests, of the requester. */
  pid: number;
}

export interface NetlinkMessage extends NetlinkHeader {
  payload: Buffer;
}

/** NLMSG_ALIGN: rounds a length up to the 4-byte boundary. */
export function alignNetlink(length: number): number {
  return (length + NLMSG_ALIGN - 1) & ~(NLMSG_ALIGN - 1);
}

/** One message: header with nlmsg_len filled in, then the payload, padded to 4 bytes. */
export function encodeMessage(header: NetlinkHeader, payload: Buffer): Buffer {
  const length = NLMSG_HEADER_LENGTH + payload.length;
  const buf = Buffer.alloc(alignNetlink(length));
  writeU32(buf, length, 0);
  writeU16(buf, header.type, 4);
  writeU16(buf, header.flags, 6);
  writeU32(buf, header.seq, 8);
  writeU32(buf, header.pid, 12);
  payload.copy(buf, NLMSG_HEADER_LENGTH);
  return buf;
}

export interface DecodedDatagram {
  messages: NetlinkMessage[];
  /** Set when the datagram ended in bytes that are not a whole message (the rest is dropped). */
  malformed?: string;
}

/** Splits a datagram into messages. Never throws: a bad length stops decoding and says why. */
export function decodeMessages(datagram: Buffer): DecodedDatagram {
  const messages: NetlinkMessage[] = [];
  let offset = 0;
  while (offset < datagram.length) {
    const remaining = datagram.length - offset;
    if (remaining < NLMSG_HEADER_LENGTH) {
      return { messages, malformed: `Trailing ${remaining} bytes are shorter than a netlink header` };
    }
    const length = readU32(datagram, offset);
    if (length < NLMSG_HEADER_LENGTH || length > remaining) {
      return { messages, malformed: `Netlink message length ${length} does not fit the ${remaining} bytes left` };
    }
    messages.push({
      type: readU16(datagram, offset + 4),
      flags: readU16(datagram, offset + 6),
      seq: readU32(datagram, offset + 8),
      pid: readU32(datagram, offset + 12),
      payload: datagram.subarray(offset + NLMSG_HEADER_LENGTH, offset + length),
    });
    offset += alignNetlink(length);
  }
  return { messages };
}

export interface ErrorPayload {
  /** Positive errno; 0 means this is an acknowledgement. */
  errno: number;
  /** The header of the request being answered, when echoed. */
  request?: NetlinkHeader;
  /** Extended-ack explanation (needs NETLINK_EXT_ACK on the socket). */
  kernelMessage?: string;
}

/** The payload of NLMSG_ERROR: s32 -errno, the echoed request, optional extended-ack attributes. */
export function decodeErrorPayload(message: NetlinkMessage): ErrorPayload | undefined {
  const p = message.payload;
  if (p.length < 4) return undefined;
  // The kernel sends -errno; abs() also keeps a positive value an error rather than an ACK.
  const result: ErrorPayload = { errno: Math.abs(readS32(p, 0)) };
  if (p.length < 4 + NLMSG_HEADER_LENGTH) return result;
  const echoedLength = readU32(p, 4);
  result.request = { type: readU16(p, 8), flags: readU16(p, 10), seq: readU32(p, 12), pid: readU32(p, 16) };
  if ((message.flags & NLM_F_ACK_TLVS) !== 0) {
    // With NLM_F_CAPPED only the echoed header is present, otherwise the whole request.
    const echoed = (message.flags & NLM_F_CAPPED) !== 0 ? NLMSG_HEADER_LENGTH : alignNetlink(echoedLength);
    const tlvStart = 4 + echoed;
    if (tlvStart <= p.length) {
      const text = decodeAttributes(p.subarray(tlvStart)).string(NLMSGERR_ATTR_MSG);
      if (text) result.kernelMessage = text;
    }
  }
  return result;
}

/** NLMSG_DONE may carry an s32 -errno when the dump itself failed; returns the positive errno or 0. */
export function decodeDoneErrno(message: NetlinkMessage): number {
  return message.payload.length >= 4 ? Math.max(0, -readS32(message.payload, 0)) : 0;
}
