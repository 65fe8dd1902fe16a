/**
 * Policy routing rules: struct fib_rule_hdr plus FRA_* attributes, for RTM_NEWRULE / RTM_DELRULE
 * (linux/fib_rules.h). Covers what keepalived's virtual_rules use: from, to, table, priority,
 * iif / oif, fwmark with mask, and the actions that drop traffic or jump.
 */
import type { AddressFamily } from '../../vrrp/advert.js';
import { type Attribute, bytesAttribute, decodeAttributes, encodeAttributes, stringAttribute, u32Attribute, u8Attribute } from './attributes.js';
import {
  AF_INET,
  AF_INET6,
  FIB_RULE_HDR_LENGTH,
  FRA_DST,
  FRA_FWMARK,
  FRA_FWMASK,
  FRA_GOTO,
  FRA_IIFNAME,
  FRA_OIFNAME,
  FRA_PRIORITY,
  FRA_PROTOCOL,
  FRA_SRC,
  FRA_TABLE,
  FR_ACT_BLACKHOLE,
  FR_ACT_GOTO,
  FR_ACT_NOP,
  FR_ACT_PROHIBIT,
  FR_ACT_TO_TBL,
  FR_ACT_UNREACHABLE,
  IFNAMSIZ,
  RT_TABLE_COMPAT,
} from './constants.js';
import { writeU32 } from './host-order.js';
import { addressToBytes, bytesToAddress, familyOfNumber } from './ip-address.js';

export type RuleAction = 'table' | 'goto' | 'nop' | 'blackhole' | 'unreachable' | 'prohibit';

const ACTIONS: ReadonlyMap<RuleAction, number> = new Map<RuleAction, number>([
  ['table', FR_ACT_TO_TBL],
  ['goto', FR_ACT_GOTO],
  ['nop', FR_ACT_NOP],
  ['blackhole', FR_ACT_BLACKHOLE],
  ['unreachable', FR_ACT_UNREACHABLE],
  ['prohibit', FR_ACT_PROHIBIT],
]);

export interface RulePrefix {
  address: string;
  prefixLength: number;
}

export interface RuleSpec {
  family: AddressFamily;
  from?: RulePrefix;
  to?: RulePrefix;
  action: RuleAction;
  /** With action 'table'. */
  table?: number;
  /** With action 'goto': the priority to jump to. */
  goto?: number;
  /** FRA_PRIORITY (`preference`); absent = the kernel picks one on add, any on delete. */
  priority?: number;
  iif?: string;
  oif?: string;
  fwmark?: number;
  /** Default 0xffffffff when fwmark is given. */
  fwmask?: number;
  tos?: number;
  /** FRA_PROTOCOL: who made the rule (18 = keepalived, as keepalived marks its own). */
  protocol?: number;
}

function checkPrefix(prefix: RulePrefix, family: AddressFamily, what: string): void {
  const max = family === 4 ? 32 : 128;
  if (!Number.isInteger(prefix.prefixLength) || prefix.prefixLength < 0 || prefix.prefixLength > max) {
    throw new RangeError(`Rule ${what} prefix length ${prefix.prefixLength} is not 0..${max}`);
  }
  addressToBytes(prefix.address, family);
}

export function validateRuleSpec(spec: RuleSpec): void {
  if (spec.family !== 4 && spec.family !== 6) throw new TypeError(`Rule family ${String(spec.family)} is not 4 or 6`);
  if (spec.from) checkPrefix(spec.from, spec.family, 'from');
  if (spec.to) checkPrefix(spec.to, spec.family, 'to');
  if (!ACTIONS.has(spec.action)) throw new TypeError(`Unknown rule action '${String(spec.action)}'`);
  if (spec.action === 'table' && (spec.table === undefined || spec.table <= 0)) throw new RangeError('A table rule needs a table above 0');
  if (spec.action === 'goto' && spec.goto === undefined) throw new RangeError('A goto rule needs a target priority');
  for (const [name, value] of [
    ['table', spec.table],
    ['goto', spec.goto],
    ['priority', spec.priority],
    ['fwmark', spec.fwmark],
    ['fwmask', spec.fwmask],
  ] as const) {
    if (value !== undefined && (!Number.isInteger(value) || value < 0 || value > 0xffffffff)) throw new RangeError(`Rule ${name} ${value} is not 0..4294967295`);
  }
  for (const [name, value] of [['tos', spec.tos], ['protocol', spec.protocol]] as const) {
    if (value !== undefined && (!Number.isInteger(value) || value < 0 || value > 255)) throw new RangeError(`Rule ${name} ${value} is not 0..255`);
  }
  for (const name of [spec.iif, spec.oif]) {
    if (name !== undefined && (name.length === 0 || Buffer.byteLength(name) >= IFNAMSIZ)) {
      throw new RangeError(`Interface name '${name}' must be 1 to ${IFNAMSIZ - 1} bytes`);
    }
  }
}

