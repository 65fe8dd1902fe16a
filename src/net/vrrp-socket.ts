/**
 * The VRRP transport for one (interface, family): raw IP sockets of protocol 112 that send the
 * advertisement payload the caller built (checksum included) and hand received payloads over
 * with the IP-level facts VRRP validation needs (RFC 3768 §7.1 / RFC 5798 §7.1: TTL/hop limit
 * 255, source, destination, interface).
 *
 * Two sockets per transport: binding a raw socket to our source address (so the kernel uses it
 * as the IP source) also filters what it receives to packets addressed to that address, so a
 * separate unbound socket receives. The send socket's receive queue is kept minimal.
 */
import { endianness } from 'node:os';
import { VRRP_MULTICAST_V4, VRRP_MULTICAST_V6, VRRP_PROTOCOL, VRRP_TTL, type AddressFamily } from '../vrrp/advert.js';
import { canonicalIp, isIp, isLinkLocalIpv6, writeIp } from '../vrrp/ip-address.js';
import { parseControl } from './cmsg.js';
import type { NativeBinding, NativeSocket, ReceivedMessage } from './native.js';
import { buildSockaddrIn, buildSockaddrIn6, sockaddrIn6Address } from './sockaddr.js';
import { monotonicToPerformance } from './receive-time.js';

export interface VrrpTransportOptions {
  family: AddressFamily;
  interfaceName: string;
  ifindex: number;
  /** IPv4: an address of the interface. IPv6: the interface's link-local address (RFC 5798 §5.1.2.1). */
  sourceAddress: string;
  /** Default 224.0.0.18 / ff02::12 (RFC 3768 §5.2.2, RFC 5798 §5.1.1.2 / §5.1.2.2). */
  multicastGroup?: string;
  /** When set, adverts without an explicit destination go to each of these instead of the group. */
  unicastPeers?: string[];
  /** TTL / hop limit of unicast adverts (keepalived's unicast_ttl); default 255. */
  unicastTtl?: number;
  /** Receive buffer to ask for, in bytes (bounded by net.core.rmem_max); default 1 MiB. */
  receiveBufferBytes?: number;
}

export interface VrrpPacketInfo {
  family: AddressFamily;
  /**
   * IP source of the advert: its 4 or 16 bytes as in the IP header (IPv6: without zone). Bytes
   * all the way to the instance; text only where it is shown (logs, status).
   */
  source: Buffer;
  /** IP destination (the group, or our address for unicast), bytes as in the IP header. */
  destination: Buffer;
  /** TTL (IPv4) or hop limit (IPv6) as received. */
  ttl: number;
  /** Interface it arrived on. */
  ifindex: number;
  /**
   * When the kernel received it, on the performance.now() clock: the master-down timer runs
   * from the advert's arrival (RFC 5798 §6.4.2), not from when the event loop got to it.
   */
  receivedAt?: number;
}

export interface VrrpTransport {
  /**
   * Sends one VRRP payload to `destination`, or (without it) to the unicast peers or the group.
   * `unicastTtl` is the TTL / hop limit for a unicast destination (the sending instance's
   * unicast_ttl; default the transport's): instances sharing the transport each keep their own.
   * false = the kernel dropped it for lack of room (EAGAIN/ENOBUFS). Other failures (address
   * gone, interface down) throw an Error whose `code` is the errno name.
   */
  send(payload: Buffer, destination?: string, unicastTtl?: number): boolean;
  /** Sets the receiver and starts receiving; a later call replaces it. */
  onPacket(callback: (payload: Buffer, info: VrrpPacketInfo) => void): void;
  /** Receive errors and exceptions thrown by the packet callback; default rethrows (uncaught). */
  onError(callback: (error: Error) => void): void;
  /** Idempotent; nothing is delivered after it. */
  close(): void;
}

const LITTLE_ENDIAN = endianness() === 'LE';
const IPV4_MINIMUM_HEADER = 20;
/** Smallest the kernel allows; the send socket's queue only ever holds stray unicast copies. */
const SEND_SOCKET_RECEIVE_BUFFER = 1;
const DEFAULT_RECEIVE_BUFFER = 1 << 20;

type Constants = Record<string, number>;

function constant(constants: Readonly<Record<string, number>>, name: string): number {
  const value = constants[name];
  if (value === undefined) throw new TypeError(`The native addon does not define ${name}`);
  return value;
}

function writeHostInt32(buf: Buffer, value: number, offset: number): void {
  if (LITTLE_ENDIAN) buf.writeInt32LE(value, offset);
  else buf.writeInt32BE(value, offset);
}

