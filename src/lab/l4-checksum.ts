/**
 * Completing TCP/UDP checksums of frames read from a veth. The sending host leaves them to
 * "hardware" (checksum offload): a packet socket then sees only the pseudo-header sum, and a frame
 * re-sent as is would be dropped by the receiver. The relay therefore recomputes them
 * (RFC 793 §3.1, RFC 768, RFC 8200 §8.1 pseudo-headers).
 */
import { internetChecksum } from './icmp-echo.js';

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERNET_HEADER = 14;
const PROTOCOL_TCP = 6;
const PROTOCOL_UDP = 17;

function checksumFieldOffset(protocol: number): number | undefined {
  if (protocol === PROTOCOL_TCP) return 16;
  if (protocol === PROTOCOL_UDP) return 6;
  return undefined;
}

function pseudoHeaderSum(source: Buffer, destination: Buffer, protocol: number, length: number): number {
  let sum = 0;
  for (const address of [source, destination]) {
    for (let i = 0; i + 1 < address.length; i += 2) sum += address.readUInt16BE(i);
  }
  // IPv4: zero, protocol, 16-bit length; IPv6: 32-bit length, 24 zero bits, next header.
  return sum + protocol + (length & 0xffff) + Math.floor(length / 0x10000);
}

/**
 * Rewrites the TCP or UDP checksum of an Ethernet frame in place. Frames of other kinds,
 * fragments, IPv6 with extension headers and truncated frames are left alone. Never throws.
 */
export function completeTransportChecksum(frame: Buffer): void {
  if (frame.length < ETHERNET_HEADER + 20) return;
  const etherType = frame.readUInt16BE(12);
  let protocol: number;
  let segmentStart: number;
  let segmentLength: number;
  let source: Buffer;
  let destination: Buffer;
  if (etherType === ETHERTYPE_IPV4) {
    const ip = ETHERNET_HEADER;
    const headerLength = ((frame[ip] as number) & 0x0f) * 4;
    const totalLength = frame.readUInt16BE(ip + 2);
    const fragment = frame.readUInt16BE(ip + 6);
    if ((fragment & 0x3fff) !== 0 || headerLength < 20 || ip + totalLength > frame.length) return;
    protocol = frame[ip + 9] as number;
    segmentStart = ip + headerLength;
    segmentLength = totalLength - headerLength;
    source = frame.subarray(ip + 12, ip + 16);
    destination = frame.subarray(ip + 16, ip + 20);
  } else if (etherType === ETHERTYPE_IPV6) {
    const ip = ETHERNET_HEADER;
    if (frame.length < ip + 40) return;
    protocol = frame[ip + 6] as number;
    segmentStart = ip + 40;
    segmentLength = frame.readUInt16BE(ip + 4);
    if (segmentStart + segmentLength > frame.length) return;
    source = frame.subarray(ip + 8, ip + 24);
    destination = frame.subarray(ip + 24, ip + 40);
  } else {
    return;
  }
  const field = checksumFieldOffset(protocol);
  if (field === undefined || segmentLength < field + 2) return;
  const segment = frame.subarray(segmentStart, segmentStart + segmentLength);
  segment.writeUInt16BE(0, field);
  let checksum = internetChecksum(segment, pseudoHeaderSum(source, destination, protocol, segmentLength));
  // RFC 768: a computed UDP checksum of zero is sent as all ones (zero means "none").
  if (protocol === PROTOCOL_UDP && checksum === 0) checksum = 0xffff;
  segment.writeUInt16BE(checksum, field);
}
