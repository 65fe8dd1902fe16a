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
  size: number;
  ino: number;
  dev: number;
  nlink: number;
  rdev: number;
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
  node.inode = st.ino;
  node.deviceId = st.dev;
  if (type === 'file') node.size = st.size;
  if (type !== 'dir' && type !== 'fifo' && type !== 'socket') node.links = st.nlink;
  if (type === 'symlink') node.linktarget = st.linktarget ?? '';
  if (type === 'dev' || type === 'chardev') node.device = st.rdev;
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
    size: Number(st.size),
    ino: Number(st.ino),
    dev: Number(st.dev),
    nlink: Number(st.nlink),
    rdev: Number(st.rdev),
    mtimeNs: st.mtimeNs,
    atimeNs: st.atimeNs,
    ctimeNs: st.ctimeNs,
    linktarget: type === 'symlink' ? readlinkSync(p, 'utf8') : undefined,
    xattrs: type === 'socket' ? [] : readXattrs(path),
  };
}

/** A u64 as a number (exact below 2^53: sizes, inodes, devices and link counts are). */
function u64(bytes: Buffer, o: number): number {
  return bytes.readUInt32BE(o) * 2 ** 32 + bytes.readUInt32BE(o + 4);
}

/**
 * The records of `scanDirectory(path, true)` (layout: native/scan-dir.cc), in readdir's order.
 * Read at offsets, not through a view per field: a view is an object, and 100,000 entries of 15
 * fields were a good part of the garbage of a re-run.
 */
export function parseScanDetails(bytes: Buffer): { name: string; st: EntryStat }[] {
  const out: { name: string; st: EntryStat }[] = [];
  let o = 0;
  while (o < bytes.length) {
    const nameLength = bytes.readUInt32BE(o);
    const name = bytesToName(bytes.subarray(o + 4, o + 4 + nameLength));
    o += 4 + nameLength;
    const mode = bytes.readUInt32BE(o);
    const st: EntryStat = {
      mode,
      uid: bytes.readUInt32BE(o + 4),
      gid: bytes.readUInt32BE(o + 8),
      size: u64(bytes, o + 12),
      ino: u64(bytes, o + 20),
      dev: u64(bytes, o + 28),
      nlink: u64(bytes, o + 36),
      mtimeNs: bytes.readBigInt64BE(o + 44),
      ctimeNs: bytes.readBigInt64BE(o + 52),
      rdev: u64(bytes, o + 60),
      atimeNs: bytes.readBigInt64BE(o + 68),
      xattrs: [],
    };
    o += 76;
    const targetLength = bytes.readUInt32BE(o);
    if (nodeType(mode) === 'symlink') st.linktarget = bytes.toString('utf8', o + 4, o + 4 + targetLength);
    o += 4 + targetLength;
    let count = bytes.readUInt32BE(o);
    o += 4;
    for (; count > 0; count--) {
      const attrNameLength = bytes.readUInt32BE(o);
      const attrName = bytes.toString('utf8', o + 4, o + 4 + attrNameLength);
      o += 4 + attrNameLength;
      const valueLength = bytes.readUInt32BE(o);
      // A copy: the scan's buffer is not kept alive by the tree's nodes.
      st.xattrs.push({ name: attrName, value: Buffer.from(bytes.subarray(o + 4, o + 4 + valueLength)) });
      o += 4 + valueLength;
    }
    out.push({ name, st });
  }
  if (o !== bytes.length) throw new RangeError(`A directory scan's records end at ${o}, past its ${bytes.length} bytes`);
  return out;
}
