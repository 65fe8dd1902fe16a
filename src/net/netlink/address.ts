/**
 * Interface addresses: struct ifaddrmsg plus IFA_* attributes, for RTM_NEWADDR / RTM_DELADDR /
 * RTM_GETADDR (linux/if_addr.h).
 */
import type { AddressScope } from '../../config/model.js';
import type { AddressFamily } from '../../vrrp/advert.js';
import {
  AF_INET,
  AF_INET6,
  AF_UNSPEC,
  IFA_ADDRESS,
  IFA_BROADCAST,
  IFA_FLAGS,
  IFA_F_DADFAILED,
  IFA_F_DEPRECATED,
  IFA_F_NODAD,
  IFA_F_OPTIMISTIC,
  IFA_F_PERMANENT,
  IFA_F_SECONDARY,
  IFA_F_TENTATIVE,
  IFA_LABEL,
  IFA_LOCAL,
  IFADDRMSG_LENGTH,
  IFNAMSIZ,
  RT_SCOPE_HOST,
  RT_SCOPE_LINK,
  RT_SCOPE_NOWHERE,
  RT_SCOPE_SITE,
  RT_SCOPE_UNIVERSE,
} from './constants.js';
import { type Attribute, bytesAttribute, decodeAttributes, encodeAttributes, stringAttribute, u32Attribute } from './attributes.js';
import { readU32, writeU32 } from './host-order.js';
import { addressToBytes, bytesToAddress } from './ip-address.js';

export interface AddressFlags {
  /** IPv4: not the primary address of its subnet on the interface. */
  secondary: boolean;
  /** IPv6: duplicate address detection was skipped. */
  nodad: boolean;
  optimistic: boolean;
  dadFailed: boolean;
  deprecated: boolean;
  /** IPv6: DAD still running; the address cannot be used as a source yet. */
  tentative: boolean;
  /** Configured (not from autoconfiguration); no lifetime. */
  permanent: boolean;
}

export interface AddressInfo {
  /** Interface index. */
  index: number;
  family: AddressFamily;
  /** The interface's own address: IFA_LOCAL for IPv4 (IFA_ADDRESS when absent), IFA_ADDRESS for IPv6. */
  address: string;
  /** Point-to-point peer: IFA_ADDRESS when it differs from IFA_LOCAL. */
  peer?: string;
  prefixLength: number;
  /** IPv4 label (e.g. 'eth0:vip'); the kernel keeps none for IPv6. */
  label?: string;
  broadcast?: string;
  /** RT_SCOPE_* number; see scopeName(). */
  scope: number;
  flags: AddressFlags;
  /** All IFA_F_* bits (IFA_FLAGS when present, else ifa_flags). */
  rawFlags: number;
}

/** What to add or delete. Addresses are text; the family says which kind. */
export interface AddressSpec {
  ifindex: number;
  family: AddressFamily;
  address: string;
  prefixLength: number;
  /** IPv4 only (ignored for IPv6, where the kernel keeps no label); at most 15 bytes. */
  label?: string;
  /** Default 'global'. The kernel derives IPv6 scope from the address and ignores this. */
  scope?: AddressScope | number;
  /** IPv4 only. */
  broadcast?: string;
  /** IPv6 only: skip duplicate address detection so the address is usable at once (IFA_F_NODAD). */
  nodad?: boolean;
}

const SCOPES: ReadonlyMap<AddressScope, number> = new Map<AddressScope, number>([
  ['global', RT_SCOPE_UNIVERSE],
  ['site', RT_SCOPE_SITE],
  ['link', RT_SCOPE_LINK],
  ['host', RT_SCOPE_HOST],
  ['nowhere', RT_SCOPE_NOWHERE],
]);

/** RT_SCOPE_* for a scope name or number; RangeError outside 0..255, TypeError for an unknown name. */
export function scopeNumber(scope: AddressScope | number): number {
  if (typeof scope === 'number') {
    if (!Number.isInteger(scope) || scope < 0 || scope > 255) throw new RangeError(`Address scope ${scope} is not 0..255`);
    return scope;
  }
  const n = SCOPES.get(scope);
  if (n === undefined) throw new TypeError(`Unknown address scope '${String(scope)}'`);
  return n;
}

