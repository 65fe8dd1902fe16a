/**
 * Tree blobs (design.rst, "Trees and Data"): `{"nodes":[…]}` followed by a newline, each node the
 * JSON of restic's Node struct (internal/restic/node.go) in its field order — name, type, mode,
 * mtime, atime, ctime, uid, gid, user, group, inode, device_id, size, links, linktarget,
 * extended_attributes, device, content, subtree, error — with Go's omitempty where restic has it
 * (times, uid, gid and content are always written; content is `null` for anything but a file).
 * Nodes are sorted by name. `mode` is a Go os.FileMode, not a Unix st_mode. The name is stored
 * as Go's strconv.Quote of its bytes without the outer quotes (restic's Node.MarshalJSON).
 */
import { formatGoTime, goJsonEncode, goJsonString, goQuote, goUnquote, parseGoTime, type GoTime } from './go-json.js';
import { parseId, type Id } from './id.js';
import { bytesToName, nameToBytes } from './names.js';

export type NodeType = 'file' | 'dir' | 'symlink' | 'dev' | 'chardev' | 'fifo' | 'socket' | 'irregular';

export interface ExtendedAttribute {
  name: string;
  value: Uint8Array;
}

export interface TreeNode {
  name: string;
  type: NodeType;
  /** Go os.FileMode bits (see goModeFromUnix). */
  mode: number;
  mtime: GoTime;
  atime: GoTime;
  ctime: GoTime;
  uid: number;
  gid: number;
  user?: string;
  group?: string;
  inode?: number;
  deviceId?: number;
  size?: number;
  links?: number;
  linktarget?: string;
  extendedAttributes?: ExtendedAttribute[];
  device?: number;
  /** Data blob ids of a file; null for other types. */
  content: Id[] | null;
  subtree?: Id;
  error?: string;
}

// Go's os.FileMode type bits (io/fs).
export const GO_MODE = {
  dir: 2 ** 31,
  symlink: 2 ** 27,
  device: 2 ** 26,
  namedPipe: 2 ** 25,
  socket: 2 ** 24,
  setuid: 2 ** 23,
  setgid: 2 ** 22,
  charDevice: 2 ** 21,
  sticky: 2 ** 20,
  irregular: 2 ** 19,
} as const;

const S_IFMT = 0o170000;

/** Go's os.FileMode for a Unix st_mode (as os.Lstat fills it on Linux). */
export function goModeFromUnix(st: number): number {
  let m = st & 0o777;
  switch (st & S_IFMT) {
    case 0o060000: m += GO_MODE.device; break;
    case 0o020000: m += GO_MODE.device + GO_MODE.charDevice; break;
    case 0o040000: m += GO_MODE.dir; break;
    case 0o010000: m += GO_MODE.namedPipe; break;
    case 0o120000: m += GO_MODE.symlink; break;
    case 0o140000: m += GO_MODE.socket; break;
  }
  if (st & 0o4000) m += GO_MODE.setuid;
  if (st & 0o2000) m += GO_MODE.setgid;
  if (st & 0o1000) m += GO_MODE.sticky;
  return m;
}

const bit = (mode: number, b: number) => Math.floor(mode / b) % 2 === 1;

/** The permission and setuid/setgid/sticky bits of a Go os.FileMode, as chmod takes them. */
export function unixPermFromGoMode(mode: number): number {
  let p = mode % 512;
  if (bit(mode, GO_MODE.setuid)) p |= 0o4000;
  if (bit(mode, GO_MODE.setgid)) p |= 0o2000;
  if (bit(mode, GO_MODE.sticky)) p |= 0o1000;
  return p;
}

/** Names that strconv.Quote leaves as they are: printable ASCII but `"` and `\`. */
const PLAIN_NAME = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** A JSON member `,"key":value` for a number Go's omitempty keeps (not 0). */
const numField = (key: string, v: number | undefined) => (v ? `,"${key}":${goJsonEncode(v)}` : '');
const strField = (key: string, v: string | undefined) => (v ? `,"${key}":${goJsonString(v)}` : '');

/**
 * One node's JSON, written out field by field (a generic encoder over an object of the fields
 * cost 20 µs a node, a tenth of a small-file backup); same bytes as goJsonEncode of the fields.
 */
function encodeNode(n: TreeNode): string {
  const name = PLAIN_NAME.test(n.name) ? n.name : goQuote(nameToBytes(n.name));
  let out = `{"name":${goJsonString(name)},"type":${goJsonString(n.type)}`;
  out += numField('mode', n.mode);
  out += `,"mtime":${goJsonString(formatGoTime(n.mtime))},"atime":${goJsonString(formatGoTime(n.atime))},"ctime":${goJsonString(formatGoTime(n.ctime))}`;
  out += `,"uid":${goJsonEncode(n.uid)},"gid":${goJsonEncode(n.gid)}`;
  out += strField('user', n.user) + strField('group', n.group);
  out += numField('inode', n.inode) + numField('device_id', n.deviceId) + numField('size', n.size) + numField('links', n.links);
  out += strField('linktarget', n.linktarget);
  if (n.extendedAttributes?.length) {
    out += ',"extended_attributes":' + goJsonEncode(n.extendedAttributes.map((a) => ({ name: a.name, value: Buffer.from(a.value).toString('base64') })));
  }
  out += numField('device', n.device);
  out += ',"content":' + (n.content === null ? 'null' : '[' + n.content.map(goJsonString).join(',') + ']');
  if (n.subtree !== undefined) out += `,"subtree":${goJsonString(n.subtree)}`;
  return out + strField('error', n.error) + '}';
}