/** SO_BINDTODEVICE takes the NUL-terminated name. */
function deviceName(name: string): Buffer {
  if (typeof name !== 'string' || name.length === 0 || Buffer.byteLength(name) >= 16) {
    throw new RangeError(`Interface name "${name}" must be 1 to 15 bytes`);
  }
  return Buffer.from(`${name}\0`);
}

/** struct ip_mreqn { imr_multiaddr; imr_address; int imr_ifindex }. */
function ipMreqn(group: string, local: string, ifindex: number): Buffer {
  const buf = Buffer.alloc(12);
  writeIp(group, 4, buf, 0);
  writeIp(local, 4, buf, 4);
  writeHostInt32(buf, ifindex, 8);
  return buf;
}

/** struct ipv6_mreq { in6_addr ipv6mr_multiaddr; int ipv6mr_interface }. */
function ipv6Mreq(group: string, ifindex: number): Buffer {
  const buf = Buffer.alloc(20);
  writeIp(group, 6, buf, 0);
  writeHostInt32(buf, ifindex, 16);
  return buf;
}

function checkTtl(ttl: number): void {
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > 255) throw new RangeError(`Unicast TTL ${ttl} is outside 1..255`);
}

function checkOptions(options: VrrpTransportOptions): void {
  const { family, ifindex, sourceAddress, unicastTtl } = options;
  if (family !== 4 && family !== 6) throw new RangeError(`Address family ${String(family)} is not 4 or 6`);
  if (!Number.isInteger(ifindex) || ifindex <= 0 || ifindex > 0x7fffffff) {
    throw new RangeError(`Interface index ${ifindex} is not a positive integer`);
  }
  if (!isIp(sourceAddress, family)) throw new SyntaxError(`Invalid IPv${family} source address "${sourceAddress}"`);
  if (options.multicastGroup !== undefined && !isIp(options.multicastGroup, family)) {
    throw new SyntaxError(`Invalid IPv${family} multicast group "${options.multicastGroup}"`);
  }
  for (const peer of options.unicastPeers ?? []) {
    if (!isIp(peer, family)) throw new SyntaxError(`Invalid IPv${family} unicast peer "${peer}"`);
  }
  if (unicastTtl !== undefined) checkTtl(unicastTtl);
  const bytes = options.receiveBufferBytes;
  if (bytes !== undefined && (!Number.isInteger(bytes) || bytes < 1 || bytes > 0x7fffffff)) {
    throw new RangeError(`Receive buffer size ${bytes} is not a positive 32-bit integer`);
  }
}

/** Opens both sockets and joins the group; throws (with errno `code`) if the kernel refuses. */
export function openVrrpTransport(options: VrrpTransportOptions, native: NativeBinding): VrrpTransport {
  checkOptions(options);
  const c = native.constants;
  const opened: NativeSocket[] = [];
  const open = (domain: number): NativeSocket => {
    const socket = new native.Socket(domain, constant(c, 'SOCK_RAW'), VRRP_PROTOCOL);
    opened.push(socket);
    return socket;
  };
  try {
    return options.family === 4 ? openV4(options, c, open) : openV6(options, c, open);
  } catch (error) {
    for (const socket of opened) socket.close();
    throw error;
  }
}

interface Endpoints {
  receiver: NativeSocket;
  sender: NativeSocket;
  /** sockaddr for the group, and for each unicast peer. */
  group: Buffer;
  peers: Buffer[];
  /** Builds a sockaddr for an explicit destination. */
  addressFor(destination: string): Buffer;
  /** Sets the sender's TTL / hop limit for unicast destinations (IP_TTL / IPV6_UNICAST_HOPS). */
  setUnicastTtl(ttl: number): void;
  /** The TTL set when the sender was opened. */
  unicastTtl: number;
  /** Turns one received datagram into payload + info, or null when it is not for us. */
  decode(message: ReceivedMessage): { payload: Buffer; info: VrrpPacketInfo } | null;
}