/** The name of an RT_SCOPE_* number, or undefined for numbers without one. */
export function scopeName(scope: number): AddressScope | undefined {
  for (const [name, n] of SCOPES) if (n === scope) return name;
  return undefined;
}

function familyNumber(family: AddressFamily): number {
  return family === 4 ? AF_INET : AF_INET6;
}

/** struct ifaddrmsg. */
export interface IfAddrMsg {
  family: number;
  prefixLength: number;
  flags: number;
  scope: number;
  index: number;
}

export function encodeIfAddrMsg(m: IfAddrMsg): Buffer {
  const buf = Buffer.alloc(IFADDRMSG_LENGTH);
  buf[0] = m.family;
  buf[1] = m.prefixLength;
  buf[2] = m.flags & 0xff;
  buf[3] = m.scope;
  writeU32(buf, m.index, 4);
  return buf;
}

export function decodeIfAddrMsg(payload: Buffer): IfAddrMsg | undefined {
  if (payload.length < IFADDRMSG_LENGTH) return undefined;
  return {
    family: payload[0] ?? 0,
    prefixLength: payload[1] ?? 0,
    flags: payload[2] ?? 0,
    scope: payload[3] ?? 0,
    index: readU32(payload, 4),
  };
}

/** Checks a spec's shape and ranges before anything is sent. */
export function validateAddressSpec(spec: AddressSpec): void {
  if (spec.family !== 4 && spec.family !== 6) throw new TypeError(`Address family ${String(spec.family)} is not 4 or 6`);
  if (!Number.isInteger(spec.ifindex) || spec.ifindex <= 0 || spec.ifindex > 0x7fffffff) {
    throw new RangeError(`Interface index ${spec.ifindex} is not a positive integer`);
  }
  const maxPrefix = spec.family === 4 ? 32 : 128;
  if (!Number.isInteger(spec.prefixLength) || spec.prefixLength < 0 || spec.prefixLength > maxPrefix) {
    throw new RangeError(`Prefix length ${spec.prefixLength} is not 0..${maxPrefix}`);
  }
  addressToBytes(spec.address, spec.family);
  if (spec.label !== undefined && (spec.label.length === 0 || Buffer.byteLength(spec.label) >= IFNAMSIZ)) {
    throw new RangeError(`Address label '${spec.label}' must be 1 to ${IFNAMSIZ - 1} bytes`);
  }
  if (spec.broadcast !== undefined) {
    if (spec.family !== 4) throw new TypeError(`Broadcast '${spec.broadcast}' given for an IPv6 address`);
    addressToBytes(spec.broadcast, 4);
  }
  if (spec.scope !== undefined) scopeNumber(spec.scope);
}

/**
 * The payload of RTM_NEWADDR (add) or RTM_DELADDR (delete). IPv4 carries IFA_LOCAL and IFA_ADDRESS
 * (the kernel needs IFA_LOCAL); a delete names the label only when given, because the kernel then
 * matches on it too.
 */
export function encodeAddressRequest(spec: AddressSpec): Buffer {
  validateAddressSpec(spec);
  const bytes = addressToBytes(spec.address, spec.family);
  const flags = spec.family === 6 && spec.nodad ? IFA_F_NODAD : 0;
  const attributes: Attribute[] = [];
  if (spec.family === 4) attributes.push(bytesAttribute(IFA_LOCAL, bytes));
  attributes.push(bytesAttribute(IFA_ADDRESS, bytes));
  if (spec.family === 4 && spec.label !== undefined) attributes.push(stringAttribute(IFA_LABEL, spec.label));
  if (spec.broadcast !== undefined) attributes.push(bytesAttribute(IFA_BROADCAST, addressToBytes(spec.broadcast, 4)));
  if (flags !== 0) attributes.push(u32Attribute(IFA_FLAGS, flags));
  return Buffer.concat([
    encodeIfAddrMsg({
      family: familyNumber(spec.family),
      prefixLength: spec.prefixLength,
      flags,
      scope: spec.scope === undefined ? RT_SCOPE_UNIVERSE : scopeNumber(spec.scope),
      index: spec.ifindex,
    }),
    encodeAttributes(attributes),
  ]);
}

