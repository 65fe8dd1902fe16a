/**
 * The one place both front ends' drafts become a HotstandbyConfig: defaults filled in, ranges
 * checked, names cross-referenced, and keepalived 2.2.7's completion rules applied, so the rules
 * cannot drift between keepalived.conf and YAML.
 */
import { ConfigError } from './config-error.js';
import { DEFAULT_SCRIPT_FALL, DEFAULT_SCRIPT_INTERVAL_MS, DEFAULT_SCRIPT_RISE, MAX_TRACK_WEIGHT, OWNER_PRIORITY } from './defaults.js';
import { keyOf, type ConfigDraft, type InstanceDraft, type ScriptDraft, type SyncGroupDraft, type TrackScriptDraft } from './draft.js';
import type { InstanceConfig, LoadedConfig, ScriptCheckConfig, SourceLocation, SyncGroupConfig } from './model.js';
import { didYouMean } from './suggest.js';
import { resolveGlobal } from './validate-global.js';
import { resolveInstance, resolveNotify } from './validate-instance.js';
import { checkDuration, checkInteger, sourceText, WarningList } from './validate-values.js';

const DAY_MS = 86_400_000;

function checkUniqueNames(items: readonly { name: string; source: SourceLocation }[], what: string): void {
  const seen = new Map<string, SourceLocation>();
  for (const item of items) {
    const earlier = seen.get(item.name);
    if (earlier) throw new ConfigError(`${what} "${item.name}" is already defined at ${sourceText(earlier)}`, item.source, 'name');
    seen.set(item.name, item.source);
  }
}

function resolveScript(draft: ScriptDraft): ScriptCheckConfig {
  const command = draft.command;
  if (!command || command.value.length === 0 || command.value[0] === '') {
    throw new ConfigError(`Check "${draft.name}" has no command`, command?.source ?? draft.source, keyOf(command, 'command'));
  }
  const intervalMs = draft.intervalMs ? checkDuration(draft.intervalMs, 1, DAY_MS, 'interval', 'Interval') : DEFAULT_SCRIPT_INTERVAL_MS;
  const script: ScriptCheckConfig = {
    name: draft.name,
    command: [...command.value],
    intervalMs,
    // keepalived: no timeout means the interval.
    timeoutMs: draft.timeoutMs ? checkDuration(draft.timeoutMs, 1, DAY_MS, 'timeout', 'Timeout') : intervalMs,
    weight: draft.weight ? checkInteger(draft.weight, -MAX_TRACK_WEIGHT, MAX_TRACK_WEIGHT, 'weight', 'Weight') : 0,
    rise: draft.rise ? checkInteger(draft.rise, 1, 2 ** 31 - 1, 'rise', 'Rise') : DEFAULT_SCRIPT_RISE,
    fall: draft.fall ? checkInteger(draft.fall, 1, 2 ** 31 - 1, 'fall', 'Fall') : DEFAULT_SCRIPT_FALL,
    initFail: draft.initFail?.value ?? false,
    source: draft.source,
  };
  if (draft.user) script.user = draft.user.value;
  return script;
}

function resolveTrackScriptNames(instances: InstanceConfig[], drafts: InstanceDraft[], scripts: Map<string, ScriptCheckConfig>): void {
  instances.forEach((instance, i) => {
    const draft = drafts[i] as InstanceDraft;
    const seen = new Set<string>();
    instance.trackScripts = instance.trackScripts.filter((ref, j) => {
      const track = draft.trackScripts[j] as TrackScriptDraft;
      if (!scripts.has(ref.name)) {
        throw new ConfigError(
          `Instance "${instance.name}" tracks check "${ref.name}", which is not defined${didYouMean(ref.name, scripts.keys())}`,
          track.source,
          track.key ?? 'track.checks',
        );
      }
      if (seen.has(ref.name)) return false;
      seen.add(ref.name);
      return true;
    });
  });
}

