/**
 * Global settings: defaults and checks (keepalived global_defs semantics).
 */
import { isIpv4Multicast, isIpv6LinkLocalMulticast, parseIpAddress } from './address.js';
import { ConfigError } from './config-error.js';
import { DEFAULT_GARP, DEFAULT_MULTICAST_GROUP4, DEFAULT_MULTICAST_GROUP6, MAX_STARTUP_DELAY_MS } from './defaults.js';
import { keyOf, type GarpDraft, type GlobalDraft, type Located } from './draft.js';
import type { GarpConfig, GlobalConfig, LowerPriorityConfig } from './model.js';
import { resolveGlobalLowerPriority } from './validate-lower-priority.js';
import { checkAbsolutePath, checkAccountName, checkCommandLine, checkDuration, checkInteger, WarningList } from './validate-values.js';

/** A day is the longest gap keepalived accepts for these timers in practice; anything longer is a typo. */
const MAX_GARP_TIMER_MS = 86_400_000;

function multicastGroup(field: Located<string> | undefined, family: 4 | 6, fallback: string, key: string): string {
  if (!field) return fallback;
  const parsed = parseIpAddress(field.value);
  const ok =
    parsed !== undefined &&
    parsed.family === family &&
    (family === 4 ? isIpv4Multicast(parsed.address) : isIpv6LinkLocalMulticast(parsed.address));
  if (!parsed || !ok) {
    const expected = family === 4 ? 'an IPv4 multicast address (224.0.0.0/4)' : 'a link-local IPv6 multicast address (ff02::/16)';
    throw new ConfigError(`"${field.value}" is not ${expected}`, field.source, keyOf(field, key));
  }
  return parsed.address;
}

/** keepalived accepts a repeat of 0 (pre 2.0.7 files) and treats it as 1. */
function repeat(field: Located<number> | undefined, fallback: number, key: string, warnings: WarningList): number {
  if (!field) return fallback;
  const value = checkInteger(field, 0, 1_000_000, key, 'Repeat count');
  if (value === 0) {
    warnings.add(`${keyOf(field, key)} 0 is treated as 1, as keepalived does`, field.source);
    return 1;
  }
  return value;
}

/** GARP settings of `draft` over `base`; keys are named `${prefix}<field>` in errors. */
export function resolveGarp(draft: GarpDraft, base: GarpConfig, prefix: string, warnings: WarningList): GarpConfig {
  const timer = (field: Located<number> | undefined, fallback: number, name: string): number =>
    field ? checkDuration(field, 0, MAX_GARP_TIMER_MS, `${prefix}${name}`, 'Delay') : fallback;
  return {
    masterDelayMs: timer(draft.masterDelayMs, base.masterDelayMs, 'masterDelay'),
    masterRepeat: repeat(draft.masterRepeat, base.masterRepeat, `${prefix}masterRepeat`, warnings),
    masterRefreshMs: timer(draft.masterRefreshMs, base.masterRefreshMs, 'masterRefresh'),
    masterRefreshRepeat: repeat(draft.masterRefreshRepeat, base.masterRefreshRepeat, `${prefix}masterRefreshRepeat`, warnings),
    intervalMs: timer(draft.intervalMs, base.intervalMs, 'interval'),
  };
}

/** The notify FIFO and the script that reads it (keepalived runs the script only with a FIFO). */
function resolveNotifyFifo(draft: GlobalDraft, config: GlobalConfig, warnings: WarningList): void {
  if (draft.notifyFifo) config.notifyFifo = checkAbsolutePath(draft.notifyFifo, 'notifyFifo', 'Notify FIFO');
  const script = draft.notifyFifoScript;
  if (!script) return;
  checkCommandLine(script, 'notifyFifoScript');
  if (!draft.notifyFifo) {
    warnings.add(`Notify FIFO script "${script.value}" ignored: no notify FIFO is set for it to read`, script.source);
    return;
  }
  config.notifyFifoScript = script.value;
}

export interface ResolvedGlobal {
  config: GlobalConfig;
  /** Version for instances that do not say; IPv6 instances use 3 regardless (keepalived). */
  defaultVersion: 2 | 3;
  /** Burst gap for IPv6 instances (keepalived vrrp_gna_interval); config.garp.intervalMs is the IPv4 one. */
  naIntervalMs: number;
  /** Instances' defaults for a lower-priority advert heard as master. */
  lowerPriority: LowerPriorityConfig;
}

export function resolveGlobal(draft: GlobalDraft, warnings: WarningList): ResolvedGlobal {
  const garp = resolveGarp(draft.garp, DEFAULT_GARP, 'global.garp.', warnings);
  const naIntervalMs = draft.garp.naIntervalMs
    ? checkDuration(draft.garp.naIntervalMs, 0, MAX_GARP_TIMER_MS, 'global.garp.naInterval', 'Interval')
    : 0;
  const config: GlobalConfig = {
    multicastGroup4: multicastGroup(draft.multicastGroup4, 4, DEFAULT_MULTICAST_GROUP4, 'multicastGroup4'),
    multicastGroup6: multicastGroup(draft.multicastGroup6, 6, DEFAULT_MULTICAST_GROUP6, 'multicastGroup6'),
    enableScriptSecurity: draft.enableScriptSecurity?.value ?? false,
    garp,
    startupDelayMs: draft.startupDelayMs ? checkDuration(draft.startupDelayMs, 0, MAX_STARTUP_DELAY_MS, 'startupDelay', 'Startup delay') : 0,
  };
  if (draft.routerId) config.routerId = draft.routerId.value;
  if (draft.scriptUser) config.scriptUser = checkAccountName(draft.scriptUser, 'scriptUser', 'user');
  if (draft.scriptGroup) config.scriptGroup = checkAccountName(draft.scriptGroup, 'scriptGroup', 'group');
  resolveNotifyFifo(draft, config, warnings);
  const lowerPriority = resolveGlobalLowerPriority(draft.lowerPriority, garp);
  return { config, defaultVersion: draft.defaultVersion?.value ?? 2, naIntervalMs, lowerPriority };
}
