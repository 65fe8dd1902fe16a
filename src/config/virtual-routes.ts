/**
 * keepalived's virtual_routes and virtual_rules lines, written the `ip route` / `ip rule` way:
 *   [src ADDR] [to] [blackhole|unreachable|prohibit|throw] DEST[/LEN] [via|gw ADDR [or ADDR]...]
 *     [dev IF] [scope S] [table T] [metric|priority|preference N] [protocol P] [no_track]
 *   [from P] [to P] [table|lookup T | goto N | blackhole|unreachable|prohibit]
 *     [priority|preference|pref N] [iif IF] [oif IF] [fwmark M[/MASK]] [tos N] [no_track]
 * Shared by keepalived.conf and the YAML front end, so both accept exactly the same text. Every
 * option of ip route / ip rule that is not listed is refused by name: a route that is not what the
 * file says would send traffic elsewhere.
 */
import type { AddressFamily } from '../vrrp/advert.js';
import { parseIp } from '../vrrp/ip-address.js';
import { parseIpAddress } from './address.js';
import { ConfigError } from './config-error.js';
import type { AddressScope, SourceLocation } from './model.js';
import type { RuleSpec } from '../net/netlink/rule.js';

export type RouteType = 'unicast' | 'blackhole' | 'unreachable' | 'prohibit' | 'throw';
export type RuleAction = 'table' | 'goto' | 'blackhole' | 'unreachable' | 'prohibit';

export interface RouteNextHop {
  gateway?: string;
  /** Interface name; resolved to an index when the daemon starts. */
  device?: string;
}

export interface RouteConfig {
  family: AddressFamily;
  destination: string;
  prefixLength: number;
  type: RouteType;
  nextHops: RouteNextHop[];
  preferredSource?: string;
  metric?: number;
  table: number;
  scope?: AddressScope;
  /** rtm_protocol: keepalived's own (18) unless the line says otherwise. */
  protocol: number;
  source: SourceLocation;
}

/** A rule as the kernel gets it (src/net/netlink/rule.ts), with where it was written. */
export type RuleConfig = Omit<RuleSpec, 'protocol' | 'action'> & {
  action: RuleAction;
  /** Always set once validated: keepalived gives rules without one 16384, 16383, ... (see assignRulePriorities). */
  priority?: number;
  protocol: number;
  source: SourceLocation;
};

/** linux/rtnetlink.h RTPROT_KEEPALIVED: what keepalived marks its routes and rules with. */
export const KEEPALIVED_PROTOCOL = 18;
/** keepalived 2.2.7: the first rule without a preference gets this one, the next one less. */
export const FIRST_DEFAULT_RULE_PRIORITY = 16384;

const TABLE_NAMES: Readonly<Record<string, number>> = { default: 253, main: 254, local: 255 };
const PROTOCOL_NAMES: Readonly<Record<string, number>> = { kernel: 2, boot: 3, static: 4, keepalived: KEEPALIVED_PROTOCOL };
const SCOPES: readonly AddressScope[] = ['global', 'site', 'link', 'host', 'nowhere'];
const ROUTE_TYPES: readonly RouteType[] = ['unicast', 'blackhole', 'unreachable', 'prohibit', 'throw'];

/** ip route options keepalived knows that hotstandby does not set: refused by name. */
const UNSUPPORTED_ROUTE_OPTIONS = new Set([
  'nexthop', 'onlink', 'tos', 'dsfield', 'mtu', 'hoplimit', 'advmss', 'rtt', 'rttvar', 'reordering', 'window', 'cwnd',
  'ssthresh', 'realms', 'rto_min', 'initcwnd', 'initrwnd', 'features', 'quickack', 'congctl', 'pref', 'fastopen_no_cookie',
  'encap', 'vrf', 'ttl-propagate', 'expires', 'append', 'track_group', 'local', 'nat', 'broadcast', 'multicast', 'anycast',
]);
const UNSUPPORTED_RULE_OPTIONS = new Set(['realms', 'uidrange', 'l3mdev', 'ip_proto', 'sport', 'dport', 'suppress_prefixlength', 'suppress_ifgroup', 'track_group', 'nat', 'not', 'tun_id', 'inet6']);

interface Words {
  next(what: string): string;
  peek(): string | undefined;
}

