/**
 * `backup forget`: groups the selected snapshots (restic's --group-by, default host,paths),
 * applies the keep policy to each group (forget-policy.ts), and removes the snapshot files of
 * those to forget, or of the snapshots named explicitly. The data stays until `prune`.
 */
import type { Repository } from '../repo/repository.js';
import type { SnapshotEntry } from '../snapshots.js';
import { applyPolicy, groupKey, policyEmpty, type Decision, type KeepPolicy } from './forget-policy.js';

export type GroupBy = ('host' | 'paths' | 'tags')[];

export interface ForgetGroup {
  key: { host?: string; paths?: string[]; tags?: string[] };
  decision: Decision<SnapshotEntry>;
}

export function parseGroupBy(text: string): GroupBy {
  const parts = text.split(',').filter((p) => p !== '');
  for (const p of parts) if (p !== 'host' && p !== 'paths' && p !== 'tags') throw new RangeError(`--group-by: unknown field '${p}' (host, paths, tags)`);
  return parts as GroupBy;
}

/** The decisions per group, newest group member first; nothing is removed. */
export function planForget(snapshots: readonly SnapshotEntry[], policy: KeepPolicy, groupBy: GroupBy): ForgetGroup[] {
  const groups = new Map<string, { key: ForgetGroup['key']; members: SnapshotEntry[] }>();
  for (const s of snapshots) {
    const key = groupKey(s.snapshot, groupBy);
    const k = JSON.stringify(key);
    const g = groups.get(k) ?? { key, members: [] };
    g.members.push(s);
    groups.set(k, g);
  }
  return [...groups.values()].map((g) => ({ key: g.key, decision: applyPolicy(g.members, policy) }));
}

/** Removes the snapshot files of `entries`; returns their ids. */
export async function removeSnapshots(repo: Repository, entries: readonly SnapshotEntry[]): Promise<string[]> {
  const out: string[] = [];
  for (const e of entries) {
    await repo.backend.remove({ type: 'snapshots', name: e.id });
    out.push(e.id);
  }
  return out;
}

export { policyEmpty };
