/**
 * Routes: struct rtmsg plus RTA_* attributes, for RTM_NEWROUTE / RTM_DELROUTE (linux/rtnetlink.h).
 * Covers what keepalived's virtual_routes use: destination, gateway (or several: multipath),
 * device, preferred source, metric, table, scope, protocol and the types that drop traffic.
 */
import type { AddressFamily } from '../../vrrp/advert.js';
import { type Attribute, bytesAttribute, decodeAttributes, encodeAttributes, u32Attribute } from './attributes.js';
import { scopeNumber } from './address.js';
import {
  AF_INET,
  AF_INET6,
  RTA_DST,
  RTA_GATEWAY,
  RTA_MULTIPATH,
  RTA_OIF,
  RTA_PREFSRC,
  RTA_PRIORITY,
  RTA_TABLE,
  RTMSG_LENGTH,
  RTNEXTHOP_LENGTH,
  RTN_BLACKHOLE,
  RTN_PROHIBIT,
  RTN_THROW,
  RTN_UNICAST,
  RTN_UNREACHABLE,
  RT_SCOPE_LINK,
  RT_SCOPE_NOWHERE,
  RT_SCOPE_UNIVERSE,
  RT_TABLE_COMPAT,
  RT_TABLE_MAIN,
} from './constants.js';
import { readU16, readU32, writeU16, writeU32 } from './host-order.js';
import { addressToBytes, bytesToAddress, familyOfNumber } from './ip-address.js';
import type { AddressScope } from '../../config/model.js';

export type RouteType = 'unicast' | 'blackhole' | 'unreachable' | 'prohibit' | 'throw';

const ROUTE_TYPES: ReadonlyMap<RouteType, number> = new Map<RouteType, number>([
  ['unicast', RTN_UNICAST],
  ['blackhole', RTN_BLACKHOLE],
  ['unreachable', RTN_UNREACHABLE],
  ['prohibit', RTN_PROHIBIT],
  ['throw', RTN_THROW],
]);

export interface NextHop {
  gateway?: string;
  ifindex?: number;
}

/** One route as requested or reported. Addresses are text of `family`. */
export interface RouteSpec {
  family: AddressFamily;
  /** Network address of the destination (host bits zero) and its prefix length (0 = default route). */
  destination: string;
  prefixLength: number;
  type: RouteType;
  /** One next hop (gateway and/or device), or several for a multipath route. */
  nextHops: NextHop[];
  /** Preferred source address (RTA_PREFSRC; keepalived's and ip's `src`). */
  preferredSource?: string;
  /** RTA_PRIORITY (`metric`); absent = 0. */
  metric?: number;
  /** Default main (254). */
  table: number;
  /** Default: link for a unicast route without a gateway, global otherwise (as ip route). */
  scope?: AddressScope | number;
  /** rtm_protocol; default RTPROT_BOOT (3), as ip route. */
  protocol: number;
}

function familyNumber(family: AddressFamily): number {
  return family === 4 ? AF_INET : AF_INET6;
}

/** The scope a route gets when none is given: ip route's rule. */
export function defaultRouteScope(spec: Pick<RouteSpec, 'type' | 'nextHops'>): number {
  if (spec.type !== 'unicast') return RT_SCOPE_UNIVERSE;
  return spec.nextHops.some((h) => h.gateway !== undefined) ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK;
}

