/**
 * The verbs as the daemon's scheduled jobs call them (hs-bksched's JobVerbs: `forget: forgetTagged,
 * check: checkSubset, excludes: true`), each taking its lock as the command line does.
 */
import { withLock } from '../lock.js';
import type { Repository } from '../repo/repository.js';
import { check, parseSubset } from './check.js';
import { planForget, removeSnapshots } from './forget.js';
import type { KeepPolicy } from './forget-policy.js';
import { prune } from './prune.js';
import { selectSnapshots } from './select.js';

export interface Retention {
  keepLast?: number;
  keepHourly?: number;
  keepDaily?: number;
  keepWeekly?: number;
  keepMonthly?: number;
  keepYearly?: number;
  prune: boolean;
}

/**
 * restic forget on the snapshots carrying `tag`, grouped by host and paths, then prune when
 * asked; under an exclusive lock. With no keep rule nothing is removed (as restic).
 */
export async function forgetTagged(repo: Repository, retention: Retention, tag: string): Promise<{ removed: number; kept: number }> {
  const policy: KeepPolicy = {};
  if (retention.keepLast) policy.last = retention.keepLast;
  if (retention.keepHourly) policy.hourly = retention.keepHourly;
  if (retention.keepDaily) policy.daily = retention.keepDaily;
  if (retention.keepWeekly) policy.weekly = retention.keepWeekly;
  if (retention.keepMonthly) policy.monthly = retention.keepMonthly;
  if (retention.keepYearly) policy.yearly = retention.keepYearly;
  return withLock(repo, true, async () => {
    const groups = planForget(await selectSnapshots(repo, [], { tags: [tag] }), policy, ['host', 'paths']);
    const remove = groups.flatMap((g) => g.decision.remove);
    await removeSnapshots(repo, remove);
    if (retention.prune && remove.length) await prune(repo);
    return { removed: remove.length, kept: groups.reduce((n, g) => n + g.decision.keep.length, 0) };
  });
}

/** restic check with --read-data-subset (n/t, x% or a size); under an exclusive lock. */
export async function checkSubset(repo: Repository, readDataSubset: string): Promise<{ errors: string[] }> {
  const subset = parseSubset(readDataSubset);
  return withLock(repo, true, async () => {
    const r = await check(repo, { subset });
    return { errors: [...r.errors, ...r.affected.map((a) => `snapshot ${a.snapshot.slice(0, 8)} is damaged: ${a.paths.join(', ')}`)] };
  });
}
