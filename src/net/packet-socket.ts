/**
 * AF_PACKET sockets bound to one interface: a sender for whole Ethernet frames built in
 * TypeScript (gratuitous ARP, unsolicited neighbour advertisements) and a capture for tests and
 * the lab.
 */
import type { NativeBinding, NativeSocket } from './native.js';
import { buildSockaddrLl, networkOrder16, parseSockaddr } from './sockaddr.js';

const ETHERNET_HEADER_LENGTH = 14;
/** ETH_P_ALL: every protocol, outgoing frames included. */
export const ETH_P_ALL = 0x0003;

export interface PacketSender {
  /** Sends one Ethernet frame as is. false = the kernel had no room (EAGAIN/ENOBUFS), dropped. */
  send(frame: Buffer): boolean;
  /** Idempotent. */
  close(): void;
}

function checkIfindex(ifindex: number): void {
  if (!Number.isInteger(ifindex) || ifindex <= 0 || ifindex > 0x7fffffff) {
    throw new RangeError(`Interface index ${ifindex} is not a positive integer`);
  }
}

/**
 * A send-only packet socket on `ifindex`. Protocol 0 means the kernel delivers nothing to it,
 * so it never needs reading.
 */
export function openPacketSender(ifindex: number, native: NativeBinding): PacketSender {
  checkIfindex(ifindex);
  const { AF_PACKET, SOCK_RAW } = native.constants as Record<string, number>;
  const socket = new native.Socket(AF_PACKET as number, SOCK_RAW as number, 0);
  try {
    socket.bind(buildSockaddrLl({ ifindex }));
  } catch (error) {
    socket.close();
    throw error;
  }
  // A daemon sends the same few frames again and again: build each destination once.
  const destinations = new Map<string, Buffer>();
  return {
    send(frame: Buffer): boolean {
      if (!Buffer.isBuffer(frame) || frame.length < ETHERNET_HEADER_LENGTH) {
        throw new TypeError(`An Ethernet frame needs at least ${ETHERNET_HEADER_LENGTH} bytes`);
      }
      // The destination names the interface and the frame's ethertype, which becomes the
      // skb protocol the kernel and taps see.
      const key = frame.toString('latin1', 0, 6) + frame.toString('latin1', 12, 14);
      let destination = destinations.get(key);
      if (destination === undefined) {
        destination = buildSockaddrLl({ ifindex, protocol: frame.readUInt16BE(12), hardwareAddress: frame.subarray(0, 6) });
        destinations.set(key, destination);
      }
      return socket.sendTo(frame, destination) >= 0;
    },
    close(): void {
      socket.close();
    },
  };
}

export interface CapturedFrame {
  frame: Buffer;
  /** PACKET_HOST, PACKET_BROADCAST, PACKET_MULTICAST, PACKET_OTHERHOST or PACKET_OUTGOING. */
  pkttype: number;
  ifindex: number;
}

export interface PacketCapture {
  /** Idempotent. */
  close(): void;
}

/**
 * Receives every frame (of `ethertype`, default all) on `ifindex`, outgoing ones included, with
 * PACKET_OUTGOING as pkttype; with `filter` (a classic BPF program, bpf-program.ts) only those
 * it accepts. An exception from onFrame goes to onError.
 */
export function openPacketCapture(
  ifindex: number,
  native: NativeBinding,
  onFrame: (captured: CapturedFrame) => void,
  onError: (error: Error) => void,
  ethertype = ETH_P_ALL,
  filter?: Buffer,
): PacketCapture {
  checkIfindex(ifindex);
  const { AF_PACKET, SOCK_RAW } = native.constants as Record<string, number>;
  // With a filter: protocol 0 receives nothing until bind, so no frame arrives unfiltered.
  const socket: NativeSocket = new native.Socket(AF_PACKET as number, SOCK_RAW as number, filter === undefined ? networkOrder16(ethertype) : 0);
  try {
    if (filter !== undefined) socket.attachFilter(filter);
    socket.bind(buildSockaddrLl({ ifindex, protocol: ethertype }));
    socket.startReceiving((batch) => {
      for (const message of batch) {
        const from = parseSockaddr(message.address);
        if (from?.family !== 'packet') continue;
        try {
          onFrame({ frame: message.data, pkttype: from.pkttype, ifindex: from.ifindex });
        } catch (error) {
          onError(error instanceof Error ? error : new Error(String(error)));
        }
      }
    }, onError);
  } catch (error) {
    socket.close();
    throw error;
  }
  return { close: () => socket.close() };
}