/** Checks a spec's shape and ranges before anything is sent. */
export function validateRouteSpec(spec: RouteSpec): void {
  if (spec.family !== 4 && spec.family !== 6) throw new TypeError(`Route family ${String(spec.family)} is not 4 or 6`);
  const maxPrefix = spec.family === 4 ? 32 : 128;
  if (!Number.isInteger(spec.prefixLength) || spec.prefixLength < 0 || spec.prefixLength > maxPrefix) {
    throw new RangeError(`Route prefix length ${spec.prefixLength} is not 0..${maxPrefix}`);
  }
  addressToBytes(spec.destination, spec.family);
  if (!ROUTE_TYPES.has(spec.type)) throw new TypeError(`Unknown route type '${String(spec.type)}'`);
  if (spec.type !== 'unicast' && spec.nextHops.length > 0) throw new TypeError(`A ${spec.type} route has no next hop`);
  for (const hop of spec.nextHops) {
    if (hop.gateway !== undefined) addressToBytes(hop.gateway, spec.family);
    if (hop.ifindex !== undefined && (!Number.isInteger(hop.ifindex) || hop.ifindex <= 0)) {
      throw new RangeError(`Interface index ${hop.ifindex} is not a positive integer`);
    }
  }
  if (spec.preferredSource !== undefined) addressToBytes(spec.preferredSource, spec.family);
  for (const [name, value, max] of [
    ['metric', spec.metric ?? 0, 0xffffffff],
    ['table', spec.table, 0xffffffff],
    ['protocol', spec.protocol, 255],
  ] as const) {
    if (!Number.isInteger(value) || value < 0 || value > max) throw new RangeError(`Route ${name} ${value} is not 0..${max}`);
  }
  if (spec.table === 0) throw new RangeError('Route table 0 is not a table');
  if (spec.scope !== undefined) scopeNumber(spec.scope);
}

function encodeNextHops(spec: RouteSpec): Attribute[] {
  const gatewayOf = (hop: NextHop): Attribute[] =>
    hop.gateway === undefined ? [] : [bytesAttribute(RTA_GATEWAY, addressToBytes(hop.gateway, spec.family))];
  const [only, ...more] = spec.nextHops;
  if (only === undefined) return [];
  if (more.length === 0) {
    return [...gatewayOf(only), ...(only.ifindex !== undefined ? [u32Attribute(RTA_OIF, only.ifindex)] : [])];
  }
  // RTA_MULTIPATH: for each hop a struct rtnexthop, then its own attributes.
  const parts = spec.nextHops.map((hop) => {
    const attributes = encodeAttributes(gatewayOf(hop));
    const head = Buffer.alloc(RTNEXTHOP_LENGTH);
    writeU16(head, RTNEXTHOP_LENGTH + attributes.length, 0);
    head[2] = 0; // rtnh_flags
    head[3] = 0; // rtnh_hops: weight - 1, so weight 1
    writeU32(head, hop.ifindex ?? 0, 4);
    return Buffer.concat([head, attributes]);
  });
  return [bytesAttribute(RTA_MULTIPATH, Buffer.concat(parts))];
}

/**
 * The payload of RTM_NEWROUTE (add) or RTM_DELROUTE (delete). A delete leaves the scope at
 * RT_SCOPE_NOWHERE, which the kernel reads as "any scope" (as ip route del does), and matches on
 * the rest.
 */
export function encodeRouteRequest(spec: RouteSpec, purpose: 'add' | 'delete'): Buffer {
  validateRouteSpec(spec);
  const header = Buffer.alloc(RTMSG_LENGTH);
  header[0] = familyNumber(spec.family);
  header[1] = spec.prefixLength;
  header[2] = 0; // rtm_src_len
  header[3] = 0; // rtm_tos
  header[4] = spec.table < 256 ? spec.table : RT_TABLE_COMPAT;
  header[5] = spec.protocol;
  header[6] = purpose === 'delete' ? RT_SCOPE_NOWHERE : spec.scope === undefined ? defaultRouteScope(spec) : scopeNumber(spec.scope);
  header[7] = ROUTE_TYPES.get(spec.type) ?? RTN_UNICAST;
  writeU32(header, 0, 8);
  const attributes: Attribute[] = [u32Attribute(RTA_TABLE, spec.table)];
  // A default route carries no RTA_DST (as ip route sends it).
  if (spec.prefixLength > 0) attributes.push(bytesAttribute(RTA_DST, addressToBytes(spec.destination, spec.family)));
  attributes.push(...encodeNextHops(spec));
  if (spec.preferredSource !== undefined) attributes.push(bytesAttribute(RTA_PREFSRC, addressToBytes(spec.preferredSource, spec.family)));
  if (spec.metric !== undefined) attributes.push(u32Attribute(RTA_PRIORITY, spec.metric));
  return Buffer.concat([header, encodeAttributes(attributes)]);
}

