/**
 * One VRRP instance: required settings, ranges, defaults and the rules keepalived 2.2.7 applies
 * when it completes an instance (vrrp_complete_instance), so both front ends resolve alike.
 */
import { smtpAlertOf } from './validate-mail.js';
import type { AddressFamily, VrrpVersion } from '../vrrp/advert.js';
import { parseIpAddress } from './address.js';
import { ConfigError } from './config-error.js';
import {
  AUTH_PASS_MAX_LENGTH,
  MAX_ADVERTISED_ADDRESSES,
  MAX_CHECK_WEIGHT,
  MAX_TRACK_WEIGHT,
  OWNER_PRIORITY,
  V2_MAX_ADVERT_INTERVAL_MS,
  V3_ADVERT_INTERVAL_STEP_MS,
  V3_MAX_ADVERT_INTERVAL_MS,
} from './defaults.js';
import { formatDuration } from './duration.js';
import { keyOf, located, type InstanceDraft, type Located, type NotifyDraft, type VipDraft } from './draft.js';
import type { InstanceConfig, NotifyConfig, SourceLocation, TrackInterfaceConfig, VipConfig } from './model.js';
import { placeVipsOnVmac, resolveInstanceNetwork } from './instance-network.js';
import { INSTANCE_FIELDS } from './fields/instance.js';
import { fieldValue } from './resolve-field.js';
import { resolveGarp, type ResolvedGlobal } from './validate-global.js';
import { resolveUnicastChecks, type UnicastChecks } from './validate-unicast.js';
import { checkCommandLine, checkInteger, checkInterfaceName, sourceText, WarningList } from './validate-values.js';
import { resolveLowerPriority } from './validate-lower-priority.js';

/** Notify commands; each must split into a program and arguments (the daemon splits them so). */
export function resolveNotify(draft: NotifyDraft): NotifyConfig {
  const notify: NotifyConfig = {};
  for (const name of ['master', 'backup', 'fault', 'stop', 'generic', 'masterRxLowerPri'] as const) {
    const field = draft[name];
    if (!field) continue;
    checkCommandLine(field, `notify.${name === 'generic' ? 'any' : name}`);
    notify[name] = field.value;
  }
  return notify;
}

function familyName(family: AddressFamily): string {
  return family === 4 ? 'IPv4' : 'IPv6';
}

/**
 * The family of the adverts: that of the advertised (non-excluded) addresses, which must agree
 * (keepalived: "address family must match VRRP instance"); excluded ones may be of either.
 * Without advertised addresses: the unicast addresses decide, else IPv4 (as keepalived).
 */
function instanceFamily(draft: InstanceDraft): AddressFamily {
  const advertised = draft.vips.filter((v) => !v.excluded);
  const first = advertised[0];
  if (first) {
    const other = advertised.find((v) => v.family !== first.family);
    if (other) {
      throw new ConfigError(
        `${familyName(other.family)} address ${other.address} is mixed with ${familyName(first.family)} addresses ` +
          `(first at ${sourceText(first.source)}) in the advertised addresses of instance "${draft.name}"; ` +
          `one advert carries one family: put it among the excluded addresses or in its own instance`,
        other.source,
        'virtual addresses',
      );
    }
    return first.family;
  }
  const unicast = draft.unicastSourceAddress ?? draft.unicastPeers[0];
  return unicast ? (parseIpAddress(unicast.value)?.family ?? 4) : 4;
}

function resolveVersion(draft: InstanceDraft, family: AddressFamily, global: ResolvedGlobal): VrrpVersion {
  if (draft.version) {
    if (draft.version.value === 2 && family === 6) {
      throw new ConfigError(
        `VRRP version 2 cannot carry IPv6 addresses (RFC 3768 is IPv4 only); use version 3 for instance "${draft.name}"`,
        draft.version.source,
        keyOf(draft.version, 'version'),
      );
    }
    return draft.version.value;
  }
  return family === 6 ? 3 : global.defaultVersion;
}

/**
 * keepalived rounds an interval the version cannot carry: v2 to whole seconds (RFC 3768 §5.3.7),
 * v3 to centiseconds (RFC 5798 §5.2.5), half up, never to zero.
 */
