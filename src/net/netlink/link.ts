/**
 * Links (network interfaces): struct ifinfomsg plus IFLA_* attributes, for RTM_NEWLINK /
 * RTM_DELLINK / RTM_GETLINK (linux/rtnetlink.h, linux/if_link.h).
 */
import {
  AF_UNSPEC,
  IFF_LOWER_UP,
  IFF_RUNNING,
  IFF_UP,
  IFINFOMSG_LENGTH,
  IFLA_ADDRESS,
  IFLA_EXT_MASK,
  IFLA_IFNAME,
  IFLA_MTU,
  IFLA_OPERSTATE,
  IFNAMSIZ,
  RTEXT_FILTER_SKIP_STATS,
} from './constants.js';
import { type Attribute, bytesAttribute, decodeAttributes, encodeAttributes, stringAttribute, u32Attribute, u8Attribute } from './attributes.js';
import { readS32, readU16, readU32, writeS32, writeU16, writeU32 } from './host-order.js';
import { macToString } from './ip-address.js';

/** RFC 2863 operational state as the kernel reports it (IFLA_OPERSTATE, linux/if.h IF_OPER_*). */
export type OperState = 'unknown' | 'notpresent' | 'down' | 'lowerlayerdown' | 'testing' | 'dormant' | 'up';

const OPER_STATES: readonly OperState[] = ['unknown', 'notpresent', 'down', 'lowerlayerdown', 'testing', 'dormant', 'up'];

export interface LinkInfo {
  index: number;
  name: string;
  /** Hardware address 'aa:bb:cc:dd:ee:ff'; absent for devices without one (e.g. tun). */
  mac?: string;
  /** Administratively up (IFF_UP). */
  up: boolean;
  /** IFF_RUNNING: up and the operational state allows traffic. */
  running: boolean;
  /** Carrier present (IFF_LOWER_UP); false whenever the link is administratively down. */
  carrier: boolean;
  operState: OperState;
  mtu?: number;
  /** Raw ifi_flags (IFF_*). */
  flags: number;
  /** ARPHRD_* device type (1 = Ethernet, 772 = loopback). */
  type: number;
}

/** struct ifinfomsg. */
export interface IfInfoMsg {
  family: number;
  type: number;
  index: number;
  flags: number;
  /** Which flags a request changes (0xffffffff = all given). */
  change: number;
}

export function encodeIfInfoMsg(m: Partial<IfInfoMsg>): Buffer {
  const buf = Buffer.alloc(IFINFOMSG_LENGTH);
  buf[0] = m.family ?? AF_UNSPEC;
  writeU16(buf, m.type ?? 0, 2);
  writeS32(buf, m.index ?? 0, 4);
  writeU32(buf, m.flags ?? 0, 8);
  writeU32(buf, m.change ?? 0, 12);
  return buf;
}

export function decodeIfInfoMsg(payload: Buffer): IfInfoMsg | undefined {
  if (payload.length < IFINFOMSG_LENGTH) return undefined;
  return {
    family: payload[0] ?? 0,
    type: readU16(payload, 2),
    index: readS32(payload, 4),
    flags: readU32(payload, 8),
    change: readU32(payload, 12),
  };
}

/** The payload of an RTM_GETLINK dump request: no filter, and no statistics in the replies. */
export function encodeLinkDumpRequest(): Buffer {
  return Buffer.concat([encodeIfInfoMsg({}), encodeAttributes([u32Attribute(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS)])]);
}

/** The payload of an RTM_GETLINK request for one link by name. */
export function encodeLinkByNameRequest(name: string): Buffer {
  if (name.length === 0 || Buffer.byteLength(name) >= IFNAMSIZ) {
    throw new RangeError(`Interface name '${name}' must be 1 to ${IFNAMSIZ - 1} bytes`);
  }
  return Buffer.concat([
    encodeIfInfoMsg({}),
    encodeAttributes([stringAttribute(IFLA_IFNAME, name), u32Attribute(IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS)]),
  ]);
}

/** A full link message payload (as the kernel sends it); used by tests and any future link setter. */
export function encodeLink(link: Omit<LinkInfo, 'up' | 'running' | 'carrier'> & { change?: number }): Buffer {
  const attributes: Attribute[] = [stringAttribute(IFLA_IFNAME, link.name)];
  if (link.mac !== undefined) {
    attributes.push(bytesAttribute(IFLA_ADDRESS, Buffer.from(link.mac.split(':').map((h) => parseInt(h, 16)))));
  }
  if (link.mtu !== undefined) attributes.push(u32Attribute(IFLA_MTU, link.mtu));
  attributes.push(u8Attribute(IFLA_OPERSTATE, OPER_STATES.indexOf(link.operState)));
  return Buffer.concat([
    encodeIfInfoMsg({ type: link.type, index: link.index, flags: link.flags, change: link.change ?? 0 }),
    encodeAttributes(attributes),
  ]);
}

/** A link from an RTM_NEWLINK / RTM_DELLINK payload; undefined when too short or nameless. */
export function decodeLink(payload: Buffer): LinkInfo | undefined {
  const header = decodeIfInfoMsg(payload);
  if (!header) return undefined;
  const attributes = decodeAttributes(payload.subarray(IFINFOMSG_LENGTH));
  const name = attributes.string(IFLA_IFNAME);
  if (!name) return undefined;
  const info: LinkInfo = {
    index: header.index,
    name,
    up: (header.flags & IFF_UP) !== 0,
    running: (header.flags & IFF_RUNNING) !== 0,
    carrier: (header.flags & IFF_LOWER_UP) !== 0,
    operState: OPER_STATES[attributes.u8(IFLA_OPERSTATE) ?? 0] ?? 'unknown',
    flags: header.flags,
    type: header.type,
  };
  const mac = attributes.bytes(IFLA_ADDRESS);
  if (mac && mac.length > 0) info.mac = macToString(mac);
  const mtu = attributes.u32(IFLA_MTU);
  if (mtu !== undefined) info.mtu = mtu;
  return info;
}
