/**
 * Resources against the rest of the configuration: unique names, what each follows (an instance,
 * or a sync group — an instance in a group is followed through the group, so that one group of
 * resources drives each instance), the order rule of VIP placement, and the defaults.
 */
import { ConfigError } from './config-error.js';
import { LAG_ALARM_FIELDS, RESOURCE_FIELDS, RESOURCE_TIMEOUT_FIELDS } from './fields/resource.js';
import type { HotstandbyConfig } from './model.js';
import type { ResourceConfig } from './resource-model.js';
import { fieldValue, optionalFieldValue } from './resolve-field.js';
import type { LagAlarmConfig } from '../resources/lag-alarm.js';
import { didYouMean } from './suggest.js';
import type { ResourceDraft } from './yaml/convert-resources.js';
import { sourceText } from './validate-values.js';
import type { ResourceFollows } from '../resources/resource.js';

export function resolveResources(drafts: readonly ResourceDraft[], config: Pick<HotstandbyConfig, 'instances' | 'syncGroups'>): ResourceConfig[] {
  const seen = new Map<string, ResourceDraft>();
  const resources = drafts.map((draft): ResourceConfig => {
    const earlier = seen.get(draft.name);
    if (earlier) throw new ConfigError(`Resource "${draft.name}" is already defined at ${sourceText(earlier.source)}`, draft.source, `resources.${draft.name}`);
    seen.set(draft.name, draft);
    const key = `resources.${draft.name}.`;
    const timeouts = draft.timeouts ?? {};
    return {
      name: draft.name,
      kind: draft.kind.kind,
      follows: resolveFollows(draft, config),
      vip: draft.vip?.value ?? draft.kind.defaults?.vip ?? 'after-promote',
      timeoutsMs: {
        start: fieldValue(RESOURCE_TIMEOUT_FIELDS, 'start', timeouts, `${key}timeouts.`),
        promote: fieldValue(RESOURCE_TIMEOUT_FIELDS, 'promote', timeouts, `${key}timeouts.`),
        demote: fieldValue(RESOURCE_TIMEOUT_FIELDS, 'demote', timeouts, `${key}timeouts.`),
        stop: fieldValue(RESOURCE_TIMEOUT_FIELDS, 'stop', timeouts, `${key}timeouts.`),
        monitor: fieldValue(RESOURCE_TIMEOUT_FIELDS, 'monitor', timeouts, `${key}timeouts.`),
      },
      monitorIntervalMs: fieldValue(RESOURCE_FIELDS, 'monitorIntervalMs', draft, key),
      rise: fieldValue(RESOURCE_FIELDS, 'rise', draft, key),
      fall: fieldValue(RESOURCE_FIELDS, 'fall', draft, key),
      onMonitorFailure: draft.onMonitorFailure?.value ?? { fault: true },
      veto: draft.veto?.value ?? { fault: true },
      onStopFailure: draft.onStopFailure?.value ?? { kind: 'fault' },
      retryAfterMs: fieldValue(RESOURCE_FIELDS, 'retryAfterMs', draft, key),
      ...(draft.lagAlarm !== undefined ? { lagAlarm: resolveLagAlarm(draft, `${key}lagAlarm.`) } : {}),
      settings: draft.settings,
      source: draft.source,
    };
  });
  checkVipOrder(resources);
  return resources;
}

function resolveLagAlarm(draft: ResourceDraft, key: string): LagAlarmConfig {
  const section = draft.lagAlarm ?? {};
  const lagMs = optionalFieldValue(LAG_ALARM_FIELDS, 'lagMs', section, key);
  const bytes = optionalFieldValue(LAG_ALARM_FIELDS, 'bytes', section, key);
  if (lagMs === undefined && bytes === undefined) {
    throw new ConfigError('lagAlarm needs a threshold: lag (a duration, e.g. 5s) and/or bytes', draft.source, key.slice(0, -1));
  }
  return {
    ...(lagMs !== undefined ? { lagMs } : {}),
    ...(bytes !== undefined ? { bytes } : {}),
    forMs: fieldValue(LAG_ALARM_FIELDS, 'forMs', section, key),
    clearAfterMs: fieldValue(LAG_ALARM_FIELDS, 'clearAfterMs', section, key),
  };
}

function resolveFollows(draft: ResourceDraft, config: Pick<HotstandbyConfig, 'instances' | 'syncGroups'>): ResourceFollows {
  const field = draft.follows;
  const key = `resources.${draft.name}.follows`;
  if (field === undefined) throw new ConfigError('Missing "follows": the instance or sync group whose role the resource follows', draft.source, `resources.${draft.name}`);
  const name = field.value;
  const group = config.syncGroups.find((g) => g.name === name);
  if (group) return { syncGroup: name };
  const instance = config.instances.find((i) => i.name === name);
  if (!instance) {
    const names = [...config.instances.map((i) => i.name), ...config.syncGroups.map((g) => g.name)];
    throw new ConfigError(`No instance or sync group named "${name}"${didYouMean(name, names)}`, field.source, key);
  }
  const containing = config.syncGroups.find((g) => g.instances.includes(name));
  if (containing) {
    throw new ConfigError(`Instance "${name}" is in sync group "${containing.name}": a resource follows the group (follows: ${containing.name})`, field.source, key);
  }
  return { instance: name };
}

/** In each group, before-promote resources come after every after-promote one: the VIPs go up once, between them. */
function checkVipOrder(resources: readonly ResourceConfig[]): void {
  const byTarget = new Map<string, ResourceConfig[]>();
  for (const r of resources) {
    const target = followsText(r.follows);
    byTarget.set(target, [...(byTarget.get(target) ?? []), r]);
  }
  for (const members of byTarget.values()) {
    const lastAfter = members.map((r) => r.vip).lastIndexOf('after-promote');
    const early = members.slice(0, lastAfter).find((r) => r.vip === 'before-promote');
    if (early) {
      const later = members[lastAfter]!;
      throw new ConfigError(
        `Resource "${early.name}" (vip: before-promote) is listed before "${later.name}" (vip: after-promote), which follows the same ${followsText(later.follows)}: ` +
          'the VIPs go up once, after the after-promote resources and before the before-promote ones; list it after',
        early.source,
        `resources.${early.name}.vip`,
      );
    }
  }
}

/** "instance VI_1" / "sync group G". */
export function followsText(follows: ResourceFollows): string {
  return 'instance' in follows ? `instance ${follows.instance}` : `sync group ${follows.syncGroup}`;
}