function resolveAdvertInterval(draft: InstanceDraft, version: VrrpVersion, warnings: WarningList): number {
  const field = draft.advertIntervalMs;
  if (!field) return fieldValue(INSTANCE_FIELDS, 'advertIntervalMs', draft);
  const key = keyOf(field, 'advertInterval');
  const max = version === 2 ? V2_MAX_ADVERT_INTERVAL_MS : V3_MAX_ADVERT_INTERVAL_MS;
  if (!Number.isFinite(field.value) || field.value <= 0 || field.value > max) {
    throw new ConfigError(
      `Advert interval ${formatDuration(field.value)} is out of range for VRRP version ${version}: expected more than 0 up to ${formatDuration(max)}`,
      field.source,
      key,
    );
  }
  const step = version === 2 ? 1000 : V3_ADVERT_INTERVAL_STEP_MS;
  if (field.value % step === 0) return field.value;
  const rounded = Math.max(step, Math.floor((field.value + step / 2) / step) * step);
  const unit = version === 2 ? 'whole seconds' : 'units of 10 ms';
  warnings.add(
    `Advert interval ${formatDuration(field.value)} rounded to ${formatDuration(rounded)}: VRRP version ${version} carries ${unit}`,
    field.source,
  );
  return rounded;
}

function resolveVips(draft: InstanceDraft, warnings: WarningList): VipConfig[] {
  const iface = draft.interface?.value as string;
  const seen = new Map<string, VipDraft>();
  const vips: VipConfig[] = [];
  for (const vip of draft.vips) {
    const earlier = seen.get(vip.address);
    if (earlier) {
      warnings.add(`Address ${vip.address} is listed twice in instance "${draft.name}" (also at ${sourceText(earlier.source)}); the repeat is ignored`, vip.source);
      continue;
    }
    seen.set(vip.address, vip);
    const config: VipConfig = {
      address: vip.address,
      family: vip.family,
      prefixLength: vip.prefixLength ?? (vip.family === 4 ? 32 : 128),
      device: vip.device ?? iface,
      scope: vip.scope ?? 'global',
      excluded: vip.excluded,
      source: vip.source,
    };
    if (vip.label !== undefined) config.label = vip.label;
    if (vip.broadcast !== undefined) config.broadcast = vip.broadcast;
    vips.push(config);
  }
  // keepalived moves what does not fit in one advert to the excluded addresses.
  const advertised = vips.filter((v) => !v.excluded);
  for (const vip of advertised.slice(MAX_ADVERTISED_ADDRESSES)) {
    vip.excluded = true;
    warnings.add(`More than ${MAX_ADVERTISED_ADDRESSES} advertised addresses in instance "${draft.name}": ${vip.address} is managed but not advertised`, vip.source);
  }
  return vips;
}

type UnicastSettings = Pick<InstanceConfig, 'unicastSourceAddress' | 'unicastPeers' | 'unicastTtl' | 'checkUnicastSource' | 'unicastPeerTtl'>;

function resolveUnicast(draft: InstanceDraft, family: AddressFamily, warnings: WarningList): UnicastSettings {
  const checkFamily = (field: Located<string>, what: string): string => {
    const parsed = parseIpAddress(field.value);
    if (!parsed) throw new ConfigError(`"${field.value}" is not an IP address`, field.source, keyOf(field, what));
    if (parsed.family !== family) {
      throw new ConfigError(
        `${familyName(parsed.family)} ${what} ${parsed.address} does not match the ${familyName(family)} adverts of instance "${draft.name}"`,
        field.source,
        keyOf(field, what),
      );
    }
    return parsed.address;
  };
  const result: Omit<UnicastSettings, keyof UnicastChecks> = {
    unicastPeers: [],
    unicastTtl: fieldValue(INSTANCE_FIELDS, 'unicastTtl', draft),
  };
  if (draft.unicastSourceAddress) result.unicastSourceAddress = checkFamily(draft.unicastSourceAddress, 'source address');
  for (const peer of draft.unicastPeers) {
    const address = checkFamily(peer, 'unicast peer');
    if (result.unicastPeers.includes(address)) {
      warnings.add(`Unicast peer ${address} is listed twice in instance "${draft.name}"; the repeat is ignored`, peer.source);
      continue;
    }
    if (address === result.unicastSourceAddress) {
      throw new ConfigError(`Unicast peer ${address} is this instance's own source address`, peer.source, keyOf(peer, 'unicast peer'));
    }
    result.unicastPeers.push(address);
  }
  if (draft.unicastTtl) {
    if (result.unicastPeers.length === 0) {
      warnings.add(`Unicast TTL has no effect without unicast peers (instance "${draft.name}" uses multicast)`, draft.unicastTtl.source);
    }
  }
  const unicast = { family, peers: result.unicastPeers, ...(result.unicastSourceAddress !== undefined ? { source: result.unicastSourceAddress } : {}) };
  return { ...result, ...resolveUnicastChecks(draft, unicast, warnings) };
}

