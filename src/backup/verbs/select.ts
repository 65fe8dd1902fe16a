/**
 * Choosing snapshots as restic's commands do (cmd/restic/find.go and the snapshot filter):
 * `--host` (any of them), `--tag a,b` (a snapshot must carry every tag of one of the given lists),
 * `--path` (a snapshot must have every given path); then the snapshots named on the command line
 * (ids, unique prefixes, or `latest` — the newest among the filtered ones), or all filtered ones.
 */
import type { Repository } from '../repo/repository.js';
import type { Snapshot } from '../repo/snapshot.js';
import { loadSnapshots, pickSnapshot, type SnapshotEntry } from '../snapshots.js';

export interface SnapshotSelection {
  hosts?: string[];
  /** Each entry a comma-separated tag list (restic's TagLists). */
  tags?: string[];
  paths?: string[];
}

export function tagLists(tags: readonly string[] | undefined): string[][] {
  return (tags ?? []).map((t) => t.split(',').filter((x) => x !== '')).filter((l) => l.length > 0);
}

export function selected(s: Snapshot, sel: SnapshotSelection): boolean {
  if (sel.hosts?.length && !sel.hosts.includes(s.hostname ?? '')) return false;
  const lists = tagLists(sel.tags);
  if (lists.length && !lists.some((l) => l.every((t) => (s.tags ?? []).includes(t)))) return false;
  if (sel.paths?.length && !sel.paths.every((p) => s.paths.includes(p))) return false;
  return true;
}

/** The snapshots named by `names` (all filtered ones when empty), oldest first, without duplicates. */
export async function selectSnapshots(repo: Repository, names: readonly string[], sel: SnapshotSelection = {}): Promise<SnapshotEntry[]> {
  const all = await loadSnapshots(repo);
  const filtered = all.filter((e) => selected(e.snapshot, sel));
  if (names.length === 0) return filtered;
  const ids = new Set(names.map((n) => pickSnapshot(all, n, filtered).id));
  return all.filter((e) => ids.has(e.id));
}
