/**
 * Parsing of the control buffer recvmsg fills in (msg_control), for the ancillary data the
 * VRRP sockets ask for. Layout per Linux x86_64/aarch64: struct cmsghdr is an 8-byte cmsg_len
 * (header included), a 4-byte level and a 4-byte type, then the data; each message starts at an
 * 8-byte boundary (CMSG_ALIGN).
 */
import { endianness } from 'node:os';

/** Linux ABI values (the addon's constants agree, see the tests). */
export const IPPROTO_IP = 0;
export const IPPROTO_IPV6 = 41;
export const IP_TTL = 2;
export const IP_PKTINFO = 8;
export const IPV6_PKTINFO = 50;
export const IPV6_HOPLIMIT = 52;

const CMSG_HEADER_LENGTH = 16;
const LITTLE_ENDIAN = endianness() === 'LE';

export interface ControlInfo {
  /** Receiving interface (IP_PKTINFO ipi_ifindex / IPV6_PKTINFO ipi6_ifindex). */
  ifindex?: number;
  /** Destination address of the IP header (ipi_addr / ipi6_addr): its 4 or 16 bytes, a view into `control`. */
  destination?: Buffer;
  /** IP_TTL or IPV6_HOPLIMIT of the received packet. */
  ttl?: number;
}

function readHost32(buf: Buffer, offset: number): number {
  return LITTLE_ENDIAN ? buf.readUInt32LE(offset) : buf.readUInt32BE(offset);
}

/**
 * The fields of interest in a control buffer. Network input: unknown messages are skipped and a
 * truncated or malformed buffer ends the parse, keeping what was read; it never throws.
 */
export function parseControl(control: Buffer): ControlInfo {
  const info: ControlInfo = {};
  let offset = 0;
  while (offset + CMSG_HEADER_LENGTH <= control.length) {
    // cmsg_len is a size_t; the high word is 0 for any real message.
    const high = readHost32(control, offset + (LITTLE_ENDIAN ? 4 : 0));
    const length = readHost32(control, offset + (LITTLE_ENDIAN ? 0 : 4));
    if (high !== 0 || length < CMSG_HEADER_LENGTH || offset + length > control.length) break;
    const level = readHost32(control, offset + 8);
    const type = readHost32(control, offset + 12);
    const data = offset + CMSG_HEADER_LENGTH;
    const dataLength = length - CMSG_HEADER_LENGTH;
    if (level === IPPROTO_IP && type === IP_PKTINFO && dataLength >= 12) {
      // struct in_pktinfo { int ipi_ifindex; in_addr ipi_spec_dst; in_addr ipi_addr; }
      info.ifindex = readHost32(control, data);
      info.destination = control.subarray(data + 8, data + 12);
    } else if (level === IPPROTO_IP && type === IP_TTL && dataLength >= 4) {
      info.ttl = readHost32(control, data);
    } else if (level === IPPROTO_IPV6 && type === IPV6_PKTINFO && dataLength >= 20) {
      // struct in6_pktinfo { in6_addr ipi6_addr; unsigned ipi6_ifindex; }
      info.destination = control.subarray(data, data + 16);
      info.ifindex = readHost32(control, data + 16);
    } else if (level === IPPROTO_IPV6 && type === IPV6_HOPLIMIT && dataLength >= 4) {
      info.ttl = readHost32(control, data);
    }
    offset += (length + 7) & ~7;
  }
  return info;
}
