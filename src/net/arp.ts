/**
 * Gratuitous ARP (RFC 5227 §3 "ARP Announcement"; RFC 5798 §8.1.2 asks a new master to send
 * one per virtual IPv4 address). Built as keepalived does: an ARP request, broadcast, with
 * sender and target protocol address both the virtual address and the target hardware address
 * all ones.
 */
import { formatIpv4, writeIp } from '../vrrp/ip-address.js';
import type { AddressClaim } from './address-claim.js';
import { macToString } from './netlink/ip-address.js';
import { macBytes } from './sockaddr.js';

export const ETHERTYPE_ARP = 0x0806;
export const ETHERTYPE_IPV4 = 0x0800;
/** RFC 826 / IANA: hardware type Ethernet, opcode request. */
export const ARP_HARDWARE_ETHERNET = 1;
export const ARP_OP_REQUEST = 1;
export const ARP_OP_REPLY = 2;
/** 14-byte Ethernet header + 28-byte ARP body; the driver pads to the 60-byte minimum. */
export const GRATUITOUS_ARP_LENGTH = 42;

/** The Ethernet frame announcing that `address` (the VIP) is at `mac` (our interface's). */
export function buildGratuitousArp(mac: Buffer | string, address: string): Buffer {
  const hardware = macBytes(mac);
  const frame = Buffer.alloc(GRATUITOUS_ARP_LENGTH);
  // Ethernet: broadcast destination, our source, ARP.
  frame.fill(0xff, 0, 6);
  hardware.copy(frame, 6);
  frame.writeUInt16BE(ETHERTYPE_ARP, 12);
  // ARP (RFC 826): htype, ptype, hlen, plen, op.
  frame.writeUInt16BE(ARP_HARDWARE_ETHERNET, 14);
  frame.writeUInt16BE(ETHERTYPE_IPV4, 16);
  frame[18] = 6;
  frame[19] = 4;
  frame.writeUInt16BE(ARP_OP_REQUEST, 20);
  hardware.copy(frame, 22);
  if (!writeIp(address, 4, frame, 28)) throw new SyntaxError(`Invalid IPv4 address "${address}"`);
  frame.fill(0xff, 32, 38);
  frame.copy(frame, 38, 28, 32);
  return frame;
}

/**
 * The sender of an Ethernet / IPv4 ARP request or reply, or undefined for anything else (other
 * hardware or protocol types, a short frame, an RFC 5227 probe's unspecified sender 0.0.0.0).
 * Any such packet updates the neighbour entries of hosts that have one for the sender's address
 * (RFC 826, "merge_flag"), so it moves clients whether it is gratuitous or not.
 */
export function parseArpClaim(frame: Buffer): AddressClaim | undefined {
  if (frame.length < GRATUITOUS_ARP_LENGTH || frame.readUInt16BE(12) !== ETHERTYPE_ARP) return undefined;
  if (frame.readUInt16BE(14) !== ARP_HARDWARE_ETHERNET || frame.readUInt16BE(16) !== ETHERTYPE_IPV4) return undefined;
  if (frame[18] !== 6 || frame[19] !== 4) return undefined;
  const op = frame.readUInt16BE(20);
  if (op !== ARP_OP_REQUEST && op !== ARP_OP_REPLY) return undefined;
  if (frame.readUInt32BE(28) === 0) return undefined;
  return { address: formatIpv4(frame, 28), mac: macToString(frame.subarray(22, 28)) };
}
