/**
 * Extended attributes, stored as restic stores them (a node's extended_attributes: name and
 * base64 value, in the order the filesystem lists them; never following a symlink). Node has no
 * xattr API: the native addon's llistxattr/lgetxattr/lsetxattr. Without the addon, none are
 * recorded, and restoring them is skipped.
 */
import { backupNative } from './native.js';
import { fsPath } from './repo/names.js';
import type { ExtendedAttribute } from './repo/tree.js';

export function readXattrs(path: string): ExtendedAttribute[] {
  const list = backupNative()?.listXattrs;
  if (!list) return [];
  return list(fsPath(path)).map((x) => ({ name: x.name, value: x.value }));
}

/**
 * Sets each attribute; returns those the target filesystem refused (not supported there, or not
 * permitted, e.g. trusted.* without root), which restic too reports and skips.
 */
export function writeXattrs(path: string, attrs: readonly ExtendedAttribute[]): string[] {
  const set = backupNative()?.setXattr;
  if (!set || attrs.length === 0) return attrs.map((a) => a.name);
  const refused: string[] = [];
  for (const a of attrs) {
    try {
      set(fsPath(path), a.name, Buffer.from(a.value));
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'EPERM' || code === 'EACCES') refused.push(a.name);
      else throw err;
    }
  }
  return refused;
}