function openV4(options: VrrpTransportOptions, c: Constants, open: (domain: number) => NativeSocket): VrrpTransport {
  const { ifindex } = options;
  const source = canonicalIp(options.sourceAddress);
  const group = options.multicastGroup ?? VRRP_MULTICAST_V4;
  const SOL_SOCKET = constant(c, 'SOL_SOCKET');
  const IPPROTO_IP = constant(c, 'IPPROTO_IP');
  const device = deviceName(options.interfaceName);

  const receiver = open(constant(c, 'AF_INET'));
  receiver.setOptionBuffer(SOL_SOCKET, constant(c, 'SO_BINDTODEVICE'), device);
  receiver.setOptionInt(SOL_SOCKET, constant(c, 'SO_RCVBUF'), options.receiveBufferBytes ?? DEFAULT_RECEIVE_BUFFER);
  receiver.setOptionInt(SOL_SOCKET, constant(c, 'SO_TIMESTAMPNS'), 1);
  receiver.setOptionInt(IPPROTO_IP, constant(c, 'IP_PKTINFO'), 1);
  receiver.setOptionBuffer(IPPROTO_IP, constant(c, 'IP_ADD_MEMBERSHIP'), ipMreqn(group, '0.0.0.0', ifindex));

  const sender = open(constant(c, 'AF_INET'));
  sender.setOptionBuffer(SOL_SOCKET, constant(c, 'SO_BINDTODEVICE'), device);
  sender.setOptionInt(SOL_SOCKET, constant(c, 'SO_RCVBUF'), SEND_SOCKET_RECEIVE_BUFFER);
  sender.bind(buildSockaddrIn(source));
  sender.setOptionBuffer(IPPROTO_IP, constant(c, 'IP_MULTICAST_IF'), ipMreqn('0.0.0.0', source, ifindex));
  // RFC 3768 §5.2.3: adverts leave with TTL 255; our own must not loop back to us.
  sender.setOptionInt(IPPROTO_IP, constant(c, 'IP_MULTICAST_TTL'), VRRP_TTL);
  sender.setOptionInt(IPPROTO_IP, constant(c, 'IP_MULTICAST_LOOP'), 0);
  const unicastTtl = options.unicastTtl ?? VRRP_TTL;
  const setUnicastTtl = (ttl: number): void => sender.setOptionInt(IPPROTO_IP, constant(c, 'IP_TTL'), ttl);
  setUnicastTtl(unicastTtl);

  return makeTransport({
    receiver,
    sender,
    group: buildSockaddrIn(group),
    peers: (options.unicastPeers ?? []).map((peer) => buildSockaddrIn(peer)),
    addressFor: (destination) => buildSockaddrIn(destination),
    setUnicastTtl,
    unicastTtl,
    decode(message) {
      // Raw IPv4 sockets return the IP header too (RFC 791 §3.1): take TTL, source and
      // destination from it and hand over what follows.
      const data = message.data;
      if (data.length < IPV4_MINIMUM_HEADER || (data[0] as number) >> 4 !== 4) return null;
      const headerLength = ((data[0] as number) & 0x0f) * 4;
      if (headerLength < IPV4_MINIMUM_HEADER || headerLength > data.length) return null;
      const totalLength = Math.min(data.readUInt16BE(2), data.length);
      if (totalLength < headerLength) return null;
      // Adverts from our own address are passed on: validation counts and logs them
      // ('own-address'); multicast loop is off, so our own adverts do not come back.
      const control = parseControl(message.control);
      return {
        payload: data.subarray(headerLength, totalLength),
        info: {
          family: 4,
          source: data.subarray(12, 16),
          destination: data.subarray(16, 20),
          ttl: data[8] as number,
          ifindex: control.ifindex ?? ifindex,
        },
      };
    },
  });
}

