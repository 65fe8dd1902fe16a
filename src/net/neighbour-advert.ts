/**
 * Unsolicited Neighbour Advertisement (RFC 4861 §7.2.6; RFC 5798 §8.2.2 asks a new master to
 * send one per virtual IPv6 address), as a whole Ethernet frame. Like keepalived, the IPv6
 * source is the virtual address itself and the Override flag is set so neighbours replace the
 * cached link-layer address.
 */
import { onesComplementSum, finishChecksum } from '../vrrp/checksum.js';
import { formatIpv6, writeIp } from '../vrrp/ip-address.js';
import type { AddressClaim } from './address-claim.js';
import { macToString } from './netlink/ip-address.js';
import { macBytes } from './sockaddr.js';

export const ETHERTYPE_IPV6 = 0x86dd;
export const IPPROTO_ICMPV6 = 58;
/** RFC 4861 §4.4. */
export const ICMPV6_NEIGHBOUR_ADVERTISEMENT = 136;
export const NA_FLAG_ROUTER = 0x80;
export const NA_FLAG_SOLICITED = 0x40;
export const NA_FLAG_OVERRIDE = 0x20;
/** RFC 4861 §4.6.1: Target Link-Layer Address option. */
export const ND_OPTION_TARGET_LINK_LAYER_ADDRESS = 2;
/** RFC 4861 §7.1.2: ND messages must arrive with hop limit 255. */
export const ND_HOP_LIMIT = 255;

const ETHERNET_LENGTH = 14;
const IPV6_HEADER_LENGTH = 40;
/** NA: 4-byte ICMPv6 header, 4 bytes of flags, 16-byte target; then the 8-byte option. */
const ICMPV6_LENGTH = 24 + 8;
export const NEIGHBOUR_ADVERT_LENGTH = ETHERNET_LENGTH + IPV6_HEADER_LENGTH + ICMPV6_LENGTH;

export interface NeighbourAdvertOptions {
  /** Our interface's MAC: Ethernet source and the target link-layer address option. */
  mac: Buffer | string;
  /** The virtual IPv6 address being announced (target and IPv6 source). */
  address: string;
  /** Router flag (RFC 4861 §4.4); keepalived sets it when IPv6 forwarding is on. */
  router?: boolean;
}

export function buildUnsolicitedNeighbourAdvert(options: NeighbourAdvertOptions): Buffer {
  const hardware = macBytes(options.mac);
  const frame = Buffer.alloc(NEIGHBOUR_ADVERT_LENGTH);
  // Ethernet: all-nodes multicast ff02::1 maps to 33:33:00:00:00:01 (RFC 2464 §7).
  frame.set([0x33, 0x33, 0, 0, 0, 1], 0);
  hardware.copy(frame, 6);
  frame.writeUInt16BE(ETHERTYPE_IPV6, 12);
  // IPv6 header (RFC 8200 §3): version 6, no traffic class or flow label.
  const ip = ETHERNET_LENGTH;
  frame.writeUInt32BE(0x60000000, ip);
  frame.writeUInt16BE(ICMPV6_LENGTH, ip + 4);
  frame[ip + 6] = IPPROTO_ICMPV6;
  frame[ip + 7] = ND_HOP_LIMIT;
  if (!writeIp(options.address, 6, frame, ip + 8)) throw new SyntaxError(`Invalid IPv6 address "${options.address}"`);
  frame.writeUInt16BE(0xff02, ip + 24);
  frame[ip + 39] = 1;
  // ICMPv6 NA (RFC 4861 §4.4): unsolicited, so Solicited is clear (§7.2.6).
  const icmp = ip + IPV6_HEADER_LENGTH;
  frame[icmp] = ICMPV6_NEIGHBOUR_ADVERTISEMENT;
  frame[icmp + 4] = NA_FLAG_OVERRIDE | (options.router === true ? NA_FLAG_ROUTER : 0);
  frame.copy(frame, icmp + 8, ip + 8, ip + 24);
  frame[icmp + 24] = ND_OPTION_TARGET_LINK_LAYER_ADDRESS;
  frame[icmp + 25] = 1; // in units of 8 bytes
  hardware.copy(frame, icmp + 26);
  frame.writeUInt16BE(icmpv6Checksum(frame, ip, icmp, ICMPV6_LENGTH), icmp + 2);
  return frame;
}

/**
 * ICMPv6 checksum (RFC 4443 §2.3) over the pseudo-header of RFC 8200 §8.1: source, destination,
 * 32-bit upper-layer length, three zero bytes and next header 58. The checksum field must be 0.
 */
export function icmpv6Checksum(frame: Buffer, ipOffset: number, icmpOffset: number, icmpLength: number): number {
  let sum = onesComplementSum(frame, ipOffset + 8, ipOffset + 40, icmpLength + IPPROTO_ICMPV6);
  sum = onesComplementSum(frame, icmpOffset, icmpOffset + icmpLength, sum);
  return finishChecksum(sum);
}

/**
 * The claim of a neighbour advertisement that makes neighbours replace a cached link-layer
 * address (RFC 4861 §7.2.5: Override set): its target, at the Target Link-Layer Address option's
 * MAC or else the frame's source. Undefined for anything else: not IPv6 / ICMPv6 / NA, hop limit
 * not 255 (§7.1.2: not from the link), Override clear, too short.
 */
export function parseNeighbourAdvertClaim(frame: Buffer): AddressClaim | undefined {
  const ip = ETHERNET_LENGTH;
  const icmp = ip + IPV6_HEADER_LENGTH;
  if (frame.length < icmp + 24 || frame.readUInt16BE(12) !== ETHERTYPE_IPV6) return undefined;
  if (frame[ip + 6] !== IPPROTO_ICMPV6 || frame[ip + 7] !== ND_HOP_LIMIT) return undefined;
  if (frame[icmp] !== ICMPV6_NEIGHBOUR_ADVERTISEMENT || frame[icmp + 1] !== 0) return undefined;
  if (((frame[icmp + 4] as number) & NA_FLAG_OVERRIDE) === 0) return undefined;
  const option = icmp + 24;
  const hasTarget = frame.length >= option + 8 && frame[option] === ND_OPTION_TARGET_LINK_LAYER_ADDRESS && frame[option + 1] === 1;
  return { address: formatIpv6(frame, icmp + 8), mac: macToString(hasTarget ? frame.subarray(option + 2, option + 8) : frame.subarray(6, 12)) };
}
