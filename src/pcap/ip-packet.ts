/**
 * Parses the IPv4 / IPv6 header of a captured packet down to what VRRP receive checks need:
 * addresses, TTL / hop limit, the upper-layer protocol and its payload.
 * Network input: never throws, says why a packet cannot be used instead.
 */
import type { AddressFamily } from '../vrrp/advert.js';
import { formatIpv4, formatIpv6 } from '../vrrp/ip-address.js';
import { skip, type PacketSkip } from './packet-skip.js';

export interface IpPacket {
  family: AddressFamily;
  source: string;
  destination: string;
  /** IPv4 TTL or IPv6 hop limit. */
  ttl: number;
  /** IPv4 protocol or the IPv6 next header after the extension headers. */
  protocol: number;
  /** The upper-layer bytes, without link-layer padding (a view into the captured frame). */
  payload: Buffer;
}

export type IpPacketResult = { ok: true; packet: IpPacket } | PacketSkip;

/** Where the fixed header keeps the fields both families have. */
interface HeaderLayout {
  family: AddressFamily;
  source: number;
  destination: number;
  /** IPv4 TTL, IPv6 hop limit. */
  ttl: number;
  formatAddress: (buffer: Buffer, offset: number) => string;
}

/** RFC 791 §3.1. */
const IPV4_LAYOUT: HeaderLayout = { family: 4, source: 12, destination: 16, ttl: 8, formatAddress: formatIpv4 };
/** RFC 8200 §3. */
const IPV6_LAYOUT: HeaderLayout = { family: 6, source: 8, destination: 24, ttl: 7, formatAddress: formatIpv6 };

const IPV4_MIN_HEADER = 20;
const IPV4_MORE_FRAGMENTS = 0x2000;
const IPV4_FRAGMENT_OFFSET = 0x1fff;

const IPV6_HEADER = 40;
const IPV6_HOP_BY_HOP = 0;
const IPV6_ROUTING = 43;
const IPV6_FRAGMENT = 44;
const IPV6_AUTHENTICATION = 51;
const IPV6_DESTINATION_OPTIONS = 60;
const IPV6_MOBILITY = 135;
const IPV6_HIP = 139;
const IPV6_SHIM6 = 140;
/** RFC 8200 §4: extension headers whose length byte counts 8-octet units beyond the first 8. */
const IPV6_GENERIC_EXTENSIONS = new Set([
  IPV6_HOP_BY_HOP,
  IPV6_ROUTING,
  IPV6_DESTINATION_OPTIONS,
  IPV6_MOBILITY,
  IPV6_HIP,
  IPV6_SHIM6,
]);
const IPV6_FRAGMENT_HEADER = 8;

/**
 * Parses the IP packet starting at `offset` of `frame`, which the link layer says is of `family`.
 * Bytes after the IP total / payload length (Ethernet padding, FCS) are left out of the payload.
 */
export function parseIpPacket(frame: Buffer, offset: number, family: AddressFamily): IpPacketResult {
  const available = frame.length - offset;
  if (available < 1) return skip('malformed', `no IPv${family} header: the frame ends at byte ${offset}`);
  const version = frame.readUInt8(offset) >> 4;
  if (version !== family) return skip('malformed', `IP version ${version} where the link layer says IPv${family}`);
  return family === 4 ? parseIpv4(frame, offset, available) : parseIpv6(frame, offset, available);
}

function parseIpv4(frame: Buffer, offset: number, available: number): IpPacketResult {
  if (available < IPV4_MIN_HEADER) return skip('malformed', `IPv4 header truncated (${available} bytes)`);
  // Known from here on, so callers can ignore damage to packets of other protocols (snap length).
  const protocol = frame.readUInt8(offset + 9);
  const headerLength = (frame.readUInt8(offset) & 0x0f) * 4;
  if (headerLength < IPV4_MIN_HEADER) {
    return skip('malformed', `IPv4 header length ${headerLength} is below 20`, protocol);
  }
  const totalLength = frame.readUInt16BE(offset + 2);
  if (totalLength < headerLength) {
    return skip('malformed', `IPv4 total length ${totalLength} is below the header length ${headerLength}`, protocol);
  }
  if (totalLength > available) {
    return skip(
      'malformed',
      `IPv4 packet truncated: total length ${totalLength}, ${available} bytes captured`,
      protocol,
    );
  }
  const fragment = frame.readUInt16BE(offset + 6);
  if (fragment & (IPV4_MORE_FRAGMENTS | IPV4_FRAGMENT_OFFSET)) {
    return skip('fragment', 'IPv4 fragment (fragments are not reassembled)', protocol);
  }
  return packetFromHeader(IPV4_LAYOUT, frame, offset, protocol, frame.subarray(offset + headerLength, offset + totalLength));
}

function parseIpv6(frame: Buffer, offset: number, available: number): IpPacketResult {
  if (available < IPV6_HEADER) return skip('malformed', `IPv6 header truncated (${available} bytes)`);
  const payloadLength = frame.readUInt16BE(offset + 4);
  const end = offset + IPV6_HEADER + payloadLength;
  let next = frame.readUInt8(offset + 6);
  if (end > frame.length) {
    return skip(
      'malformed',
      `IPv6 packet truncated: payload length ${payloadLength}, ${available - IPV6_HEADER} bytes captured`,
      isExtensionHeader(next) ? undefined : next,
    );
  }
  let at = offset + IPV6_HEADER;
  // RFC 8200 §4.1: walk the chain of extension headers to the upper-layer header.
  for (;;) {
    let length: number;
    if (IPV6_GENERIC_EXTENSIONS.has(next)) {
      if (end - at < 2) return skip('malformed', `IPv6 extension header ${next} truncated`);
      length = (frame.readUInt8(at + 1) + 1) * 8;
    } else if (next === IPV6_AUTHENTICATION) {
      // RFC 4302 §2.2: the AH length counts 4-octet units, minus 2.
      if (end - at < 2) return skip('malformed', 'IPv6 authentication header truncated');
      length = (frame.readUInt8(at + 1) + 2) * 4;
    } else if (next === IPV6_FRAGMENT) {
      if (end - at < IPV6_FRAGMENT_HEADER) return skip('malformed', 'IPv6 fragment header truncated');
      // RFC 8200 §4.5: offset 0 with M clear is an atomic fragment, a whole packet.
      if ((frame.readUInt16BE(at + 2) & 0xfff9) !== 0) {
        return skip('fragment', 'IPv6 fragment (fragments are not reassembled)', frame.readUInt8(at));
      }
      length = IPV6_FRAGMENT_HEADER;
    } else {
      break;
    }
    if (length > end - at) return skip('malformed', `IPv6 extension header ${next} truncated`);
    next = frame.readUInt8(at);
    at += length;
  }
  return packetFromHeader(IPV6_LAYOUT, frame, offset, next, frame.subarray(at, end));
}

/** The packet whose fixed header starts at `offset`, with its protocol and payload found by the caller. */
function packetFromHeader(layout: HeaderLayout, frame: Buffer, offset: number, protocol: number, payload: Buffer): IpPacketResult {
  return {
    ok: true,
    packet: {
      family: layout.family,
      source: layout.formatAddress(frame, offset + layout.source),
      destination: layout.formatAddress(frame, offset + layout.destination),
      ttl: frame.readUInt8(offset + layout.ttl),
      protocol,
      payload,
    },
  };
}

function isExtensionHeader(next: number): boolean {
  return IPV6_GENERIC_EXTENSIONS.has(next) || next === IPV6_FRAGMENT || next === IPV6_AUTHENTICATION;
}