function decodeNextHops(multipath: Buffer): NextHop[] {
  const hops: NextHop[] = [];
  let offset = 0;
  while (offset + RTNEXTHOP_LENGTH <= multipath.length) {
    const length = readU16(multipath, offset);
    if (length < RTNEXTHOP_LENGTH || offset + length > multipath.length) break;
    const hop: NextHop = {};
    const ifindex = readU32(multipath, offset + 4);
    if (ifindex !== 0) hop.ifindex = ifindex;
    const gateway = decodeAttributes(multipath.subarray(offset + RTNEXTHOP_LENGTH, offset + length)).bytes(RTA_GATEWAY);
    const text = gateway ? bytesToAddress(gateway) : undefined;
    if (text !== undefined) hop.gateway = text;
    hops.push(hop);
    offset += (length + 3) & ~3;
  }
  return hops;
}

/** A route from an RTM_NEWROUTE / RTM_DELROUTE payload; undefined for other families, types or bad input. */
export function decodeRoute(payload: Buffer): RouteSpec | undefined {
  if (payload.length < RTMSG_LENGTH) return undefined;
  const family = familyOfNumber(payload[0]);
  if (family === undefined) return undefined;
  const type = [...ROUTE_TYPES].find(([, n]) => n === payload[7])?.[0];
  if (type === undefined) return undefined;
  const attributes = decodeAttributes(payload.subarray(RTMSG_LENGTH));
  const dst = attributes.bytes(RTA_DST);
  const destination = dst ? bytesToAddress(dst) : family === 4 ? '0.0.0.0' : '::';
  if (destination === undefined) return undefined;
  const route: RouteSpec = {
    family,
    destination,
    prefixLength: payload[1] ?? 0,
    type,
    nextHops: [],
    table: attributes.u32(RTA_TABLE) ?? payload[4] ?? RT_TABLE_MAIN,
    scope: payload[6] ?? 0,
    protocol: payload[5] ?? 0,
  };
  const multipath = attributes.bytes(RTA_MULTIPATH);
  if (multipath) route.nextHops = decodeNextHops(multipath);
  else {
    const hop: NextHop = {};
    const gateway = attributes.bytes(RTA_GATEWAY);
    const gatewayText = gateway ? bytesToAddress(gateway) : undefined;
    if (gatewayText !== undefined) hop.gateway = gatewayText;
    const oif = attributes.u32(RTA_OIF);
    if (oif !== undefined) hop.ifindex = oif;
    if (hop.gateway !== undefined || hop.ifindex !== undefined) route.nextHops.push(hop);
  }
  const prefsrc = attributes.bytes(RTA_PREFSRC);
  const prefsrcText = prefsrc ? bytesToAddress(prefsrc) : undefined;
  if (prefsrcText !== undefined) route.preferredSource = prefsrcText;
  const metric = attributes.u32(RTA_PRIORITY);
  if (metric !== undefined) route.metric = metric;
  return route;
}

/** "192.0.2.0/24 via 198.51.100.1 table 100"-style text for logs and errors. */
export function describeRoute(spec: RouteSpec): string {
  const parts = [spec.type === 'unicast' ? '' : `${spec.type} `, `${spec.destination}/${spec.prefixLength}`];
  for (const hop of spec.nextHops) {
    if (hop.gateway !== undefined) parts.push(` via ${hop.gateway}`);
    if (hop.ifindex !== undefined) parts.push(` ifindex ${hop.ifindex}`);
  }
  if (spec.preferredSource !== undefined) parts.push(` src ${spec.preferredSource}`);
  if (spec.metric !== undefined) parts.push(` metric ${spec.metric}`);
  if (spec.table !== RT_TABLE_MAIN) parts.push(` table ${spec.table}`);
  return parts.join('');
}
