/**
 * sockaddr bytes for the native socket's bind/sendTo, and parsing of the msg_name it returns.
 * Layouts are Linux's (include/uapi/linux/in.h, in6.h, if_packet.h, netlink.h): the family and
 * the netlink/packet ifindex fields are in host byte order, ports and ethertypes in network order.
 */
import { endianness } from 'node:os';
import { formatIp, writeIp } from '../vrrp/ip-address.js';

/** Linux address family numbers (ABI-stable; the addon's constants agree, see the tests). */
export const AF_INET = 2;
export const AF_INET6 = 10;
export const AF_NETLINK = 16;
export const AF_PACKET = 17;

export const SOCKADDR_IN_LENGTH = 16;
export const SOCKADDR_IN6_LENGTH = 28;
export const SOCKADDR_LL_LENGTH = 20;
export const SOCKADDR_NL_LENGTH = 12;

const LITTLE_ENDIAN = endianness() === 'LE';

function writeHost16(buf: Buffer, value: number, offset: number): void {
  if (LITTLE_ENDIAN) buf.writeUInt16LE(value, offset);
  else buf.writeUInt16BE(value, offset);
}

function writeHost32(buf: Buffer, value: number, offset: number): void {
  if (LITTLE_ENDIAN) buf.writeUInt32LE(value >>> 0, offset);
  else buf.writeUInt32BE(value >>> 0, offset);
}

function readHost16(buf: Buffer, offset: number): number {
  return LITTLE_ENDIAN ? buf.readUInt16LE(offset) : buf.readUInt16BE(offset);
}

function readHost32(buf: Buffer, offset: number): number {
  return LITTLE_ENDIAN ? buf.readUInt32LE(offset) : buf.readUInt32BE(offset);
}

function checkUint(value: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${what} ${value} is outside 0..${max}`);
  }
}

function writeAddress(text: string, family: 4 | 6, buf: Buffer, offset: number): void {
  if (typeof text !== 'string') throw new TypeError(`Expected an IPv${family} address string, got ${typeof text}`);
  if (!writeIp(text, family, buf, offset)) throw new SyntaxError(`Invalid IPv${family} address "${text}"`);
}

/** struct sockaddr_in for an IPv4 address (raw sockets ignore the port). */
export function buildSockaddrIn(address: string, port = 0): Buffer {
  checkUint(port, 0xffff, 'Port');
  const buf = Buffer.alloc(SOCKADDR_IN_LENGTH);
  writeHost16(buf, AF_INET, 0);
  buf.writeUInt16BE(port, 2);
  writeAddress(address, 4, buf, 4);
  return buf;
}

/**
 * struct sockaddr_in6. Link-local and link-scoped multicast addresses need the interface index
 * as scope id for bind and sendto; for raw sockets the port must be 0 or the socket's protocol.
 */
export function buildSockaddrIn6(address: string, scopeId = 0, port = 0): Buffer {
  checkUint(scopeId, 0xffffffff, 'Scope id');
  checkUint(port, 0xffff, 'Port');
  const buf = Buffer.alloc(SOCKADDR_IN6_LENGTH);
  writeHost16(buf, AF_INET6, 0);
  buf.writeUInt16BE(port, 2);
  // sin6_flowinfo (offset 4) stays 0.
  writeAddress(address, 6, buf, 8);
  writeHost32(buf, scopeId, 24);
  return buf;
}

export interface SockaddrLlFields {
  ifindex: number;
  /** Ethertype (e.g. 0x0806); written in network order as the kernel wants. 0 = none. */
  protocol?: number;
  /** Destination hardware address for sendto (6 bytes or "aa:bb:cc:dd:ee:ff"). */
  hardwareAddress?: Buffer | string;
  hatype?: number;
  pkttype?: number;
}

/** struct sockaddr_ll for binding or addressing an AF_PACKET socket. */
export function buildSockaddrLl(fields: SockaddrLlFields): Buffer {
  const { ifindex, protocol = 0, hatype = 0, pkttype = 0 } = fields;
  checkUint(ifindex, 0x7fffffff, 'Interface index');
  checkUint(protocol, 0xffff, 'Ethertype');
  checkUint(hatype, 0xffff, 'Hardware type');
  checkUint(pkttype, 0xff, 'Packet type');
  const buf = Buffer.alloc(SOCKADDR_LL_LENGTH);
  writeHost16(buf, AF_PACKET, 0);
  buf.writeUInt16BE(protocol, 2);
  writeHost32(buf, ifindex, 4);
  writeHost16(buf, hatype, 8);
  buf[10] = pkttype;
  if (fields.hardwareAddress !== undefined) {
    const mac = typeof fields.hardwareAddress === 'string' ? parseMac(fields.hardwareAddress) : fields.hardwareAddress;
    if (mac.length > 8) throw new RangeError(`Hardware address of ${mac.length} bytes does not fit sockaddr_ll's 8`);
    buf[11] = mac.length;
    mac.copy(buf, 12);
  }
  return buf;
}

