/** Finding snapshots: all of them, one by id or unique id prefix, or the latest. */
import { decodeSnapshot, type Snapshot } from './repo/snapshot.js';
import type { Id } from './repo/id.js';
import type { Repository } from './repo/repository.js';

export interface SnapshotEntry {
  id: Id;
  snapshot: Snapshot;
}

/** Every snapshot, oldest first. */
export async function loadSnapshots(repo: Repository): Promise<SnapshotEntry[]> {
  const out: SnapshotEntry[] = [];
  for (const id of await repo.list('snapshots')) out.push({ id, snapshot: decodeSnapshot(await repo.loadUnpacked('snapshots', id)) });
  const ns = (e: SnapshotEntry) => BigInt(e.snapshot.time.sec) * 1_000_000_000n + BigInt(e.snapshot.time.nsec);
  return out.sort((a, b) => (ns(a) < ns(b) ? -1 : ns(a) > ns(b) ? 1 : a.id.localeCompare(b.id)));
}

export interface SnapshotFilter {
  hostname?: string;
  /** Only snapshots of exactly these paths (in any order). */
  paths?: string[];
}

function matches(s: Snapshot, f: SnapshotFilter): boolean {
  if (f.hostname !== undefined && s.hostname !== f.hostname) return false;
  if (f.paths !== undefined) {
    const a = [...s.paths].sort();
    const b = [...f.paths].sort();
    if (a.length !== b.length || a.some((p, i) => p !== b[i])) return false;
  }
  return true;
}

/**
 * The snapshot `name` names among `all`: `latest` is the newest of `candidates` (default: all),
 * else a full id or an unambiguous id prefix.
 */
export function pickSnapshot(all: readonly SnapshotEntry[], name: string, candidates: readonly SnapshotEntry[] = all): SnapshotEntry {
  if (name === 'latest') {
    const last = candidates[candidates.length - 1];
    if (!last) throw new RangeError('No snapshot found');
    return last;
  }
  if (!/^[0-9a-f]{1,64}$/.test(name)) throw new SyntaxError(`Invalid snapshot id '${name}'`);
  const found = all.filter((e) => e.id.startsWith(name));
  if (found.length === 0) throw new RangeError(`No snapshot with id '${name}'`);
  if (found.length > 1) throw new RangeError(`Snapshot id prefix '${name}' is ambiguous (${found.length} snapshots)`);
  return found[0]!;
}

/** A snapshot named as `latest`, a full id or an unambiguous id prefix. */
export async function findSnapshot(repo: Repository, name: string, filter: SnapshotFilter = {}): Promise<SnapshotEntry> {
  const all = await loadSnapshots(repo);
  return pickSnapshot(all, name, all.filter((e) => matches(e.snapshot, filter)));
}
