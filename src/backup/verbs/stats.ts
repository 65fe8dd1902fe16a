/**
 * `backup stats`: restic's two main counting modes (cmd/restic/cmd_stats.go).
 * restore-size: every node of every snapshot counts as a file, and its size once per inode (hard
 * links restore as one file), i.e. what a restore writes. raw-data: the unique blobs the snapshots
 * reference, and their stored (compressed, encrypted) size, i.e. what they take in the repository.
 */
import type { Id } from '../repo/id.js';
import type { Repository } from '../repo/repository.js';
import { decodeTree } from '../repo/tree.js';
import type { SnapshotEntry } from '../snapshots.js';
import { walkTree } from '../walk.js';

export type StatsMode = 'restore-size' | 'raw-data';

export interface Stats {
  total_size: number;
  total_file_count: number;
  total_blob_count?: number;
  total_uncompressed_size?: number;
  snapshots_count: number;
}

/** Every blob the snapshots reference, trees included (each tree read once). */
export async function referencedBlobs(repo: Repository, trees: Iterable<Id>, onTree?: (id: Id) => void): Promise<{ trees: Set<Id>; data: Set<Id> }> {
  const seenTrees = new Set<Id>();
  const data = new Set<Id>();
  const stack = [...trees];
  while (stack.length) {
    const id = stack.pop()!;
    if (seenTrees.has(id)) continue;
    seenTrees.add(id);
    onTree?.(id);
    for (const n of decodeTree(await repo.loadBlob('tree', id))) {
      if (n.type === 'dir' && n.subtree) stack.push(n.subtree);
      for (const c of n.content ?? []) data.add(c);
    }
  }
  return { trees: seenTrees, data };
}

export async function stats(repo: Repository, snapshots: readonly SnapshotEntry[], mode: StatsMode): Promise<Stats> {
  await repo.loadIndex();
  if (mode === 'raw-data') {
    const { trees, data } = await referencedBlobs(repo, snapshots.map((s) => s.snapshot.tree));
    let size = 0;
    let uncompressed = 0;
    const add = (type: 'tree' | 'data', id: Id) => {
      const loc = repo.lookup(type, id);
      if (!loc) throw new Error(`${type} blob ${id} is referenced but not in the index`);
      size += loc.length;
      uncompressed += loc.uncompressedLength ?? loc.length - 32;
    };
    for (const id of trees) add('tree', id);
    for (const id of data) add('data', id);
    return { total_size: size, total_uncompressed_size: uncompressed, total_file_count: 0, total_blob_count: trees.size + data.size, snapshots_count: snapshots.length };
  }
  let size = 0;
  let files = 0;
  for (const s of snapshots) {
    const inodes = new Set<string>();
    for await (const { node } of walkTree(repo, s.snapshot.tree)) {
      files++;
      const key = `${node.inode ?? 0}:${node.deviceId ?? 0}`;
      if (!node.inode || !inodes.has(key)) {
        inodes.add(key);
        size += node.size ?? 0;
      }
    }
  }
  return { total_size: size, total_file_count: files, snapshots_count: snapshots.length };
}