function wordsOf(words: readonly string[], source: SourceLocation, key: string, line: string): Words {
  let i = 0;
  return {
    next(what) {
      const word = words[i++];
      if (word === undefined) throw new ConfigError(`Expected ${what} at the end of "${line}"`, source, key);
      return word;
    },
    peek: () => words[i],
  };
}

function parsePrefix(text: string, source: SourceLocation, key: string, what: string): { address: string; family: AddressFamily; prefixLength: number } {
  const [addressText = '', lengthText, ...rest] = text.split('/');
  const parsed = parseIpAddress(addressText);
  if (!parsed || rest.length > 0) throw new ConfigError(`"${text}" is not an address or prefix (${what})`, source, key);
  const max = parsed.family === 4 ? 32 : 128;
  const prefixLength = lengthText === undefined ? max : Number(lengthText);
  if (!/^\d+$/.test(lengthText ?? '0') || !Number.isInteger(prefixLength) || prefixLength > max) {
    throw new ConfigError(`Prefix length in "${text}" is not 0..${max} (${what})`, source, key);
  }
  // The kernel refuses a prefix with host bits set (EINVAL); say so here, with the line.
  const bytes = parseIp(parsed.address).bytes;
  for (let bit = prefixLength; bit < max; bit++) {
    if (((bytes[bit >> 3] ?? 0) >> (7 - (bit & 7))) & 1) {
      throw new ConfigError(`"${text}" has host bits set beyond /${prefixLength} (${what})`, source, key);
    }
  }
  return { address: parsed.address, family: parsed.family, prefixLength };
}

function parseAddress(text: string, source: SourceLocation, key: string, what: string): { address: string; family: AddressFamily } {
  const parsed = parseIpAddress(text);
  if (!parsed) throw new ConfigError(`"${text}" is not an IP address (${what})`, source, key);
  return parsed;
}

function parseNumber(text: string, max: number, source: SourceLocation, key: string, what: string): number {
  const value = /^0x[0-9a-f]+$/i.test(text) ? parseInt(text, 16) : /^\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isInteger(value) || value > max) throw new ConfigError(`"${text}" is not a ${what} (0..${max})`, source, key);
  return value;
}

function parseTable(text: string, source: SourceLocation, key: string): number {
  const value = TABLE_NAMES[text] ?? parseNumber(text, 0xffffffff, source, key, 'table number (or main, local, default)');
  if (value === 0) throw new ConfigError('Table 0 is not a routing table', source, key);
  return value;
}

function parseProtocol(text: string, source: SourceLocation, key: string): number {
  return PROTOCOL_NAMES[text] ?? parseNumber(text, 255, source, key, 'route protocol number (or kernel, boot, static, keepalived)');
}

function sameFamily(family: AddressFamily | undefined, other: AddressFamily, text: string, source: SourceLocation, key: string): AddressFamily {
  if (family !== undefined && family !== other) throw new ConfigError(`"${text}" mixes IPv4 and IPv6 in one line`, source, key);
  return other;
}

