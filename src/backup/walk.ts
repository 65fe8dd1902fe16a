/** Walking a snapshot's trees depth-first in name order, as `ls` lists them. */
import type { Id } from './repo/id.js';
import type { Repository } from './repo/repository.js';
import { decodeTree, type TreeNode } from './repo/tree.js';

export interface WalkEntry {
  /** The node's absolute path in the snapshot ("/tmp/x/file"). */
  path: string;
  node: TreeNode;
}

/** `descend` (default: always) says whether to walk below a directory. */
export async function* walkTree(repo: Repository, treeId: Id, prefix = '', descend?: (e: WalkEntry) => boolean): AsyncGenerator<WalkEntry> {
  const nodes = decodeTree(await repo.loadBlob('tree', treeId));
  for (const node of nodes) {
    const path = `${prefix}/${node.name}`;
    yield { path, node };
    if (node.type === 'dir' && node.subtree && (!descend || descend({ path, node }))) yield* walkTree(repo, node.subtree, path, descend);
  }
}