function openV6(options: VrrpTransportOptions, c: Constants, open: (domain: number) => NativeSocket): VrrpTransport {
  const { ifindex } = options;
  const source = canonicalIp(options.sourceAddress);
  const group = options.multicastGroup ?? VRRP_MULTICAST_V6;
  const SOL_SOCKET = constant(c, 'SOL_SOCKET');
  const IPPROTO_IPV6 = constant(c, 'IPPROTO_IPV6');
  const device = deviceName(options.interfaceName);
  // Link-scoped addresses mean nothing without the interface (RFC 4007 §6).
  const scopeFor = (address: string): number => (isLinkLocalIpv6(address) || /^ff[0-9a-f]2:/i.test(address) ? ifindex : 0);

  const receiver = open(constant(c, 'AF_INET6'));
  receiver.setOptionBuffer(SOL_SOCKET, constant(c, 'SO_BINDTODEVICE'), device);
  receiver.setOptionInt(SOL_SOCKET, constant(c, 'SO_RCVBUF'), options.receiveBufferBytes ?? DEFAULT_RECEIVE_BUFFER);
  receiver.setOptionInt(SOL_SOCKET, constant(c, 'SO_TIMESTAMPNS'), 1);
  receiver.setOptionInt(IPPROTO_IPV6, constant(c, 'IPV6_RECVPKTINFO'), 1);
  receiver.setOptionInt(IPPROTO_IPV6, constant(c, 'IPV6_RECVHOPLIMIT'), 1);
  receiver.setOptionBuffer(IPPROTO_IPV6, constant(c, 'IPV6_JOIN_GROUP'), ipv6Mreq(group, ifindex));

  const sender = open(constant(c, 'AF_INET6'));
  sender.setOptionBuffer(SOL_SOCKET, constant(c, 'SO_BINDTODEVICE'), device);
  sender.setOptionInt(SOL_SOCKET, constant(c, 'SO_RCVBUF'), SEND_SOCKET_RECEIVE_BUFFER);
  // Without this a socket that joined no group receives every group's packets (Linux default).
  sender.setOptionInt(IPPROTO_IPV6, constant(c, 'IPV6_MULTICAST_ALL'), 0);
  sender.bind(buildSockaddrIn6(source, scopeFor(source)));
  sender.setOptionInt(IPPROTO_IPV6, constant(c, 'IPV6_MULTICAST_IF'), ifindex);
  // RFC 5798 §5.1.2.3: hop limit 255; our own adverts must not loop back to us.
  sender.setOptionInt(IPPROTO_IPV6, constant(c, 'IPV6_MULTICAST_HOPS'), VRRP_TTL);
  sender.setOptionInt(IPPROTO_IPV6, constant(c, 'IPV6_MULTICAST_LOOP'), 0);
  const unicastTtl = options.unicastTtl ?? VRRP_TTL;
  const setUnicastTtl = (ttl: number): void => sender.setOptionInt(IPPROTO_IPV6, constant(c, 'IPV6_UNICAST_HOPS'), ttl);
  setUnicastTtl(unicastTtl);

  return makeTransport({
    receiver,
    sender,
    group: buildSockaddrIn6(group, ifindex),
    peers: (options.unicastPeers ?? []).map((peer) => buildSockaddrIn6(peer, scopeFor(peer))),
    addressFor: (destination) => buildSockaddrIn6(destination, scopeFor(destination)),
    setUnicastTtl,
    unicastTtl,
    decode(message) {
      // Raw IPv6 sockets return only the payload; the header facts come as ancillary data.
      const from = sockaddrIn6Address(message.address);
      if (from === null) return null;
      const control = parseControl(message.control);
      if (control.ttl === undefined || control.destination === undefined) return null;
      return {
        payload: message.data,
        info: {
          family: 6,
          source: from,
          destination: control.destination,
          ttl: control.ttl,
          ifindex: control.ifindex ?? ifindex,
        },
      };
    },
  });
}

function makeTransport(endpoints: Endpoints): VrrpTransport {
  const { receiver, sender } = endpoints;
  let packetCallback: ((payload: Buffer, info: VrrpPacketInfo) => void) | null = null;
  let errorCallback = (error: Error): void => {
    throw error;
  };
  let closed = false;
  let unicastTtl = endpoints.unicastTtl;
  const toPerformanceClock = monotonicToPerformance();

  const deliver = (batch: ReceivedMessage[]): void => {
    for (const message of batch) {
      if (closed || packetCallback === null) return;
      const decoded = endpoints.decode(message);
      if (decoded === null) continue;
      if (message.monotonicReceivedMs !== undefined) decoded.info.receivedAt = toPerformanceClock(message.monotonicReceivedMs);
      // One bad packet or handler bug must not cost the rest of the batch.
      try {
        packetCallback(decoded.payload, decoded.info);
      } catch (error) {
        errorCallback(error instanceof Error ? error : new Error(String(error)));
      }
    }
  };

  return {
    send(payload: Buffer, destination?: string, ttl?: number): boolean {
      if (closed) throw Object.assign(new Error('The VRRP transport is closed'), { code: 'ERR_SOCKET_CLOSED' });
      if (!Buffer.isBuffer(payload)) throw new TypeError('The VRRP payload must be a Buffer');
      // One socket option per change: instances on one transport with different unicast_ttl.
      const wanted = ttl ?? endpoints.unicastTtl;
      if (wanted !== unicastTtl) {
        checkTtl(wanted);
        endpoints.setUnicastTtl(wanted);
        unicastTtl = wanted;
      }
      if (destination !== undefined) return sender.sendTo(payload, endpoints.addressFor(destination)) >= 0;
      if (endpoints.peers.length === 0) return sender.sendTo(payload, endpoints.group) >= 0;
      let all = true;
      for (const peer of endpoints.peers) all = sender.sendTo(payload, peer) >= 0 && all;
      return all;
    },
    onPacket(callback): void {
      if (closed) throw Object.assign(new Error('The VRRP transport is closed'), { code: 'ERR_SOCKET_CLOSED' });
      const start = packetCallback === null;
      packetCallback = callback;
      if (start) receiver.startReceiving(deliver, (error) => errorCallback(error));
    },
    onError(callback): void {
      errorCallback = callback;
    },
    close(): void {
      closed = true;
      packetCallback = null;
      receiver.close();
      sender.close();
    },
  };
}
