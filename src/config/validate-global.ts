/**
 * Global settings: defaults and checks (keepalived global_defs semantics).
 */
import { isIpv4Multicast, isIpv6LinkLocalMulticast, parseIpAddress } from './address.js';
import { ConfigError } from './config-error.js';
import { DEFAULT_GARP, DEFAULT_MULTICAST_GROUP4, DEFAULT_MULTICAST_GROUP6 } from './defaults.js';
import { keyOf, type GarpDraft, type GlobalDraft, type Located } from './draft.js';
import { GLOBAL_ONLY_GARP_FIELDS, INSTANCE_GARP_FIELDS } from './fields/garp.js';
import { GLOBAL_FIELDS } from './fields/global.js';
import type { GarpConfig, GlobalConfig, LowerPriorityConfig } from './model.js';
import { resolveGlobalLowerPriority } from './validate-lower-priority.js';
import { fieldValue, optionalFieldValue } from './resolve-field.js';
import { resolveMail } from './mail.js';
import { resolvePeerApi } from './peer-api.js';
import { resolveWebhook } from './webhooks.js';
import { resolveWebListener } from './web-listener.js';
import { checkAbsolutePath, checkAccountName, checkCommandLine, WarningList } from './validate-values.js';

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
function atLeastOnce(value: number, field: Located<number> | undefined, key: string, warnings: WarningList): number {
  if (value !== 0 || !field) return value;
  warnings.add(`${keyOf(field, key)} 0 is treated as 1, as keepalived does`, field.source);
  return 1;
}

/** GARP settings of `draft` over `base`; keys are named `${prefix}<field>` in errors. */
export function resolveGarp(draft: GarpDraft, base: GarpConfig, prefix: string, warnings: WarningList): GarpConfig {
  const value = (name: keyof GarpConfig): number => optionalFieldValue(INSTANCE_GARP_FIELDS, name, draft, prefix) ?? base[name];
  return {
    masterDelayMs: value('masterDelayMs'),
    masterRepeat: atLeastOnce(value('masterRepeat'), draft.masterRepeat, `${prefix}masterRepeat`, warnings),
    masterRefreshMs: value('masterRefreshMs'),
    masterRefreshRepeat: atLeastOnce(value('masterRefreshRepeat'), draft.masterRefreshRepeat, `${prefix}masterRefreshRepeat`, warnings),
    intervalMs: value('intervalMs'),
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
  const naIntervalMs = fieldValue(GLOBAL_ONLY_GARP_FIELDS, 'naIntervalMs', draft.garp, 'global.garp.');
  const config: GlobalConfig = {
    multicastGroup4: multicastGroup(draft.multicastGroup4, 4, DEFAULT_MULTICAST_GROUP4, 'multicastGroup4'),
    multicastGroup6: multicastGroup(draft.multicastGroup6, 6, DEFAULT_MULTICAST_GROUP6, 'multicastGroup6'),
    enableScriptSecurity: fieldValue(GLOBAL_FIELDS, 'enableScriptSecurity', draft),
    garp,
    startupDelayMs: fieldValue(GLOBAL_FIELDS, 'startupDelayMs', draft),
    processPriority: fieldValue(GLOBAL_FIELDS, 'processPriority', draft),
  };
  if (fieldValue(GLOBAL_FIELDS, 'strict', draft)) config.strict = true;
  if (!fieldValue(GLOBAL_FIELDS, 'advertOnYield', draft)) config.advertOnYield = false;
  if (draft.routerId) config.routerId = draft.routerId.value;
  if (draft.scriptUser) config.scriptUser = checkAccountName(draft.scriptUser, 'scriptUser', 'user');
  if (draft.scriptGroup) config.scriptGroup = checkAccountName(draft.scriptGroup, 'scriptGroup', 'group');
  resolveNotifyFifo(draft, config, warnings);
  if (draft.web) config.web = resolveWebListener(draft.web);
  if (draft.mail) config.mail = resolveMail(draft.mail);
  if (draft.webhooks) config.webhooks = draft.webhooks.map(resolveWebhook);
  if (draft.peerApi) config.peerApi = resolvePeerApi(draft.peerApi);
  const lowerPriority = resolveGlobalLowerPriority(draft.lowerPriority, garp);
  return { config, defaultVersion: fieldValue(GLOBAL_FIELDS, 'defaultVersion', draft), naIntervalMs, lowerPriority };
}
