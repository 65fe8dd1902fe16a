/** EntryMeta in frame headers (both directions). */
import { pathField, readBig, readInt, readPath, readString } from './frames.js';
import type { EntryMeta, EntryType } from './tree-digest.js';

export function entryToWire(entry: EntryMeta): Record<string, unknown> {
  return {
    name: pathField(entry.name),
    type: entry.type,
    mode: entry.mode,
    uid: entry.uid,
    gid: entry.gid,
    size: entry.size.toString(),
    mtimeNs: entry.mtimeNs.toString(),
    digest: entry.digest.toString('hex'),
    ...(entry.link !== undefined && { link: pathField(entry.link) }),
    ...(entry.xattrs !== undefined && { xattrs: entry.xattrs.toString('hex') }),
  };
}

export function entryFromWire(wire: unknown): EntryMeta {
  if (typeof wire !== 'object' || wire === null) throw new TypeError('An entry must be an object');
  const h = wire as Record<string, unknown>;
  const type = readString(h, 'type');
  if (type !== 'file' && type !== 'dir' && type !== 'symlink') throw new TypeError(`Entry type '${type}' is unknown`);
  const digest = Buffer.from(readString(h, 'digest'), 'hex');
  if (digest.length !== 32) throw new TypeError('An entry digest must be 32 bytes');
  let xattrs: Buffer | undefined;
  if (h.xattrs !== undefined) {
    xattrs = Buffer.from(readString(h, 'xattrs'), 'hex');
    if (xattrs.length !== 32) throw new TypeError('An entry\'s xattr hash must be 32 bytes');
  }
  return {
    ...(h.link !== undefined && { link: readPath(h, 'link') }),
    ...(xattrs && { xattrs }),
    name: readPath(h, 'name'),
    type: type as EntryType,
    mode: readInt(h, 'mode'),
    uid: readInt(h, 'uid'),
    gid: readInt(h, 'gid'),
    size: readBig(h, 'size'),
    mtimeNs: readBig(h, 'mtimeNs'),
    digest,
  };
}
