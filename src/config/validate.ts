/**
 * The one place both front ends' drafts become a HotstandbyConfig: defaults filled in, ranges
 * checked, names cross-referenced, and keepalived 2.2.7's completion rules applied, so the rules
 * cannot drift between keepalived.conf and YAML.
 */
import type { CheckConfig } from './check-model.js';
import { ConfigError } from './config-error.js';
import { OWNER_PRIORITY } from './defaults.js';
import { keyOf, type ConfigDraft, type InstanceDraft, type SyncGroupDraft } from './draft.js';
import type { GlobalConfig, InstanceConfig, LoadedConfig, SourceLocation, SyncGroupConfig } from './model.js';
import { smtpAlertOf } from './validate-mail.js';
import { didYouMean } from './suggest.js';
import { resolveCheck } from './validate-checks.js';
import { resolveGlobal } from './validate-global.js';
import { resolveInstance, resolveNotify } from './validate-instance.js';
import { applyStrictMode } from './strict-mode.js';
import { assignRulePriorities } from './virtual-routes.js';
import { applyTrackingRestrictions, resolveTrackedChecks } from './validate-tracking.js';
import { kindPhrase, sourceText, WarningList } from './validate-values.js';

function checkUniqueNames(items: readonly { name: string; source: SourceLocation; kind?: string }[], what: string): void {
  const seen = new Map<string, { source: SourceLocation; kind?: string }>();
  for (const item of items) {
    const earlier = seen.get(item.name);
    if (earlier) {
      // keepalived keeps vrrp_script, track_file and vrrp_track_process names apart; we cannot.
      const kinds = earlier.kind !== item.kind ? ` as ${kindPhrase(earlier.kind ?? '')} (check names are shared by all kinds)` : '';
      throw new ConfigError(`${what} "${item.name}" is already defined at ${sourceText(earlier.source)}${kinds}`, item.source, 'name');
    }
    seen.set(item.name, item.kind === undefined ? { source: item.source } : { source: item.source, kind: item.kind });
  }
}

function resolveSyncGroups(drafts: SyncGroupDraft[], instances: Map<string, InstanceConfig>, global: GlobalConfig, warnings: WarningList): SyncGroupConfig[] {
  const memberOf = new Map<string, SyncGroupDraft>();
  const groups: SyncGroupConfig[] = [];
  for (const draft of drafts) {
    const members: string[] = [];
    for (const member of draft.instances) {
      if (!instances.has(member.value)) {
        throw new ConfigError(
          `Sync group "${draft.name}" names instance "${member.value}", which is not defined${didYouMean(member.value, instances.keys())}`,
          member.source,
          keyOf(member, 'group'),
        );
      }
      const other = memberOf.get(member.value);
      if (other && other !== draft) {
        throw new ConfigError(`Instance "${member.value}" is already in sync group "${other.name}" (${sourceText(other.source)}); an instance can be in one group only`, member.source, keyOf(member, 'group'));
      }
      if (members.includes(member.value)) {
        warnings.add(`Instance "${member.value}" is listed twice in sync group "${draft.name}"; the repeat is ignored`, member.source);
        continue;
      }
      memberOf.set(member.value, draft);
      members.push(member.value);
    }
    if (members.length === 0) {
      warnings.add(`Sync group "${draft.name}" has no members and is ignored`, draft.source);
      continue;
    }
    if (members.length === 1) warnings.add(`Sync group "${draft.name}" has only one instance, which is probably not what you want`, draft.source);
    groups.push({ name: draft.name, instances: members, notify: resolveNotify(draft.notify), ...smtpAlertOf(draft.smtpAlert, global, `Sync group "${draft.name}"`, warnings), source: draft.source });
  }
  return groups;
}

/**
 * keepalived 2.2.7 starts the members of a sync group as MASTER only when every member is an
 * address owner (priority 255) starting as MASTER: the group must agree, so otherwise all wait
 * as BACKUP (checked with `keepalived -d`). Applied after the preemption rules, as keepalived does.
 */