/** One virtual_routes line. Throws ConfigError naming the line for anything it cannot honour. */
export function parseRouteWords(words: readonly string[], source: SourceLocation, key: string): RouteConfig {
  const line = words.join(' ');
  const w = wordsOf(words, source, key, line);
  let family: AddressFamily | undefined;
  let type: RouteType = 'unicast';
  let destination: { address: string; prefixLength: number } | undefined;
  const hops: RouteNextHop[] = [];
  const route: Partial<RouteConfig> = {};
  const hop = (): RouteNextHop => {
    if (hops.length === 0) hops.push({});
    return hops[hops.length - 1] as RouteNextHop;
  };
  for (let word = w.peek(); word !== undefined; word = w.peek()) {
    w.next('');
    if (word === 'src') {
      const src = parseAddress(w.next('a source address'), source, key, 'src');
      family = sameFamily(family, src.family, line, source, key);
      route.preferredSource = src.address;
    } else if (word === 'to') {
      continue;
    } else if ((ROUTE_TYPES as readonly string[]).includes(word) && destination === undefined) {
      type = word as RouteType;
    } else if (word === 'via' || word === 'gw' || word === 'or') {
      const gateway = parseAddress(w.next('a gateway address'), source, key, word);
      family = sameFamily(family, gateway.family, line, source, key);
      if (word === 'or' && hops.length === 0) throw new ConfigError(`"or" without a first gateway in "${line}"`, source, key);
      if (word === 'or' || hops[hops.length - 1]?.gateway !== undefined) hops.push({ gateway: gateway.address });
      else hop().gateway = gateway.address;
    } else if (word === 'dev') {
      hop().device = w.next('an interface name');
    } else if (word === 'scope') {
      const scope = w.next('a scope');
      if (!(SCOPES as readonly string[]).includes(scope)) throw new ConfigError(`Unknown scope "${scope}": expected ${SCOPES.join(', ')}`, source, key);
      route.scope = scope as AddressScope;
    } else if (word === 'table') {
      route.table = parseTable(w.next('a table'), source, key);
    } else if (word === 'metric' || word === 'priority' || word === 'preference') {
      route.metric = parseNumber(w.next('a metric'), 0xffffffff, source, key, 'metric');
    } else if (word === 'protocol' || word === 'proto') {
      route.protocol = parseProtocol(w.next('a protocol'), source, key);
    } else if (word === 'no_track') {
      // hotstandby never tracks routes: it is what no_track asks for (see docs/config.md).
    } else if (UNSUPPORTED_ROUTE_OPTIONS.has(word)) {
      throw new ConfigError(`Route option "${word}" is not supported (in "${line}")`, source, key);
    } else if (destination === undefined) {
      const prefix = word === 'default' ? { address: '0.0.0.0', family: family ?? 4, prefixLength: 0 } : parsePrefix(word, source, key, 'route destination');
      family = sameFamily(family, prefix.family, line, source, key);
      destination = prefix;
    } else {
      throw new ConfigError(`Unknown route option "${word}" in "${line}"`, source, key);
    }
  }
  if (destination === undefined || family === undefined) throw new ConfigError(`Route without a destination: "${line}"`, source, key);
  if (family === 6 && destination.prefixLength === 0 && destination.address === '0.0.0.0') destination = { address: '::', prefixLength: 0 };
  if (type !== 'unicast' && hops.length > 0) throw new ConfigError(`A ${type} route takes no gateway or device: "${line}"`, source, key);
  if (type === 'unicast' && hops.length === 0) throw new ConfigError(`Route without a gateway or device: "${line}"`, source, key);
  const config: RouteConfig = {
    family,
    destination: destination.address,
    prefixLength: destination.prefixLength,
    type,
    nextHops: hops,
    table: route.table ?? TABLE_NAMES.main ?? 254,
    protocol: route.protocol ?? KEEPALIVED_PROTOCOL,
    source,
  };
  if (route.preferredSource !== undefined) config.preferredSource = route.preferredSource;
  if (route.metric !== undefined) config.metric = route.metric;
  if (route.scope !== undefined) config.scope = route.scope;
  return config;
}

/** One virtual_rules line. Throws ConfigError naming the line for anything it cannot honour. */
export function parseRuleWords(words: readonly string[], source: SourceLocation, key: string): RuleConfig {
  const line = words.join(' ');
  const w = wordsOf(words, source, key, line);
  let family: AddressFamily | undefined;
  const rule: Partial<RuleConfig> = {};
  const prefix = (word: 'from' | 'to'): void => {
    const text = w.next(`a ${word} prefix`);
    if (text === 'all') return;
    const parsed = parsePrefix(text, source, key, word);
    family = sameFamily(family, parsed.family, line, source, key);
    rule[word] = { address: parsed.address, prefixLength: parsed.prefixLength };
  };
  const action = (value: RuleAction): void => {
    if (rule.action !== undefined) throw new ConfigError(`Two actions (${rule.action} and ${value}) in "${line}"`, source, key);
    rule.action = value;
  };
  for (let word = w.peek(); word !== undefined; word = w.peek()) {
    w.next('');
    if (word === 'from' || word === 'to') prefix(word);
    else if (word === 'table' || word === 'lookup') {
      action('table');
      rule.table = parseTable(w.next('a table'), source, key);
    } else if (word === 'goto') {
      action('goto');
      rule.goto = parseNumber(w.next('a rule priority'), 0xffffffff, source, key, 'rule priority');
    } else if (word === 'blackhole' || word === 'unreachable' || word === 'prohibit') action(word);
    else if (word === 'priority' || word === 'preference' || word === 'pref' || word === 'order') {
      rule.priority = parseNumber(w.next('a priority'), 0xffffffff, source, key, 'rule priority');
    } else if (word === 'iif' || word === 'dev') rule.iif = w.next('an interface name');
    else if (word === 'oif') rule.oif = w.next('an interface name');
    else if (word === 'fwmark') {
      const [mark = '', mask] = w.next('a mark').split('/');
      rule.fwmark = parseNumber(mark, 0xffffffff, source, key, 'fwmark');
      if (mask !== undefined) rule.fwmask = parseNumber(mask, 0xffffffff, source, key, 'fwmark mask');
    } else if (word === 'tos' || word === 'dsfield') rule.tos = parseNumber(w.next('a tos'), 255, source, key, 'tos');
    else if (word === 'protocol' || word === 'proto') rule.protocol = parseProtocol(w.next('a protocol'), source, key);
    else if (word === 'no_track') {
      // As for routes: never tracked.
    } else if (UNSUPPORTED_RULE_OPTIONS.has(word)) throw new ConfigError(`Rule option "${word}" is not supported (in "${line}")`, source, key);
    else throw new ConfigError(`Unknown rule option "${word}" in "${line}"`, source, key);
  }
  if (rule.action === undefined) throw new ConfigError(`Rule without an action (table, goto, blackhole, unreachable, prohibit): "${line}"`, source, key);
  const config: RuleConfig = { family: family ?? 4, action: rule.action, protocol: rule.protocol ?? KEEPALIVED_PROTOCOL, source };
  for (const field of ['from', 'to', 'table', 'goto', 'priority', 'iif', 'oif', 'fwmark', 'fwmask', 'tos'] as const) {
    if (rule[field] !== undefined) Object.assign(config, { [field]: rule[field] });
  }
  return config;
}

