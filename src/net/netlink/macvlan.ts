/**
 * macvlan links (keepalived's use_vmac): RTM_NEWLINK with IFLA_LINKINFO kind "macvlan", and the
 * requests that bring a link up or delete it (linux/if_link.h).
 */
import { type Attribute, bytesAttribute, decodeAttributes, encodeAttributes, stringAttribute, u32Attribute } from './attributes.js';
import {
  IFF_UP,
  IFINFOMSG_LENGTH,
  IFLA_ADDRESS,
  IFLA_IFNAME,
  IFLA_INFO_DATA,
  IFLA_INFO_KIND,
  IFLA_LINK,
  IFLA_LINKINFO,
  IFLA_MACVLAN_MODE,
  IFNAMSIZ,
  MACVLAN_MODE_BRIDGE,
  MACVLAN_MODE_PRIVATE,
  MACVLAN_MODE_VEPA,
  NLA_F_NESTED,
} from './constants.js';
import { encodeIfInfoMsg } from './link.js';
import { macToString } from './ip-address.js';

export type MacvlanMode = 'private' | 'vepa' | 'bridge';

const MODES: ReadonlyMap<MacvlanMode, number> = new Map<MacvlanMode, number>([
  ['private', MACVLAN_MODE_PRIVATE],
  ['vepa', MACVLAN_MODE_VEPA],
  ['bridge', MACVLAN_MODE_BRIDGE],
]);

export interface MacvlanSpec {
  name: string;
  /** ifindex of the interface the macvlan sits on. */
  parentIndex: number;
  /** 'aa:bb:cc:dd:ee:ff'. */
  mac: string;
  /** keepalived creates its VMACs in private mode. */
  mode: MacvlanMode;
}

function checkName(name: string): void {
  if (name.length === 0 || Buffer.byteLength(name) >= IFNAMSIZ || /[\s/:]/.test(name)) {
    throw new RangeError(`Interface name '${name}' must be 1 to ${IFNAMSIZ - 1} bytes without spaces, '/' or ':'`);
  }
}

/** 'aa:bb:cc:dd:ee:ff' to its six bytes; SyntaxError for anything else. */
export function macBytes(mac: string): Buffer {
  if (!/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(mac)) throw new SyntaxError(`Not a MAC address: '${mac}'`);
  return Buffer.from(mac.split(':').map((h) => parseInt(h, 16)));
}

function nested(type: number, attributes: Attribute[]): Attribute {
  return bytesAttribute(type | NLA_F_NESTED, encodeAttributes(attributes));
}

/** The payload of RTM_NEWLINK creating the macvlan (send with NLM_F_CREATE | NLM_F_EXCL). */
export function encodeMacvlanCreateRequest(spec: MacvlanSpec): Buffer {
  checkName(spec.name);
  if (!Number.isInteger(spec.parentIndex) || spec.parentIndex <= 0) throw new RangeError(`Parent ifindex ${spec.parentIndex} is not a positive integer`);
  const mode = MODES.get(spec.mode);
  if (mode === undefined) throw new TypeError(`Unknown macvlan mode '${String(spec.mode)}'`);
  return Buffer.concat([
    encodeIfInfoMsg({}),
    encodeAttributes([
      stringAttribute(IFLA_IFNAME, spec.name),
      u32Attribute(IFLA_LINK, spec.parentIndex),
      bytesAttribute(IFLA_ADDRESS, macBytes(spec.mac)),
      nested(IFLA_LINKINFO, [stringAttribute(IFLA_INFO_KIND, 'macvlan'), nested(IFLA_INFO_DATA, [u32Attribute(IFLA_MACVLAN_MODE, mode)])]),
    ]),
  ]);
}

/** What a macvlan request or report says (tests; a link dump's kind). */
export function decodeMacvlan(payload: Buffer): Partial<MacvlanSpec> & { kind?: string } {
  const attributes = decodeAttributes(payload.subarray(IFINFOMSG_LENGTH));
  const result: Partial<MacvlanSpec> & { kind?: string } = {};
  const name = attributes.string(IFLA_IFNAME);
  if (name !== undefined) result.name = name;
  const parent = attributes.u32(IFLA_LINK);
  if (parent !== undefined) result.parentIndex = parent;
  const mac = attributes.bytes(IFLA_ADDRESS);
  if (mac) result.mac = macToString(mac);
  const info = attributes.bytes(IFLA_LINKINFO);
  if (info) {
    const linkInfo = decodeAttributes(info);
    const kind = linkInfo.string(IFLA_INFO_KIND);
    if (kind !== undefined) result.kind = kind;
    const data = linkInfo.bytes(IFLA_INFO_DATA);
    const mode = data ? decodeAttributes(data).u32(IFLA_MACVLAN_MODE) : undefined;
    const modeName = [...MODES].find(([, n]) => n === mode)?.[0];
    if (modeName !== undefined) result.mode = modeName;
  }
  return result;
}

/** The payload of RTM_NEWLINK setting a link administratively up (or down). */
export function encodeLinkUpRequest(index: number, up: boolean): Buffer {
  return encodeIfInfoMsg({ index, flags: up ? IFF_UP : 0, change: IFF_UP });
}

/** The payload of RTM_DELLINK for one link by index. */
export function encodeLinkDeleteRequest(index: number): Buffer {
  return encodeIfInfoMsg({ index });
}