/** The payload of RTM_NEWRULE (add) or RTM_DELRULE (delete): the kernel matches a delete on every field given. */
export function encodeRuleRequest(spec: RuleSpec): Buffer {
  validateRuleSpec(spec);
  const header = Buffer.alloc(FIB_RULE_HDR_LENGTH);
  header[0] = spec.family === 4 ? AF_INET : AF_INET6;
  header[1] = spec.to?.prefixLength ?? 0;
  header[2] = spec.from?.prefixLength ?? 0;
  header[3] = spec.tos ?? 0;
  const table = spec.action === 'table' ? (spec.table ?? 0) : 0;
  header[4] = table < 256 ? table : RT_TABLE_COMPAT;
  header[7] = ACTIONS.get(spec.action) ?? FR_ACT_TO_TBL;
  writeU32(header, 0, 8);
  const attributes: Attribute[] = [];
  if (spec.to && spec.to.prefixLength > 0) attributes.push(bytesAttribute(FRA_DST, addressToBytes(spec.to.address, spec.family)));
  if (spec.from && spec.from.prefixLength > 0) attributes.push(bytesAttribute(FRA_SRC, addressToBytes(spec.from.address, spec.family)));
  if (spec.iif !== undefined) attributes.push(stringAttribute(FRA_IIFNAME, spec.iif));
  if (spec.oif !== undefined) attributes.push(stringAttribute(FRA_OIFNAME, spec.oif));
  if (spec.priority !== undefined) attributes.push(u32Attribute(FRA_PRIORITY, spec.priority));
  if (spec.fwmark !== undefined) {
    attributes.push(u32Attribute(FRA_FWMARK, spec.fwmark));
    attributes.push(u32Attribute(FRA_FWMASK, spec.fwmask ?? 0xffffffff));
  }
  if (spec.action === 'table') attributes.push(u32Attribute(FRA_TABLE, table));
  if (spec.action === 'goto' && spec.goto !== undefined) attributes.push(u32Attribute(FRA_GOTO, spec.goto));
  if (spec.protocol !== undefined) attributes.push(u8Attribute(FRA_PROTOCOL, spec.protocol));
  return Buffer.concat([header, encodeAttributes(attributes)]);
}

function prefixOf(bytes: Buffer | undefined, length: number, family: AddressFamily): RulePrefix | undefined {
  if (length === 0) return undefined;
  const address = bytes ? bytesToAddress(bytes) : undefined;
  if (address === undefined || bytes?.length !== (family === 4 ? 4 : 16)) return undefined;
  return { address, prefixLength: length };
}

/** A rule from an RTM_NEWRULE / RTM_DELRULE payload; undefined for other families, actions or bad input. */
export function decodeRule(payload: Buffer): RuleSpec | undefined {
  if (payload.length < FIB_RULE_HDR_LENGTH) return undefined;
  const family = familyOfNumber(payload[0]);
  if (family === undefined) return undefined;
  const action = [...ACTIONS].find(([, n]) => n === payload[7])?.[0];
  if (action === undefined) return undefined;
  const attributes = decodeAttributes(payload.subarray(FIB_RULE_HDR_LENGTH));
  const rule: RuleSpec = { family, action };
  const to = prefixOf(attributes.bytes(FRA_DST), payload[1] ?? 0, family);
  if (to) rule.to = to;
  const from = prefixOf(attributes.bytes(FRA_SRC), payload[2] ?? 0, family);
  if (from) rule.from = from;
  if (payload[3]) rule.tos = payload[3];
  const table = attributes.u32(FRA_TABLE) ?? payload[4];
  if (action === 'table' && table) rule.table = table;
  const optional: Array<[keyof RuleSpec, number | string | undefined]> = [
    ['goto', attributes.u32(FRA_GOTO)],
    ['priority', attributes.u32(FRA_PRIORITY)],
    ['fwmark', attributes.u32(FRA_FWMARK)],
    ['fwmask', attributes.u32(FRA_FWMASK)],
    ['iif', attributes.string(FRA_IIFNAME)],
    ['oif', attributes.string(FRA_OIFNAME)],
    ['protocol', attributes.u8(FRA_PROTOCOL)],
  ];
  for (const [key, value] of optional) if (value !== undefined) Object.assign(rule, { [key]: value });
  return rule;
}

export function describeRule(spec: RuleSpec): string {
  const parts: string[] = [];
  if (spec.from) parts.push(`from ${spec.from.address}/${spec.from.prefixLength}`);
  if (spec.to) parts.push(`to ${spec.to.address}/${spec.to.prefixLength}`);
  if (spec.iif !== undefined) parts.push(`iif ${spec.iif}`);
  if (spec.oif !== undefined) parts.push(`oif ${spec.oif}`);
  if (spec.fwmark !== undefined) parts.push(`fwmark ${spec.fwmark}${spec.fwmask !== undefined ? `/${spec.fwmask}` : ''}`);
  if (spec.priority !== undefined) parts.push(`pref ${spec.priority}`);
  parts.push(spec.action === 'table' ? `table ${spec.table}` : spec.action === 'goto' ? `goto ${spec.goto}` : spec.action);
  return parts.join(' ');
}
