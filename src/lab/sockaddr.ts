/**
 * The raw sockaddr bytes the lab's helper processes hand to the native addon (struct
 * sockaddr_in, sockaddr_in6, sockaddr_ll on Linux; family fields in host byte order).
 */
import { isIPv4, isIPv6 } from 'node:net';
import { endianness } from 'node:os';

function writeFamily(buffer: Buffer, family: number): void {
  if (endianness() === 'LE') buffer.writeUInt16LE(family, 0);
  else buffer.writeUInt16BE(family, 0);
}

function writeHostInt32(buffer: Buffer, value: number, offset: number): void {
  if (endianness() === 'LE') buffer.writeInt32LE(value, offset);
  else buffer.writeInt32BE(value, offset);
}

export function ipv4Bytes(address: string): Buffer {
  if (!isIPv4(address)) throw new TypeError(`'${address}' is not an IPv4 address`);
  return Buffer.from(address.split('.').map(Number));
}

export function ipv6Bytes(address: string): Buffer {
  if (!isIPv6(address) || address.includes('.') || address.includes('%')) {
    throw new TypeError(`'${address}' is not a plain IPv6 address`);
  }
  const [head = '', tail] = address.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? 0 : 8 - headGroups.length - tailGroups.length;
  const groups = [...headGroups, ...Array<string>(zeros).fill('0'), ...tailGroups];
  const bytes = Buffer.alloc(16);
  groups.forEach((group, i) => bytes.writeUInt16BE(parseInt(group, 16), i * 2));
  return bytes;
}

/** struct sockaddr_in (16 bytes), port 0. */
export function sockaddrIn(afInet: number, address: string): Buffer {
  const buffer = Buffer.alloc(16);
  writeFamily(buffer, afInet);
  ipv4Bytes(address).copy(buffer, 4);
  return buffer;
}

/** struct sockaddr_in6 (28 bytes), port 0, with the scope (interface index) for link-local. */
export function sockaddrIn6(afInet6: number, address: string, scopeId = 0): Buffer {
  const buffer = Buffer.alloc(28);
  writeFamily(buffer, afInet6);
  ipv6Bytes(address).copy(buffer, 8);
  writeHostInt32(buffer, scopeId, 24);
  return buffer;
}

/** struct sockaddr_ll (20 bytes) for bind(): protocol in network order, interface index. */
export function sockaddrLl(afPacket: number, protocol: number, ifindex: number): Buffer {
  const buffer = Buffer.alloc(20);
  writeFamily(buffer, afPacket);
  buffer.writeUInt16BE(protocol, 2);
  writeHostInt32(buffer, ifindex, 4);
  return buffer;
}

/** sll_pkttype of a received sockaddr_ll (PACKET_HOST, PACKET_OUTGOING, …), or -1 when too short. */
export function sockaddrLlPacketType(address: Buffer): number {
  return address.length > 10 ? (address[10] as number) : -1;
}

/** struct packet_mreq (16 bytes) for PACKET_ADD_MEMBERSHIP without an address (promiscuous mode). */
export function packetMembership(ifindex: number, type: number): Buffer {
  const buffer = Buffer.alloc(16);
  writeHostInt32(buffer, ifindex, 0);
  if (endianness() === 'LE') buffer.writeUInt16LE(type, 4);
  else buffer.writeUInt16BE(type, 4);
  return buffer;
}

/** Host-order 16-bit value as the kernel reads it in network order (htons). */
export function htons(value: number): number {
  return endianness() === 'LE' ? ((value & 0xff) << 8) | ((value >> 8) & 0xff) : value;
}