const sameTime = (a: GoTime, b: GoTime) => a.sec === b.sec && a.nsec === b.nsec && a.offsetMinutes === b.offsetMinutes;
const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && Buffer.compare(a, b) === 0;

/**
 * Whether encodeNode writes the same JSON for `a` and `b`, field by field as it writes them
 * (omitempty: an absent number is 0, an absent string ''), without encoding either: what lets
 * an unchanged directory keep its parent's tree id (archiver.ts) for the price of a comparison.
 */
export function sameNodeEncoding(a: TreeNode, b: TreeNode): boolean {
  if (a.name !== b.name || a.type !== b.type || (a.mode || 0) !== (b.mode || 0)) return false;
  if (!sameTime(a.mtime, b.mtime) || !sameTime(a.atime, b.atime) || !sameTime(a.ctime, b.ctime)) return false;
  if (a.uid !== b.uid || a.gid !== b.gid || (a.user || '') !== (b.user || '') || (a.group || '') !== (b.group || '')) return false;
  if ((a.inode || 0) !== (b.inode || 0) || (a.deviceId || 0) !== (b.deviceId || 0) || (a.size || 0) !== (b.size || 0) || (a.links || 0) !== (b.links || 0)) return false;
  if ((a.linktarget || '') !== (b.linktarget || '') || (a.device || 0) !== (b.device || 0) || (a.error || '') !== (b.error || '')) return false;
  if (a.subtree !== b.subtree) return false;
  const xa = a.extendedAttributes ?? [];
  const xb = b.extendedAttributes ?? [];
  if (xa.length !== xb.length || xa.some((x, i) => x.name !== xb[i]!.name || !sameBytes(x.value, xb[i]!.value))) return false;
  if (a.content === null || b.content === null) return a.content === b.content;
  const cb = b.content;
  return a.content.length === cb.length && a.content.every((id, i) => id === cb[i]);
}

/**
 * Byte order of names (Go compares strings bytewise). At the first differing UTF-16 unit, two
 * units below the surrogates compare as their UTF-8 bytes do; otherwise the bytes are compared.
 */
export function compareNames(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    if (x < 0xd800 && y < 0xd800) return x - y;
    return Buffer.compare(nameToBytes(a), nameToBytes(b));
  }
  return a.length - b.length;
}

/** A tree blob's bytes; `nodes` must be sorted by name with no duplicates. */
export function encodeTree(nodes: readonly TreeNode[]): Buffer {
  for (let i = 1; i < nodes.length; i++) {
    if (compareNames(nodes[i - 1]!.name, nodes[i]!.name) >= 0) throw new RangeError(`Tree nodes not sorted or duplicated at ${goJsonString(nodes[i]!.name)}`);
  }
  return Buffer.from('{"nodes":[' + nodes.map(encodeNode).join(',') + ']}\n');
}

const ZERO_TIME = '0001-01-01T00:00:00Z';
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * One node of a tree blob. Optional fields are set one by one, in the order of restic's Node (no
 * object of them all to filter: a re-run decodes every directory's tree of the parent snapshot,
 * 100,000 nodes for as many files), and an atime written as the mtime (restic's default, and
 * ours) is parsed once.
 */
function decodeNode(raw: unknown): TreeNode {
  const v = raw as Record<string, unknown>;
  if (v === null || typeof v !== 'object' || typeof v.name !== 'string' || typeof v.type !== 'string') throw new TypeError('Tree node lacks name or type');
  const time = (t: unknown) => parseGoTime(typeof t === 'string' ? t : ZERO_TIME);
  const mtime = time(v.mtime);
  const node: TreeNode = {
    name: PLAIN_NAME.test(v.name) ? v.name : bytesToName(goUnquote(v.name)),
    type: v.type as NodeType,
    mode: num(v.mode) ?? 0,
    mtime,
    atime: v.atime === v.mtime && typeof v.mtime === 'string' ? { ...mtime } : time(v.atime),
    ctime: time(v.ctime),
    uid: num(v.uid) ?? 0,
    gid: num(v.gid) ?? 0,
    content: Array.isArray(v.content) ? v.content.map((c) => parseId(c, 'content id')) : null,
  };
  const set = <K extends keyof TreeNode>(key: K, value: TreeNode[K] | undefined) => {
    if (value !== undefined) node[key] = value;
  };
  set('user', str(v.user));
  set('group', str(v.group));
  set('inode', num(v.inode));
  set('deviceId', num(v.device_id));
  set('size', num(v.size));
  set('links', num(v.links));
  set('linktarget', str(v.linktarget));
  set('device', num(v.device));
  set('subtree', v.subtree == null ? undefined : parseId(v.subtree, 'subtree id'));
  set('error', str(v.error));
  if (Array.isArray(v.extended_attributes)) {
    node.extendedAttributes = v.extended_attributes.map((a: { name?: unknown; value?: unknown }) => ({
      name: String(a.name),
      value: Buffer.from(typeof a.value === 'string' ? a.value : '', 'base64'),
    }));
  }
  return node;
}

export function decodeTree(json: Uint8Array): TreeNode[] {
  const v = JSON.parse(Buffer.from(json).toString('utf8')) as { nodes?: unknown };
  if (v === null || typeof v !== 'object') throw new TypeError('Tree is not a JSON object');
  if (v.nodes === null || v.nodes === undefined) return [];
  if (!Array.isArray(v.nodes)) throw new TypeError('Tree nodes is not a list');
  return v.nodes.map(decodeNode);
}
