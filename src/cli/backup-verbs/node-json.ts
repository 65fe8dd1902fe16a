/** A tree node as restic's `ls --json` and `find --json` print it (cmd/restic/cmd_ls.go). */
import { formatGoTime } from '../../backup/repo/go-json.js';
import type { TreeNode } from '../../backup/index.js';

const TYPE_CHARS = 'dalTLDpSugct?';

/** Go's os.FileMode.String(): type letters (or "-"), then rwxrwxrwx. */
export function goFileModeString(mode: number): string {
  let out = '';
  for (let i = 0; i < TYPE_CHARS.length; i++) if (Math.floor(mode / 2 ** (31 - i)) % 2 === 1) out += TYPE_CHARS[i];
  if (out === '') out = '-';
  const rwx = 'rwxrwxrwx';
  for (let i = 0; i < 9; i++) out += mode & (1 << (8 - i)) ? rwx[i] : '-';
  return out;
}

/** A name as Go's encoding/json shows it: each byte that is not UTF-8 as U+FFFD. */
export const goDisplay = (s: string): string => s.replace(/[\udc80-\udcff]/g, '\ufffd');

/**
 * `ls` sets `fileSize`: restic's ls prints a file's size even when 0 (and no other type's); its
 * find prints the node's own fields, where a size of 0 is left out.
 */
export function nodeJson(path: string, node: TreeNode, opts: { fileSize?: boolean } = {}): Record<string, unknown> {
  return {
    name: goDisplay(node.name),
    type: node.type,
    path: goDisplay(path),
    uid: node.uid,
    gid: node.gid,
    ...(node.user ? { user: node.user } : {}),
    ...(node.group ? { group: node.group } : {}),
    ...(opts.fileSize && node.type === 'file' ? { size: node.size ?? 0 } : node.size !== undefined ? { size: node.size } : {}),
    mode: node.mode,
    permissions: goFileModeString(node.mode),
    mtime: formatGoTime(node.mtime),
    atime: formatGoTime(node.atime),
    ctime: formatGoTime(node.ctime),
    ...(node.linktarget ? { linktarget: goDisplay(node.linktarget) } : {}),
    struct_type: 'node',
  };
}
