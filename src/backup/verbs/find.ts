/**
 * `backup find PATTERN…`: the entries of each snapshot whose path matches one of restic's patterns
 * (see pattern.ts), walking into a directory only when something below it may match.
 */
import type { Repository } from '../repo/repository.js';
import type { TreeNode } from '../repo/tree.js';
import type { SnapshotEntry } from '../snapshots.js';
import { walkTree } from '../walk.js';
import { childMayMatch, lowerPattern, matchPattern, parsePattern } from './pattern.js';

export interface FindOptions {
  ignoreCase?: boolean;
}

export interface FindHit {
  path: string;
  node: TreeNode;
}

export async function* findInSnapshot(repo: Repository, snap: SnapshotEntry, patterns: readonly string[], options: FindOptions = {}): AsyncGenerator<FindHit> {
  const parsed = patterns.map((p) => (options.ignoreCase ? lowerPattern(parsePattern(p)) : parsePattern(p)));
  const norm = (p: string) => (options.ignoreCase ? p.toLowerCase() : p);
  const descend = ({ path }: { path: string }) => parsed.some((p) => childMayMatch(p, norm(path)));
  for await (const e of walkTree(repo, snap.snapshot.tree, '', descend)) {
    if (parsed.some((p) => matchPattern(p, norm(e.path)))) yield e;
  }
}