function applySyncGroupInitialState(instances: InstanceConfig[], drafts: InstanceDraft[], groups: SyncGroupConfig[], warnings: WarningList): void {
  const byName = new Map(instances.map((instance, i) => [instance.name, { instance, draft: drafts[i] as InstanceDraft }]));
  for (const group of groups) {
    const members = group.instances.map((name) => byName.get(name) as { instance: InstanceConfig; draft: InstanceDraft });
    if (members.every(({ instance }) => instance.initialState === 'MASTER' && instance.priority === OWNER_PRIORITY)) continue;
    for (const { instance, draft } of members) {
      if (instance.initialState !== 'MASTER') continue;
      warnings.add(
        `Instance "${instance.name}" starts as BACKUP, not MASTER: sync group "${group.name}" starts as MASTER only when all its instances are address owners (priority ${OWNER_PRIORITY}) starting as MASTER`,
        draft.initialState?.source ?? instance.source,
      );
      instance.initialState = 'BACKUP';
    }
  }
}

/**
 * Two instances with the same VRID on the same interface and family would answer each other's
 * adverts; keepalived refuses that unless both are unicast to different peers. The daemon then
 * tells their adverts apart by source, so both must check it (unicast.checkSource).
 */
function checkDuplicateVrids(instances: InstanceConfig[]): void {
  const byKey = new Map<string, InstanceConfig[]>();
  for (const instance of instances) {
    const key = `${instance.interface}/${instance.family}/${instance.vrid}`;
    for (const other of byKey.get(key) ?? []) {
      const disjointUnicast =
        instance.unicastPeers.length > 0 &&
        other.unicastPeers.length > 0 &&
        !instance.unicastPeers.some((p) => other.unicastPeers.includes(p));
      const unchecked = [other, instance].find((i) => !i.checkUnicastSource);
      if (disjointUnicast && unchecked) {
        throw new ConfigError(
          `Instances "${other.name}" (${sourceText(other.source)}) and "${instance.name}" share VRID ${instance.vrid} on ` +
            `interface ${instance.interface}: their adverts are told apart by source, so "${unchecked.name}" must not turn the unicast source check off`,
          unchecked.source,
          'vrid',
        );
      }
      if (!disjointUnicast) {
        throw new ConfigError(
          `Instances "${other.name}" (${sourceText(other.source)}) and "${instance.name}" both use VRID ${instance.vrid} ` +
            `for IPv${instance.family} on interface ${instance.interface}`,
          instance.source,
          'vrid',
        );
      }
    }
    byKey.set(key, [...(byKey.get(key) ?? []), instance]);
  }
}

function warnSharedAddresses(instances: InstanceConfig[], warnings: WarningList): void {
  const owners = new Map<string, InstanceConfig>();
  for (const instance of instances) {
    for (const vip of instance.vips) {
      const other = owners.get(vip.address);
      if (other && other !== instance) {
        warnings.add(`Address ${vip.address} is managed by instances "${other.name}" and "${instance.name}"`, vip.source);
      } else {
        owners.set(vip.address, instance);
      }
    }
  }
}

/** Validates a draft into the model. Throws ConfigError (naming file, line and key) on the first problem. */
export function validateConfig(draft: ConfigDraft): LoadedConfig {
  const warnings = new WarningList();
  warnings.items.push(...draft.warnings);
  const global = resolveGlobal(draft.global, warnings);
  checkUniqueNames(draft.instances, 'Instance');
  checkUniqueNames(draft.checks, 'Check');
  checkUniqueNames(draft.syncGroups, 'Sync group');

  const checks = draft.checks.map((d) => resolveCheck(d, global.config, warnings));
  const checksByName = new Map<string, CheckConfig>(checks.map((c) => [c.name, c]));
  const instances = draft.instances.map((d) => resolveInstance(applyStrictMode(d, draft.global, warnings), global, warnings));
  for (const w of assignRulePriorities(instances.flatMap((i) => i.virtualRules))) warnings.add(w.message, w.source);
  resolveTrackedChecks(instances, draft.instances, checksByName);
  checkDuplicateVrids(instances);
  warnSharedAddresses(instances, warnings);
  const syncGroups = resolveSyncGroups(draft.syncGroups, new Map(instances.map((i) => [i.name, i])), global.config, warnings);
  applyTrackingRestrictions(instances, draft.instances, checksByName, syncGroups, warnings);
  applySyncGroupInitialState(instances, draft.instances, syncGroups, warnings);

  // keepalived does not run a script nobody tracks either; the daemon may skip them.
  const used = new Set(instances.flatMap((i) => i.trackChecks.map((t) => t.name)));
  for (const check of checks) {
    if (!used.has(check.name)) warnings.add(`Check "${check.name}" is not used by any instance`, check.source);
  }
  return { config: { global: global.config, instances, checks, syncGroups }, warnings: warnings.items };
}