function resolveTrackInterfaces(draft: InstanceDraft, iface: string, warnings: WarningList): TrackInterfaceConfig[] {
  const tracked: TrackInterfaceConfig[] = [];
  for (const track of draft.trackInterfaces) {
    checkInteger(located(track.weight, track.source, track.key), -MAX_TRACK_WEIGHT, MAX_TRACK_WEIGHT, 'track.interfaces', 'Weight');
    if (track.name === iface) {
      // keepalived: the instance's own interface is tracked anyway (down = FAULT).
      warnings.add(`Tracking "${track.name}" is ignored: it is the instance's own interface, which is always tracked`, track.source);
      continue;
    }
    if (tracked.some((t) => t.name === track.name)) {
      warnings.add(`Interface "${track.name}" is tracked twice by instance "${draft.name}"; the repeat is ignored`, track.source);
      continue;
    }
    tracked.push({ name: track.name, weight: track.weight });
  }
  return tracked;
}

interface Preemption {
  preempt: boolean;
  preemptDelayMs: number;
}

/** keepalived's order: an owner always preempts; initial MASTER clears nopreempt and the delay. */
function resolvePreemption(draft: InstanceDraft, priority: number, initialState: 'MASTER' | 'BACKUP', warnings: WarningList): Preemption {
  let preempt = fieldValue(INSTANCE_FIELDS, 'preempt', draft);
  let preemptDelayMs = fieldValue(INSTANCE_FIELDS, 'preemptDelayMs', draft);
  const where = draft.preempt?.source ?? draft.source;
  if (!preempt && priority === OWNER_PRIORITY) {
    warnings.add(`Preemption cannot be turned off for the address owner (priority ${OWNER_PRIORITY}) of instance "${draft.name}"; it stays on`, where);
    preempt = true;
  }
  if (initialState === 'MASTER') {
    if (!preempt) {
      warnings.add(`Turning preemption off does not work with initial state MASTER in instance "${draft.name}"; it stays on`, where);
      preempt = true;
    }
    if (preemptDelayMs > 0) {
      warnings.add(`A preempt delay does not work with initial state MASTER in instance "${draft.name}"; it is cleared`, draft.preemptDelayMs?.source ?? draft.source);
      preemptDelayMs = 0;
    }
  }
  if (preemptDelayMs > 0 && !preempt) {
    warnings.add(`A preempt delay has no effect with preemption off in instance "${draft.name}"; it is cleared`, draft.preemptDelayMs?.source ?? draft.source);
    preemptDelayMs = 0;
  }
  return { preempt, preemptDelayMs };
}

function resolveAuth(draft: InstanceDraft, version: VrrpVersion, warnings: WarningList): string | undefined {
  const field = draft.authPass;
  if (!field) return undefined;
  const key = keyOf(field, 'auth');
  if (version === 3) {
    throw new ConfigError(`Authentication is VRRP version 2 only (RFC 5798 has none); instance "${draft.name}" uses version 3`, field.source, key);
  }
  if (field.value === '') throw new ConfigError(`Authentication without a password in instance "${draft.name}"`, field.source, key);
  if (field.value.length > AUTH_PASS_MAX_LENGTH) {
    warnings.add(`Password truncated to its first ${AUTH_PASS_MAX_LENGTH} characters (RFC 3768 §5.3.6.1), as keepalived does`, field.source);
    return field.value.slice(0, AUTH_PASS_MAX_LENGTH);
  }
  return field.value;
}