/** The payload of an RTM_GETADDR dump request; family limits the dump to IPv4 or IPv6. */
export function encodeAddressDumpRequest(family?: AddressFamily): Buffer {
  return encodeIfAddrMsg({ family: family ? familyNumber(family) : AF_UNSPEC, prefixLength: 0, flags: 0, scope: 0, index: 0 });
}

/** A full address message payload as the kernel sends it (tests, fixtures). */
export function encodeAddress(info: Omit<AddressInfo, 'flags'>): Buffer {
  const attributes: Attribute[] = [];
  const local = addressToBytes(info.address, info.family);
  if (info.family === 4) attributes.push(bytesAttribute(IFA_ADDRESS, info.peer ? addressToBytes(info.peer, 4) : local));
  else attributes.push(bytesAttribute(IFA_ADDRESS, local));
  if (info.family === 4) attributes.push(bytesAttribute(IFA_LOCAL, local));
  if (info.label !== undefined) attributes.push(stringAttribute(IFA_LABEL, info.label));
  if (info.broadcast !== undefined) attributes.push(bytesAttribute(IFA_BROADCAST, addressToBytes(info.broadcast, 4)));
  attributes.push(u32Attribute(IFA_FLAGS, info.rawFlags));
  return Buffer.concat([
    encodeIfAddrMsg({
      family: familyNumber(info.family),
      prefixLength: info.prefixLength,
      flags: info.rawFlags,
      scope: info.scope,
      index: info.index,
    }),
    encodeAttributes(attributes),
  ]);
}

function decodeFlags(raw: number): AddressFlags {
  return {
    secondary: (raw & IFA_F_SECONDARY) !== 0,
    nodad: (raw & IFA_F_NODAD) !== 0,
    optimistic: (raw & IFA_F_OPTIMISTIC) !== 0,
    dadFailed: (raw & IFA_F_DADFAILED) !== 0,
    deprecated: (raw & IFA_F_DEPRECATED) !== 0,
    tentative: (raw & IFA_F_TENTATIVE) !== 0,
    permanent: (raw & IFA_F_PERMANENT) !== 0,
  };
}

/** An address from an RTM_NEWADDR / RTM_DELADDR payload; undefined for other families or bad input. */
export function decodeAddress(payload: Buffer): AddressInfo | undefined {
  const header = decodeIfAddrMsg(payload);
  if (!header) return undefined;
  const family: AddressFamily | undefined = header.family === AF_INET ? 4 : header.family === AF_INET6 ? 6 : undefined;
  if (family === undefined) return undefined;
  const attributes = decodeAttributes(payload.subarray(IFADDRMSG_LENGTH));
  const addressBytes = attributes.bytes(IFA_ADDRESS);
  const localBytes = attributes.bytes(IFA_LOCAL);
  const expected = family === 4 ? 4 : 16;
  const own = localBytes ?? addressBytes;
  if (!own || own.length !== expected) return undefined;
  const address = bytesToAddress(own);
  if (address === undefined) return undefined;
  const rawFlags = attributes.u32(IFA_FLAGS) ?? header.flags;
  const info: AddressInfo = {
    index: header.index,
    family,
    address,
    prefixLength: header.prefixLength,
    scope: header.scope,
    flags: decodeFlags(rawFlags),
    rawFlags,
  };
  if (localBytes && addressBytes && addressBytes.length === expected && !addressBytes.equals(localBytes)) {
    info.peer = bytesToAddress(addressBytes);
  }
  const label = attributes.string(IFA_LABEL);
  if (label) info.label = label;
  const broadcast = attributes.bytes(IFA_BROADCAST);
  if (broadcast && broadcast.length === 4) info.broadcast = bytesToAddress(broadcast);
  return info;
}