/**
 * keepalived 2.2.7 gives rules without a preference 16384, then 16383, ... in the order they are
 * read, and warns; the kernel's own choice would differ between add and delete. Returns the
 * warnings (one per rule given a priority).
 */
export function assignRulePriorities(rules: readonly RuleConfig[]): Array<{ message: string; source: SourceLocation }> {
  let next = FIRST_DEFAULT_RULE_PRIORITY;
  const warnings: Array<{ message: string; source: SourceLocation }> = [];
  for (const rule of rules) {
    if (rule.priority !== undefined) continue;
    rule.priority = next--;
    warnings.push({ message: `Rule has no preference; it gets ${rule.priority}, as keepalived does`, source: rule.source });
  }
  return warnings;
}

/** A route as a line parseRouteWords reads back to the same route (convert, logs). */
export function routeText(route: RouteConfig): string {
  const words: string[] = [];
  if (route.preferredSource !== undefined) words.push('src', route.preferredSource);
  if (route.type !== 'unicast') words.push(route.type);
  words.push(`${route.destination}/${route.prefixLength}`);
  route.nextHops.forEach((hop, i) => {
    if (hop.gateway !== undefined) words.push(i === 0 ? 'via' : 'or', hop.gateway);
    if (hop.device !== undefined) words.push('dev', hop.device);
  });
  if (route.scope !== undefined) words.push('scope', route.scope);
  if (route.table !== 254) words.push('table', String(route.table));
  if (route.metric !== undefined) words.push('metric', String(route.metric));
  if (route.protocol !== KEEPALIVED_PROTOCOL) words.push('protocol', String(route.protocol));
  return words.join(' ');
}

/** A rule as a line parseRuleWords reads back to the same rule. */
export function ruleText(rule: RuleConfig): string {
  const words: string[] = [];
  if (rule.from) words.push('from', `${rule.from.address}/${rule.from.prefixLength}`);
  if (rule.to) words.push('to', `${rule.to.address}/${rule.to.prefixLength}`);
  if (rule.action === 'table') words.push('table', String(rule.table));
  else if (rule.action === 'goto') words.push('goto', String(rule.goto));
  else words.push(rule.action);
  if (rule.priority !== undefined) words.push('priority', String(rule.priority));
  if (rule.iif !== undefined) words.push('iif', rule.iif);
  if (rule.oif !== undefined) words.push('oif', rule.oif);
  if (rule.fwmark !== undefined) words.push('fwmark', rule.fwmask === undefined ? String(rule.fwmark) : `${rule.fwmark}/${rule.fwmask}`);
  if (rule.tos !== undefined) words.push('tos', String(rule.tos));
  if (rule.protocol !== KEEPALIVED_PROTOCOL) words.push('protocol', String(rule.protocol));
  return words.join(' ');
}
