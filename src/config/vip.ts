/**
 * One virtual address written the `ip address add` way keepalived uses in virtual_ipaddress:
 *   <address>[/<prefix>] [brd <address>|+|-] [dev <name>] [scope <scope>] [label <label>] ...
 * Shared by keepalived.conf and the YAML string form, so both accept exactly the same text.
 */
import { parseIpAddress } from './address.js';
import { ConfigError } from './config-error.js';
import type { VipDraft } from './draft.js';
import type { AddressScope, SourceLocation } from './model.js';
import { canonicalIp, parseIp } from '../vrrp/ip-address.js';

const SCOPES: readonly AddressScope[] = ['global', 'site', 'link', 'host', 'nowhere'];

/** Options keepalived knows that do not change how we fail over: accepted with a warning. */
const IGNORED_FLAGS: Record<string, string> = {
  home: 'an IPv6 mobility flag',
  '-nodad': 'duplicate address detection is left to the kernel default',
  mngtmpaddr: 'an IPv6 temporary address flag',
  autojoin: 'a multicast join flag',
  no_track: 'addresses removed by others are not tracked anyway',
};
/** Options with a value that we ignore with a warning. */
const IGNORED_WITH_VALUE: Record<string, string> = {
  preferred_lft: 'the kernel default preferred lifetime is used',
};
/** Options whose absence would change what is configured on failover: refused. */
const REFUSED: Record<string, string> = {
  peer: 'point-to-point virtual addresses are not supported',
  noprefixroute: 'virtual addresses always get their prefix route',
  use_vmac: 'virtual MAC interfaces are not supported',
  track_group: 'track groups are not supported',
};

export interface ParsedVip {
  vip: VipDraft;
  warnings: string[];
}

/** Prefix bits of an IPv4 address as a 32-bit number. */
function ipv4Number(address: string): number {
  return parseIp(address).bytes.readUInt32BE(0);
}

function ipv4Text(value: number): string {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32BE(value >>> 0, 0);
  return canonicalIp(`${bytes[0]}.${bytes[1]}.${bytes[2]}.${bytes[3]}`);
}

/** keepalived's "brd +" (host bits set) and "brd -" (host bits clear). */
function derivedBroadcast(address: string, prefixLength: number, setHostBits: boolean): string {
  const hostMask = prefixLength === 0 ? 0xffffffff : prefixLength === 32 ? 0 : (1 << (32 - prefixLength)) - 1;
  const value = ipv4Number(address);
  return ipv4Text(setHostBits ? (value | hostMask) >>> 0 : (value & ~hostMask) >>> 0);
}

/**
 * Parses the words of one virtual address. `key` names the setting in errors (e.g.
 * "virtual_ipaddress" or "instances.web.vips[0]"). Throws ConfigError on anything malformed.
 */
export function parseVipWords(words: readonly string[], excluded: boolean, source: SourceLocation, key: string): ParsedVip {
  const warnings: string[] = [];
  const [first, ...rest] = words;
  if (first === undefined) throw new ConfigError('Expected an address', source, key);
  const slash = first.indexOf('/');
  const addressText = slash < 0 ? first : first.slice(0, slash);
  const parsed = parseIpAddress(addressText);
  if (!parsed) throw new ConfigError(`"${addressText}" is not an IPv4 or IPv6 address`, source, key);
  const vip: VipDraft = { address: parsed.address, family: parsed.family, excluded, source };
  if (slash >= 0) {
    const prefixText = first.slice(slash + 1);
    const max = parsed.family === 4 ? 32 : 128;
    const prefix = /^\d{1,3}$/.test(prefixText) ? Number(prefixText) : NaN;
    if (!(prefix >= 0 && prefix <= max)) {
      throw new ConfigError(`Prefix length "${prefixText}" of ${addressText} must be 0..${max}`, source, key);
    }
    vip.prefixLength = prefix;
  }
  let broadcastWord: string | undefined;
  for (let i = 0; i < rest.length; i++) {
    const option = rest[i] as string;
    const needsValue = (): string => {
      const value = rest[i + 1];
      if (value === undefined) throw new ConfigError(`"${option}" needs a value`, source, key);
      i++;
      return value;
    };
    if (option === 'dev') {
      vip.device = needsValue();
      // Linux IFNAMSIZ - 1, and no characters the kernel refuses in names.
      if (vip.device.length > 15 || /[/:]/.test(vip.device)) throw new ConfigError(`"${vip.device}" is not an interface name`, source, key);
    } else if (option === 'label') {
      const label = needsValue();
      if (parsed.family === 6) warnings.push(`Label "${label}" ignored: labels exist only for IPv4 addresses`);
      else vip.label = label;
    } else if (option === 'scope') {
      const scope = needsValue();
      if (!(SCOPES as readonly string[]).includes(scope)) {
        throw new ConfigError(`Scope "${scope}" must be one of ${SCOPES.join(', ')}`, source, key);
      }
      vip.scope = scope as AddressScope;
    } else if (option === 'brd' || option === 'broadcast') {
      broadcastWord = needsValue();
    } else if (option in REFUSED) {
      throw new ConfigError(`"${option}" is not supported: ${REFUSED[option]}`, source, key);
    } else if (option in IGNORED_FLAGS) {
      warnings.push(`"${option}" ignored: ${IGNORED_FLAGS[option]}`);
    } else if (option in IGNORED_WITH_VALUE) {
      needsValue();
      warnings.push(`"${option}" ignored: ${IGNORED_WITH_VALUE[option]}`);
    } else {
      throw new ConfigError(`Unknown address option "${option}"`, source, key);
    }
  }
  if (broadcastWord !== undefined) {
    if (parsed.family === 6) throw new ConfigError(`Broadcast "${broadcastWord}" given for IPv6 address ${vip.address}`, source, key);
    const prefix = vip.prefixLength ?? 32;
    if (broadcastWord === '+' || broadcastWord === '-') {
      vip.broadcast = derivedBroadcast(vip.address, prefix, broadcastWord === '+');
    } else {
      const brd = parseIpAddress(broadcastWord);
      if (!brd || brd.family !== 4) throw new ConfigError(`Broadcast "${broadcastWord}" is not an IPv4 address`, source, key);
      vip.broadcast = brd.address;
    }
  }
  return { vip, warnings };
}
