/**
 * Extended attributes and POSIX ACLs of replicated entries, an option per directory (`xattrs`,
 * `acls`). The addon's l*xattr calls (native/xattr.cc, shared with the backups) never follow a
 * symlink. POSIX ACLs are the xattrs system.posix_acl_access and system.posix_acl_default
 * (acl(5); the value format is the kernel's posix_acl_xattr: a u32 version 2, then per entry
 * u16 tag, u16 permissions, u32 id, little endian). Which names are replicated: with `acls` those
 * two; with `xattrs` user.* and security.*, and trusted.* when this process is root (only root
 * can read or write them). Other system.* names belong to the filesystem and are left alone.
 */
export interface XattrSelection {
  readonly xattrs: boolean;
  readonly acls: boolean;
}

export const NO_XATTRS: XattrSelection = { xattrs: false, acls: false };

/** The addon's calls (src/net/native.ts); lists return [] where the filesystem has no xattrs. */
export interface XattrPort {
  listXattrs(path: Buffer): { name: string; value: Buffer }[];
  setXattr(path: Buffer, name: string, value: Buffer): void;
  removeXattr(path: Buffer, name: string): void;
}

/** Name and value, sorted by name (so both sides compare and digest the same list). */
export type XattrList = readonly (readonly [string, Buffer])[];

export const ACL_ACCESS = 'system.posix_acl_access';
export const ACL_DEFAULT = 'system.posix_acl_default';

export function anySelected(selection: XattrSelection): boolean {
  return selection.xattrs || selection.acls;
}

export function isSelected(name: string, selection: XattrSelection, root: boolean): boolean {
  if (name === ACL_ACCESS || name === ACL_DEFAULT) return selection.acls;
  if (!selection.xattrs) return false;
  if (name.startsWith('user.') || name.startsWith('security.')) return true;
  return root && name.startsWith('trusted.');
}

const isRoot = (): boolean => process.getuid?.() === 0;

/** The selected attributes of `path` (not following a symlink), sorted by name. */
export function readXattrList(port: XattrPort, path: Buffer, selection: XattrSelection): XattrList {
  if (!anySelected(selection)) return [];
  const root = isRoot();
  return port
    .listXattrs(path)
    .filter((x) => isSelected(x.name, selection, root))
    .map((x) => [x.name, x.value] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/**
 * Makes the selected attributes of `path` exactly `want`: sets what differs, removes selected
 * names `want` lacks (a new file may have inherited a default ACL). Throws the addon's errno
 * Error (ENOTSUP where the filesystem has none, EPERM for a namespace not permitted). True if
 * anything was set or removed (the caller then makes the change durable).
 */
export function applyXattrList(port: XattrPort, path: Buffer, want: XattrList, selection: XattrSelection): boolean {
  const root = isRoot();
  const have = new Map(port.listXattrs(path).filter((x) => isSelected(x.name, selection, root)).map((x) => [x.name, x.value]));
  let changed = false;
  for (const [name, value] of want) {
    if (!isSelected(name, selection, root)) continue;
    if (!have.get(name)?.equals(value)) {
      port.setXattr(path, name, value);
      changed = true;
    }
    have.delete(name);
  }
  for (const name of have.keys()) port.removeXattr(path, name);
  return changed || have.size > 0;
}

/** Bytes an entry's attributes add to its directory's digest: name length, name, value length, value. */
export function encodeXattrList(list: XattrList): Buffer {
  const parts: Buffer[] = [];
  for (const [name, value] of list) {
    const n = Buffer.from(name, 'utf8');
    const head = Buffer.alloc(8);
    head.writeUInt32BE(n.length, 0);
    head.writeUInt32BE(value.length, 4);
    parts.push(head, n, value);
  }
  return Buffer.concat(parts);
}

/** In frame headers: [name, base64 value] pairs. */
export function xattrsToWire(list: XattrList): [string, string][] {
  return list.map(([name, value]) => [name, value.toString('base64')]);
}

/** From a frame header; a malformed list is a TypeError naming the problem. */
export function xattrsFromWire(wire: unknown): XattrList {
  if (!Array.isArray(wire)) throw new TypeError('xattrs must be a list of [name, base64 value] pairs');
  const out: [string, Buffer][] = [];
  for (const pair of wire) {
    if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[0] !== 'string' || typeof pair[1] !== 'string') {
      throw new TypeError('xattrs must be a list of [name, base64 value] pairs');
    }
    const [name, value] = pair as [string, string];
    if (name === '' || name.includes('\0') || !name.includes('.') || Buffer.byteLength(name) > 255) throw new TypeError(`xattr name '${name}' is not a valid attribute name`);
    out.push([name, Buffer.from(value, 'base64')]);
  }
  return out.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** A POSIX ACL in the kernel's xattr format (acl(5) tags: USER_OBJ 1, USER 2, GROUP_OBJ 4, GROUP 8, MASK 0x10, OTHER 0x20). */
export function encodePosixAcl(entries: readonly { tag: number; perm: number; id?: number }[]): Buffer {
  const out = Buffer.alloc(4 + 8 * entries.length);
  out.writeUInt32LE(2, 0);
  entries.forEach((e, i) => {
    out.writeUInt16LE(e.tag, 4 + 8 * i);
    out.writeUInt16LE(e.perm, 6 + 8 * i);
    out.writeUInt32LE(e.id ?? 0xffffffff, 8 + 8 * i);
  });
  return out;
}

/**
 * What this replica's filesystem supports of `wanted`: a probe file (a replicator temporary,
 * never replicated) gets a user.* attribute and an ACL. Unsupported parts are named in `missing`.
 */
export function probeXattrSupport(
  port: XattrPort,
  probe: Buffer,
  wanted: XattrSelection,
): { supported: XattrSelection; missing: string[] } {
  const missing: string[] = [];
  const attempt = (what: string, name: string, value: Buffer): boolean => {
    try {
      port.setXattr(probe, name, value);
      return true;
    } catch (err) {
      missing.push(`${what}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      return false;
    }
  };
  const xattrs = wanted.xattrs && attempt('user.* attributes', 'user.hotstandby.probe', Buffer.from('1'));
  const acls = wanted.acls && attempt('POSIX ACLs', ACL_ACCESS, encodePosixAcl([{ tag: 1, perm: 6 }, { tag: 4, perm: 4 }, { tag: 0x20, perm: 4 }]));
  return { supported: { xattrs, acls }, missing };
}