function resolveSyncGroups(drafts: SyncGroupDraft[], instances: Map<string, InstanceConfig>, warnings: WarningList): SyncGroupConfig[] {
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
    groups.push({ name: draft.name, instances: members, notify: resolveNotify(draft.notify), source: draft.source });
  }
  return groups;
}

/**
 * keepalived 2.2.7 will not let weights move the priority of a sync group member (members must
 * agree on who is master) or of an address owner (its priority is fixed at 255). In its order:
 * a member's tracked interfaces lose their weight (down = FAULT) and its weighted checks are
 * dropped; then an owner's still weighted interfaces and checks are dropped. We do the same, loudly.
 */
function applyTrackingRestrictions(
  instances: InstanceConfig[],
  drafts: InstanceDraft[],
  scripts: Map<string, ScriptCheckConfig>,
  groups: SyncGroupConfig[],
  warnings: WarningList,
): void {
  const grouped = new Set(groups.flatMap((g) => g.instances));
  instances.forEach((instance, i) => {
    const draft = drafts[i] as InstanceDraft;
    const interfaceSource = (name: string): SourceLocation => draft.trackInterfaces.find((t) => t.name === name)?.source ?? instance.source;
    const scriptSource = (name: string): SourceLocation => draft.trackScripts.find((t) => t.name === name)?.source ?? instance.source;
    const dropWeightedScripts = (reason: string): void => {
      instance.trackScripts = instance.trackScripts.filter((ref) => {
        const weight = ref.weight ?? (scripts.get(ref.name) as ScriptCheckConfig).weight;
        if (weight === 0) return true;
        warnings.add(`Weighted tracking of check "${ref.name}" is ignored in instance "${instance.name}": ${reason}`, scriptSource(ref.name));
        return false;
      });
    };
    if (grouped.has(instance.name)) {
      const reason = 'it is in a sync group';
      for (const track of instance.trackInterfaces) {
        if (track.weight === 0) continue;
        warnings.add(`Weight of tracked interface "${track.name}" is ignored in instance "${instance.name}" (${reason}): down means FAULT`, interfaceSource(track.name));
        track.weight = 0;
      }
      dropWeightedScripts(reason);
    }
    if (instance.priority === OWNER_PRIORITY) {
      const reason = `it is the address owner (priority ${OWNER_PRIORITY})`;
      instance.trackInterfaces = instance.trackInterfaces.filter((track) => {
        if (track.weight === 0) return true;
        warnings.add(`Weighted tracking of interface "${track.name}" is ignored in instance "${instance.name}": ${reason}`, interfaceSource(track.name));
        return false;
      });
      dropWeightedScripts(reason);
    }
  });
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
 * adverts; keepalived refuses that unless both are unicast to different peers.
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
  checkUniqueNames(draft.scripts, 'Check');
  checkUniqueNames(draft.syncGroups, 'Sync group');

  const scripts = draft.scripts.map(resolveScript);
  const scriptsByName = new Map(scripts.map((s) => [s.name, s]));
  const instances = draft.instances.map((d) => resolveInstance(d, global, warnings));
  resolveTrackScriptNames(instances, draft.instances, scriptsByName);
  checkDuplicateVrids(instances);
  warnSharedAddresses(instances, warnings);
  const syncGroups = resolveSyncGroups(draft.syncGroups, new Map(instances.map((i) => [i.name, i])), warnings);
  applyTrackingRestrictions(instances, draft.instances, scriptsByName, syncGroups, warnings);
  applySyncGroupInitialState(instances, draft.instances, syncGroups, warnings);

  const used = new Set(instances.flatMap((i) => i.trackScripts.map((t) => t.name)));
  for (const script of scripts) {
    if (!used.has(script.name)) warnings.add(`Check "${script.name}" is not used by any instance`, script.source);
  }
  return { config: { global: global.config, instances, scripts, syncGroups }, warnings: warnings.items };
}
