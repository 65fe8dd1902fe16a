/** Finding a node in a snapshot by its path ("/srv/www/index.html"). */
import type { Id } from '../repo/id.js';
import type { Repository } from '../repo/repository.js';
import { decodeTree, type TreeNode } from '../repo/tree.js';

export interface Located {
  /** The node, or undefined for the snapshot's root. */
  node?: TreeNode;
  /** The tree to walk below it (a directory's subtree, or the root tree). */
  tree?: Id;
  /** The normalised path: "/" or "/a/b". */
  path: string;
}

export async function locate(repo: Repository, root: Id, path: string): Promise<Located> {
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  let tree: Id | undefined = root;
  let node: TreeNode | undefined;
  let at = '';
  for (const part of parts) {
    if (tree === undefined) throw new RangeError(`${at} is not a directory in the snapshot`);
    node = decodeTree(await repo.loadBlob('tree', tree)).find((n) => n.name === part);
    at += '/' + part;
    if (!node) throw new RangeError(`${at} is not in the snapshot`);
    tree = node.type === 'dir' ? node.subtree : undefined;
  }
  return { ...(node ? { node } : {}), ...(tree ? { tree } : {}), path: at || '/' };
}
