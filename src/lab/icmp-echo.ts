/**
 * ICMP echo request and reply, as the lab's prober sends and reads them on raw sockets
 * (RFC 792 for IPv4, RFC 4443 §4.1–4.2 for IPv6).
 */

export const ICMP_ECHO_REQUEST = 8;
export const ICMP_ECHO_REPLY = 0;
export const ICMPV6_ECHO_REQUEST = 128;
export const ICMPV6_ECHO_REPLY = 129;

/** Payload after the 8-byte header, so the packet looks like any ping. */
const PAYLOAD = Buffer.from('hotstandby-lab-prober...........');

/** RFC 1071 Internet checksum of `data`. */
export function internetChecksum(data: Buffer, initial = 0): number {
  let sum = initial;
  for (let i = 0; i + 1 < data.length; i += 2) sum += data.readUInt16BE(i);
  if (data.length % 2 === 1) sum += (data[data.length - 1] as number) << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/**
 * An echo request with identifier and sequence number. For IPv6 the checksum stays 0: raw
 * ICMPv6 sockets always have the kernel fill it in (RFC 3542 §3.1).
 */
export function encodeEchoRequest(family: 4 | 6, identifier: number, sequence: number): Buffer {
  const packet = Buffer.alloc(8 + PAYLOAD.length);
  packet[0] = family === 4 ? ICMP_ECHO_REQUEST : ICMPV6_ECHO_REQUEST;
  packet.writeUInt16BE(identifier & 0xffff, 4);
  packet.writeUInt16BE(sequence & 0xffff, 6);
  PAYLOAD.copy(packet, 8);
  if (family === 4) packet.writeUInt16BE(internetChecksum(packet), 2);
  return packet;
}

export interface EchoReply {
  identifier: number;
  sequence: number;
}

/**
 * The echo reply in what a raw socket returned, or undefined for anything else. IPv4 raw sockets
 * deliver the IP header first; IPv6 raw sockets deliver the ICMPv6 message alone.
 * Never throws: this is network input.
 */
export function decodeEchoReply(family: 4 | 6, data: Buffer): EchoReply | undefined {
  let offset = 0;
  if (family === 4) {
    if (data.length < 20 || (data[0] as number) >> 4 !== 4) return undefined;
    offset = ((data[0] as number) & 0x0f) * 4;
  }
  if (data.length < offset + 8) return undefined;
  const expected = family === 4 ? ICMP_ECHO_REPLY : ICMPV6_ECHO_REPLY;
  if (data[offset] !== expected || data[offset + 1] !== 0) return undefined;
  return { identifier: data.readUInt16BE(offset + 4), sequence: data.readUInt16BE(offset + 6) };
}