/** Resolves one instance. Track check weights stay as written; validateConfig resolves references. */
export function resolveInstance(draft: InstanceDraft, global: ResolvedGlobal, warnings: WarningList): InstanceConfig {
  if (!draft.interface) throw new ConfigError(`Instance "${draft.name}" has no interface`, draft.source, 'interface');
  checkInterfaceName(draft.interface.value, draft.interface.source, keyOf(draft.interface, 'interface'));
  for (const track of draft.trackInterfaces) checkInterfaceName(track.name, track.source, track.key ?? 'track.interfaces');
  if (!draft.vrid) throw new ConfigError(`Instance "${draft.name}" has no virtual router id`, draft.source, 'vrid');
  const vrid = fieldValue(INSTANCE_FIELDS, 'vrid', draft);
  const priority = fieldValue(INSTANCE_FIELDS, 'priority', draft);
  const family = instanceFamily(draft);
  const version = resolveVersion(draft, family, global);
  const vips = resolveVips(draft, warnings);
  if (!vips.some((v) => !v.excluded)) {
    if (version === 3) {
      throw new ConfigError(`Instance "${draft.name}" has no advertised virtual address; VRRP version 3 needs at least one`, draft.source, 'virtual addresses');
    }
    warnings.add(`Instance "${draft.name}" has no advertised virtual address`, draft.source);
  }
  // RFC 5798 §6.4.1: the owner starts as Master; anyone else waits as Backup unless told.
  const initialState = draft.initialState?.value ?? (priority === OWNER_PRIORITY ? 'MASTER' : 'BACKUP');
  const { preempt, preemptDelayMs } = resolvePreemption(draft, priority, initialState, warnings);
  const v3Checksum = draft.v3ChecksumExcludesPseudoHeader;
  if (v3Checksum?.value && (version !== 3 || family !== 4)) {
    warnings.add(`The VRRPv3 IPv4 checksum option has no effect on a version ${version} ${familyName(family)} instance`, v3Checksum.source);
  }
  const base = { ...global.config.garp, intervalMs: family === 4 ? global.config.garp.intervalMs : global.naIntervalMs };
  const strict = draft.strict?.value ?? global.config.strict ?? false;
  const network = resolveInstanceNetwork(draft, { strict, vrid, family, unicast: draft.unicastPeers.length > 0, source: draft.source }, warnings);
  const instance: InstanceConfig = {
    name: draft.name,
    interface: draft.interface.value,
    vrid,
    version,
    family,
    priority,
    initialState,
    advertIntervalMs: resolveAdvertInterval(draft, version, warnings),
    preempt,
    preemptDelayMs,
    accept: fieldValue(INSTANCE_FIELDS, 'accept', draft),
    vips,
    ...resolveUnicast(draft, family, warnings),
    v3ChecksumExcludesPseudoHeader: fieldValue(INSTANCE_FIELDS, 'v3ChecksumExcludesPseudoHeader', draft),
    trackInterfaces: resolveTrackInterfaces(draft, draft.interface.value, warnings),
    trackChecks: draft.trackChecks.map((t) => {
      if (t.weight !== undefined) checkInteger(located(t.weight, t.source, t.key), -MAX_CHECK_WEIGHT, MAX_CHECK_WEIGHT, 'track.checks', 'Weight');
      return t.weight === undefined ? { name: t.name } : { name: t.name, weight: t.weight };
    }),
    notify: resolveNotify(draft.notify),
    garp: resolveGarp(draft.garp, base, 'garp.', warnings),
    lowerPriority: resolveLowerPriority(draft.lowerPriority, global.lowerPriority, 'lowerPriority.'),
    advertOnYield: draft.advertOnYield?.value ?? global.config.advertOnYield ?? true,
    ...smtpAlertOf(draft.smtpAlert, global.config, `Instance "${draft.name}"`, warnings),
    ...network,
    source: draft.source,
  };
  placeVipsOnVmac(instance.vips, draft, network, family);
  const authPass = resolveAuth(draft, version, warnings);
  if (authPass !== undefined) instance.authPass = authPass;
  return instance;
}
