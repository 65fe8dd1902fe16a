/**
 * Finding things in a snapshot for browsing, restoring and downloading one file or directory:
 * a path ("/srv/tomcat/webapps/ROOT") walked from the snapshot's root tree, one component per tree.
 */
import type { Id } from '../repo/id.js';
import type { Repository } from '../repo/repository.js';
import { decodeTree, type TreeNode } from '../repo/tree.js';
import { formatGoTime } from '../repo/go-json.js';
import type { TreeEntry } from './protocol.js';

/** A path that is not in the snapshot. Callers are expected to catch it (404). */
export class NoSuchPathError extends Error {
  override name = 'NoSuchPathError';
}

export function pathComponents(path: string): string[] {
  const parts = path.split('/').filter((p) => p !== '');
  if (parts.some((p) => p === '.' || p === '..')) throw new RangeError(`Path "${path}" must not contain . or .. components`);
  return parts;
}

/** The node at `path` below the tree `root`; undefined for the root itself. */
export async function findNode(repo: Repository, root: Id, path: string): Promise<TreeNode | undefined> {
  let tree: Id | undefined = root;
  let node: TreeNode | undefined;
  const parts = pathComponents(path);
  for (const [i, name] of parts.entries()) {
    if (tree === undefined) throw new NoSuchPathError(`/${parts.slice(0, i).join('/')} is not a directory in the snapshot`);
    node = decodeTree(await repo.loadBlob('tree', tree)).find((n) => n.name === name);
    if (node === undefined) throw new NoSuchPathError(`No /${parts.slice(0, i + 1).join('/')} in the snapshot`);
    tree = node.type === 'dir' ? node.subtree : undefined;
  }
  return node;
}

/** The entries of the directory at `path` (the snapshot's root for "/"). */
export async function listDirectory(repo: Repository, root: Id, path: string): Promise<TreeEntry[]> {
  const node = await findNode(repo, root, path);
  if (node !== undefined && node.type !== 'dir') throw new NoSuchPathError(`${path} is a ${node.type}, not a directory`);
  const tree = node === undefined ? root : node.subtree;
  if (tree === undefined) return [];
  const prefix = pathComponents(path).map((p) => `/${p}`).join('');
  return decodeTree(await repo.loadBlob('tree', tree)).map((n) => {
    const e: TreeEntry = { name: n.name, path: `${prefix}/${n.name}`, type: n.type, mtime: formatGoTime(n.mtime), mode: n.mode };
    if (n.size !== undefined) e.size = n.size;
    return e;
  });
}

/** The bytes below a node (for progress): file sizes, summed through subtrees. */
export async function sizeBelow(repo: Repository, node: TreeNode): Promise<number> {
  if (node.type === 'file') return node.size ?? 0;
  if (node.type !== 'dir' || node.subtree === undefined) return 0;
  let total = 0;
  for (const child of decodeTree(await repo.loadBlob('tree', node.subtree))) total += await sizeBelow(repo, child);
  return total;
}