/** struct sockaddr_nl: pid 0 lets the kernel pick our port id; groups is the legacy RTMGRP_* mask. */
export function buildSockaddrNl(pid = 0, groups = 0): Buffer {
  checkUint(pid, 0xffffffff, 'Netlink port id');
  checkUint(groups, 0xffffffff, 'Netlink group mask');
  const buf = Buffer.alloc(SOCKADDR_NL_LENGTH);
  writeHost16(buf, AF_NETLINK, 0);
  writeHost32(buf, pid, 4);
  writeHost32(buf, groups, 8);
  return buf;
}

export type ParsedSockaddr =
  | { family: 'inet'; address: string; port: number }
  | { family: 'inet6'; address: string; port: number; flowInfo: number; scopeId: number }
  | { family: 'packet'; protocol: number; ifindex: number; hatype: number; pkttype: number; hardwareAddress: Buffer }
  | { family: 'netlink'; pid: number; groups: number };

/** The 16 address bytes of a sockaddr_in6 (a view into `buf`), or null when it is not one. */
export function sockaddrIn6Address(buf: Buffer): Buffer | null {
  if (buf.length < 24 || readHost16(buf, 0) !== AF_INET6) return null;
  return buf.subarray(8, 24);
}

/**
 * Parses a sockaddr as recvmsg returned it. Network input: returns null (never throws) when the
 * bytes are too short or of a family not listed.
 */
export function parseSockaddr(buf: Buffer): ParsedSockaddr | null {
  if (buf.length < 2) return null;
  switch (readHost16(buf, 0)) {
    case AF_INET:
      if (buf.length < 8) return null;
      return { family: 'inet', address: formatIp(buf, 4, 4), port: buf.readUInt16BE(2) };
    case AF_INET6:
      if (buf.length < 24) return null;
      return {
        family: 'inet6',
        address: formatIp(buf, 8, 6),
        port: buf.readUInt16BE(2),
        flowInfo: buf.readUInt32BE(4),
        scopeId: buf.length >= 28 ? readHost32(buf, 24) : 0,
      };
    case AF_PACKET: {
      if (buf.length < 12) return null;
      const length = Math.min(buf[11] as number, 8, buf.length - 12);
      return {
        family: 'packet',
        protocol: buf.readUInt16BE(2),
        ifindex: readHost32(buf, 4),
        hatype: readHost16(buf, 8),
        pkttype: buf[10] as number,
        hardwareAddress: Buffer.from(buf.subarray(12, 12 + length)),
      };
    }
    case AF_NETLINK:
      if (buf.length < 12) return null;
      return { family: 'netlink', pid: readHost32(buf, 4), groups: readHost32(buf, 8) };
    default:
      return null;
  }
}

/** "aa:bb:cc:dd:ee:ff" (or with '-') to 6 bytes. Throws SyntaxError on anything else. */
export function parseMac(text: string): Buffer {
  if (typeof text !== 'string') throw new TypeError(`Expected a MAC address string, got ${typeof text}`);
  if (!/^[0-9a-fA-F]{2}([:-][0-9a-fA-F]{2}){5}$/.test(text)) throw new SyntaxError(`Invalid MAC address "${text}"`);
  return Buffer.from(text.replace(/[:-]/g, ''), 'hex');
}

/** 6 bytes at `offset` as lower-case "aa:bb:cc:dd:ee:ff". RangeError when they are not there. */
export function formatMac(bytes: Uint8Array, offset = 0): string {
  if (!Number.isInteger(offset) || offset < 0 || offset + 6 > bytes.length) {
    throw new RangeError(`No 6-byte MAC address at offset ${offset} of a ${bytes.length}-byte buffer`);
  }
  const parts: string[] = [];
  for (let i = offset; i < offset + 6; i++) parts.push((bytes[i] as number).toString(16).padStart(2, '0'));
  return parts.join(':');
}

/** A MAC given as text or bytes, checked to be 6 bytes. */
export function macBytes(mac: Buffer | string): Buffer {
  const bytes = typeof mac === 'string' ? parseMac(mac) : mac;
  if (!Buffer.isBuffer(bytes) || bytes.length !== 6) {
    throw new TypeError(`A MAC address must be 6 bytes, got ${Buffer.isBuffer(bytes) ? bytes.length : typeof bytes}`);
  }
  return bytes;
}

/** htons for socket(AF_PACKET, …, protocol): the protocol argument is an ethertype in network order. */
export function networkOrder16(value: number): number {
  checkUint(value, 0xffff, 'Value');
  return LITTLE_ENDIAN ? ((value & 0xff) << 8) | (value >> 8) : value;
}
