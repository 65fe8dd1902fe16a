/**
 * What a reload changes, instance by instance (keepalived diffs old and new configuration and
 * migrates running state the same way): unchanged instances are not touched at all; a change
 * that can be applied in place (priority, tracking, notify scripts) is; anything else that
 * changed means stopping the old instance and starting the new one.
 */
import type { HotstandbyConfig, InstanceConfig } from '../config/model.js';

/** Fields an instance can change without being rebuilt. */
const IN_PLACE: ReadonlySet<keyof InstanceConfig> = new Set<keyof InstanceConfig>([
  'priority',
  'trackChecks',
  'trackInterfaces',
  'notify',
  'initialState',
  'accept',
  'source',
]);

export interface ReloadPlan {
  removed: string[];
  added: string[];
  /** Changed in a way only a new instance can take (interface, VRID, VIPs, timers, …). */
  replaced: string[];
  /** Changed only in IN_PLACE fields. */
  updated: string[];
  unchanged: string[];
  /** Whether the checks changed (they are then rebuilt; otherwise they keep running). */
  checksChanged: boolean;
  describe(): string[];
}

/**
 * `rebuild` names instances to replace whatever their configuration says, with why (the host
 * changed under them: a new source address, a re-created interface).
 */
export function planReload(before: HotstandbyConfig, after: HotstandbyConfig, rebuild: ReadonlyMap<string, string> = new Map()): ReloadPlan {
  const old = new Map(before.instances.map((i) => [i.name, i]));
  const plan = { removed: [] as string[], added: [] as string[], replaced: [] as string[], updated: [] as string[], unchanged: [] as string[] };
  const reasons = new Map<string, string>();
  for (const instance of after.instances) {
    const previous = old.get(instance.name);
    const hostChange = rebuild.get(instance.name);
    if (!previous) plan.added.push(instance.name);
    else {
      const changed = changedFields(previous, instance);
      if (hostChange !== undefined) {
        plan.replaced.push(instance.name);
        reasons.set(instance.name, hostChange);
      } else if (changed.length === 0) plan.unchanged.push(instance.name);
      else if (changed.every((f) => IN_PLACE.has(f)) && !ownerChange(previous, instance)) plan.updated.push(instance.name);
      else plan.replaced.push(instance.name);
    }
  }
  const names = new Set(after.instances.map((i) => i.name));
  for (const name of old.keys()) if (!names.has(name)) plan.removed.push(name);
  const checksChanged = comparable(before.checks) !== comparable(after.checks) || comparable(before.global) !== comparable(after.global);
  return {
    ...plan,
    checksChanged,
    describe() {
      return [
        ...plan.added.map((n) => `added ${n}`),
        ...plan.removed.map((n) => `removed ${n}`),
        ...plan.replaced.map((n) => (reasons.has(n) ? `replaced ${n}: ${reasons.get(n)}` : `replaced ${n}`)),
        ...plan.updated.map((n) => `updated ${n}`),
        ...(checksChanged ? ['checks restarted'] : []),
      ];
    },
  };
}

function changedFields(a: InstanceConfig, b: InstanceConfig): Array<keyof InstanceConfig> {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)] as Array<keyof InstanceConfig>);
  return [...keys].filter((key) => key !== 'source' && comparable(a[key]) !== comparable(b[key]));
}

/** Becoming or ceasing to be the address owner changes the protocol's rules: rebuild. */
function ownerChange(a: InstanceConfig, b: InstanceConfig): boolean {
  return (a.priority === 255) !== (b.priority === 255);
}

/** JSON without source locations: moving a block in the file is not a change. */
function comparable(value: unknown): string {
  return JSON.stringify(value, (key, v: unknown) => (key === 'source' ? undefined : v));
}
