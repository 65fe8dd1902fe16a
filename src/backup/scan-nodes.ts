/**
 * A directory's entries as backup tree nodes (without content or subtree), from one addon job per
 * directory (native/scan-dir.cc, `scanDirectory(path, true)`: fstatat, readlink and the xattrs of
 * every entry on a thread of libuv's pool) or, without the addon, from lstat and readlink on this
 * thread. Both build the node with nodeOf, so a tree is encoded the same bytes either way (tree
 * ids, and restic's reuse of our parent snapshots, depend on it).
 */
import { lstatSync, readlinkSync } from 'node:fs';
import { goTimeFromNs } from './repo/go-json.js';
import { bytesToName, fsPath } from './repo/names.js';
import { goModeFromUnix, type ExtendedAttribute, type NodeType, type TreeNode } from './repo/tree.js';
import { readXattrs } from './xattr.js';

/** What lstat (and readlink, llistxattr) say of one entry. */
export interface EntryStat {
  mode: number;
  uid: number;
  gid: number;
  size: bigint;
  ino: bigint;
  dev: bigint;
  nlink: bigint;
  rdev: bigint;
  mtimeNs: bigint;
  atimeNs: bigint;
  ctimeNs: bigint;
  /** A symlink's target, decoded as UTF-8 as restic does (os.Readlink's string). */
  linktarget?: string;
  xattrs: ExtendedAttribute[];
}

/** uid and gid to names (/etc/passwd, /etc/group), read once each when first asked. */
export interface Names {
  user(uid: number): string | undefined;
  group(gid: number): string | undefined;
}

export function nodeType(mode: number): NodeType {
  switch (mode & 0o170000) {
    case 0o100000: return 'file';
    case 0o040000: return 'dir';
    case 0o120000: return 'symlink';
    case 0o060000: return 'dev';
    case 0o020000: return 'chardev';
    case 0o010000: return 'fifo';
    case 0o140000: return 'socket';
    default: return 'irregular';
  }
}

/**
 * The node of one entry, its fields set in the order restic's Node has them (tree.ts encodes in
 * that order whatever the insertion order, but equal objects keep comparisons simple).
 */
export function nodeOf(name: string, st: EntryStat, names: Names, withAtime: boolean): TreeNode {
  const type = nodeType(st.mode);
  const node: TreeNode = {
    name,
    type,
    mode: goModeFromUnix(st.mode),
    mtime: goTimeFromNs(st.mtimeNs),
    // Like restic without --with-atime: atime recorded as mtime, so that reading a tree does not
    // change it and unchanged directories keep their tree ids (restic's and ours alike).
    atime: goTimeFromNs(withAtime ? st.atimeNs : st.mtimeNs),
    ctime: goTimeFromNs(st.ctimeNs),
    uid: st.uid,
    gid: st.gid,
    content: null,
  };
  const user = names.user(st.uid);
  const group = names.group(st.gid);
  if (user) node.user = user;
  if (group) node.group = group;
  node.inode = Number(st.ino);
  node.deviceId = Number(st.dev);
  if (type === 'file') node.size = Number(st.size);
  if (type !== 'dir' && type !== 'fifo' && type !== 'socket') node.links = Number(st.nlink);
  if (type === 'symlink') node.linktarget = st.linktarget ?? '';
  if (type === 'dev' || type === 'chardev') node.device = Number(st.rdev);
  if (st.xattrs.length) node.extendedAttributes = st.xattrs;
  return node;
}

/** lstat, readlink and llistxattr of `path` on this thread (the paths given, and without the addon). */
export function statEntry(path: string): EntryStat {
  const p = fsPath(path);
  const st = lstatSync(p, { bigint: true });
  const mode = Number(st.mode);
  const type = nodeType(mode);
  return {
    mode,
    uid: Number(st.uid),
    gid: Number(st.gid),
    size: st.size,
    ino: st.ino,
    dev: st.dev,
    nlink: st.nlink,
    rdev: st.rdev,
    mtimeNs: st.mtimeNs,
    atimeNs: st.atimeNs,
    ctimeNs: st.ctimeNs,
    linktarget: type === 'symlink' ? readlinkSync(p, 'utf8') : undefined,
    xattrs: type === 'socket' ? [] : readXattrs(path),
  };
}

/** The records of `scanDirectory(path, true)` (layout: native/scan-dir.cc), in readdir's order. */
export function parseScanDetails(bytes: Buffer): { name: string; st: EntryStat }[] {
  const out: { name: string; st: EntryStat }[] = [];
  let o = 0;
  const take = (length: number) => {
    const b = bytes.subarray(o, o + length);
    o += length;
    return b;
  };
  const u32 = () => take(4).readUInt32BE(0);
  const u64 = () => take(8).readBigUInt64BE(0);
  const i64 = () => take(8).readBigInt64BE(0);
  while (o < bytes.length) {
    const name = bytesToName(take(u32()));
    const mode = u32();
    const uid = u32();
    const gid = u32();
    const size = u64();
    const ino = u64();
    const dev = u64();
    const nlink = u64();
    const mtimeNs = i64();
    const ctimeNs = i64();
    const rdev = u64();
    const atimeNs = i64();
    const target = take(u32());
    const xattrs: ExtendedAttribute[] = [];
    for (let n = u32(); n > 0; n--) {
      const attrName = take(u32()).toString('utf8');
      // A copy: the scan's buffer is not kept alive by the tree's nodes.
      xattrs.push({ name: attrName, value: Buffer.from(take(u32())) });
    }
    const linktarget = nodeType(mode) === 'symlink' ? target.toString('utf8') : undefined;
    out.push({ name, st: { mode, uid, gid, size, ino, dev, nlink, rdev, mtimeNs, atimeNs, ctimeNs, linktarget, xattrs } });
  }
  if (o !== bytes.length) throw new RangeError(`A directory scan's records end at ${o}, past its ${bytes.length} bytes`);
  return out;
}
