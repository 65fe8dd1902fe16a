/**
 * Instances' references to checks: every name must be a defined check (of the kind the
 * keepalived keyword implies), and keepalived 2.2.7's restrictions on weighted tracking apply.
 */
import type { CheckConfig } from './check-model.js';
import { ConfigError } from './config-error.js';
import { OWNER_PRIORITY } from './defaults.js';
import type { InstanceDraft, TrackCheckDraft } from './draft.js';
import type { InstanceConfig, SourceLocation, SyncGroupConfig } from './model.js';
import { didYouMean } from './suggest.js';
import { kindPhrase, sourceText, WarningList } from './validate-values.js';

/** Checks each instance's references against the defined checks and drops repeats. */
export function resolveTrackedChecks(instances: InstanceConfig[], drafts: readonly InstanceDraft[], checks: ReadonlyMap<string, CheckConfig>): void {
  instances.forEach((instance, i) => {
    const draft = drafts[i] as InstanceDraft;
    const seen = new Set<string>();
    instance.trackChecks = instance.trackChecks.filter((ref, j) => {
      const track = draft.trackChecks[j] as TrackCheckDraft;
      const key = track.key ?? 'track.checks';
      const check = checks.get(ref.name);
      if (!check) {
        const candidates = [...checks.values()].filter((c) => track.kind === undefined || c.kind === track.kind).map((c) => c.name);
        throw new ConfigError(`Instance "${instance.name}" tracks check "${ref.name}", which is not defined${didYouMean(ref.name, candidates)}`, track.source, key);
      }
      if (track.kind !== undefined && check.kind !== track.kind) {
        throw new ConfigError(
          `Instance "${instance.name}" tracks "${ref.name}" as ${kindPhrase(track.kind)}, but "${ref.name}" (${sourceText(check.source)}) is ${kindPhrase(check.kind)}`,
          track.source,
          key,
        );
      }
      if (seen.has(ref.name)) return false;
      seen.add(ref.name);
      return true;
    });
  });
}

/**
 * keepalived 2.2.7 will not let weights move the priority of a sync group member (members must
 * agree on who is master) or of an address owner (its priority is fixed at 255). In its order:
 * a member's tracked interfaces lose their weight (down = FAULT); then an owner's still weighted
 * interfaces are dropped; for both, a weighted check is dropped, except that a file check of
 * weight 1 keeps tracking with weight 0 (a non-zero number means FAULT), as `keepalived -d` shows.
 * keepalived 2.2.7 leaves vrrp_track_process weights alone here, against its own documentation;
 * we treat them like scripts, so the group's agreement holds (see docs/config.md).
 */
export function applyTrackingRestrictions(
  instances: InstanceConfig[],
  drafts: readonly InstanceDraft[],
  checks: ReadonlyMap<string, CheckConfig>,
  groups: readonly SyncGroupConfig[],
  warnings: WarningList,
): void {
  const grouped = new Set(groups.flatMap((g) => g.instances));
  instances.forEach((instance, i) => {
    const draft = drafts[i] as InstanceDraft;
    const interfaceSource = (name: string): SourceLocation => draft.trackInterfaces.find((t) => t.name === name)?.source ?? instance.source;
    const checkSource = (name: string): SourceLocation => draft.trackChecks.find((t) => t.name === name)?.source ?? instance.source;
    const restrictChecks = (reason: string): void => {
      instance.trackChecks = instance.trackChecks.flatMap((ref) => {
        const check = checks.get(ref.name) as CheckConfig;
        const weight = ref.weight ?? check.weight;
        if (weight === 0) return [ref];
        if (check.kind === 'file' && weight === 1) {
          warnings.add(
            `Weight of tracked file check "${ref.name}" is ignored in instance "${instance.name}" (${reason}): a non-zero number in the file means FAULT`,
            checkSource(ref.name),
          );
          return [{ name: ref.name, weight: 0 }];
        }
        warnings.add(`Weighted tracking of check "${ref.name}" is ignored in instance "${instance.name}": ${reason}`, checkSource(ref.name));
        return [];
      });
    };
    if (grouped.has(instance.name)) {
      const reason = 'it is in a sync group';
      for (const track of instance.trackInterfaces) {
        if (track.weight === 0) continue;
        warnings.add(`Weight of tracked interface "${track.name}" is ignored in instance "${instance.name}" (${reason}): down means FAULT`, interfaceSource(track.name));
        track.weight = 0;
      }
      restrictChecks(reason);
    }
    if (instance.priority === OWNER_PRIORITY) {
      const reason = `it is the address owner (priority ${OWNER_PRIORITY})`;
      instance.trackInterfaces = instance.trackInterfaces.filter((track) => {
        if (track.weight === 0) return true;
        warnings.add(`Weighted tracking of interface "${track.name}" is ignored in instance "${instance.name}": ${reason}`, interfaceSource(track.name));
        return false;
      });
      restrictChecks(reason);
    }
  });
}
