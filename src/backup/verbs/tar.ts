/**
 * A tar writer in the POSIX pax interchange format (POSIX.1-2008, pax(1), "pax Interchange
 * Format"): every entry gets a ustar header (IEEE 1003.1-1988) preceded by an extended header
 * (typeflag 'x') carrying what ustar cannot hold exactly — `path` and `linkpath` of any length,
 * `mtime`/`atime`/`ctime` with nanoseconds, `size`, `uid`, `gid`, `uname`, `gname` beyond the
 * octal fields, `hdrcharset=BINARY` for names that are not UTF-8, and extended attributes as
 * `SCHILY.xattr.NAME` (the GNU tar / bsdtar convention). Readable by GNU tar and bsdtar.
 */
import type { GoTime } from '../repo/go-json.js';

export type TarEntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'chardev' | 'blockdev' | 'fifo';

export interface TarEntry {
  /** The name's bytes (any bytes but NUL). */
  path: Buffer;
  type: TarEntryType;
  /** Permission bits with setuid/setgid/sticky (0o7777). */
  mode: number;
  uid: number;
  gid: number;
  uname?: string;
  gname?: string;
  size: number;
  mtime: GoTime;
  atime?: GoTime;
  ctime?: GoTime;
  linkpath?: Buffer;
  devmajor?: number;
  devminor?: number;
  xattrs?: { name: string; value: Uint8Array }[];
}

export const BLOCK = 512;

const TYPEFLAG: Record<TarEntryType, string> = { file: '0', hardlink: '1', symlink: '2', chardev: '3', blockdev: '4', dir: '5', fifo: '6' };

/** A pax time: seconds, then a fraction without trailing zeros. */
export function paxTime(t: GoTime): string {
  const frac = t.nsec === 0 ? '' : '.' + String(t.nsec).padStart(9, '0').replace(/0+$/, '');
  return `${t.sec}${frac}`;
}

/** One pax record: "LEN KEY=VALUE\n", where LEN counts the whole record including itself. */
export function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

function isUtf8(b: Buffer): boolean {
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(b);
    return true;
  } catch {
    return false;
  }
}

/** Writes `value` as a NUL-terminated octal field of `width` bytes; false when it does not fit. */
function octal(buf: Buffer, offset: number, width: number, value: number): boolean {
  const s = Math.max(0, Math.floor(value)).toString(8);
  if (s.length > width - 1 || value < 0) {
    buf.fill(0x30, offset, offset + width - 1);
    return false;
  }
  buf.write(s.padStart(width - 1, '0'), offset, 'latin1');
  return true;
}

function ustarHeader(name: Buffer, typeflag: string, e: Partial<TarEntry> & { size: number; mtimeSec: number }): Buffer {
  const h = Buffer.alloc(BLOCK);
  // Split a short enough name into prefix/name; otherwise the pax path record holds it.
  let prefix: Buffer = Buffer.alloc(0);
  let base: Buffer = name;
  if (name.length > 100) {
    const cut = name.lastIndexOf(0x2f, 155);
    if (cut > 0 && name.length - cut - 1 <= 100) {
      prefix = name.subarray(0, cut);
      base = name.subarray(cut + 1);
    } else base = name.subarray(0, 100);
  }
  base.copy(h, 0, 0, Math.min(100, base.length));
  octal(h, 100, 8, e.mode ?? 0o644);
  octal(h, 108, 8, e.uid ?? 0);
  octal(h, 116, 8, e.gid ?? 0);
  octal(h, 124, 12, e.size);
  octal(h, 136, 12, e.mtimeSec);
  h.fill(0x20, 148, 156); // checksum computed with spaces
  h.write(typeflag, 156, 'latin1');
  if (e.linkpath) e.linkpath.copy(h, 157, 0, Math.min(100, e.linkpath.length));
  h.write('ustar\u000000', 257, 'latin1');
  if (e.uname) Buffer.from(e.uname).copy(h, 265, 0, 31);
  if (e.gname) Buffer.from(e.gname).copy(h, 297, 0, 31);
  octal(h, 329, 8, e.devmajor ?? 0);
  octal(h, 337, 8, e.devminor ?? 0);
  prefix.copy(h, 345, 0, Math.min(155, prefix.length));
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\u0000 ', 148, 'latin1');
  return h;
}

const padding = (n: number) => Buffer.alloc((BLOCK - (n % BLOCK)) % BLOCK);

/** The header blocks of an entry (pax extended header, then ustar header); the data follows. */
export function tarHeader(e: TarEntry): Buffer {
  const path = e.type === 'dir' && e.path[e.path.length - 1] !== 0x2f ? Buffer.concat([e.path, Buffer.from('/')]) : e.path;
  const records: Buffer[] = [];
  if (!isUtf8(path) || (e.linkpath && !isUtf8(e.linkpath))) records.push(paxRecord('hdrcharset', Buffer.from('BINARY')));
  records.push(paxRecord('path', path));
  if (e.linkpath) records.push(paxRecord('linkpath', e.linkpath));
  records.push(paxRecord('mtime', Buffer.from(paxTime(e.mtime))));
  if (e.atime) records.push(paxRecord('atime', Buffer.from(paxTime(e.atime))));
  if (e.ctime) records.push(paxRecord('ctime', Buffer.from(paxTime(e.ctime))));
  const big = (v: number, width: number) => v >= 8 ** (width - 1);
  if (big(e.size, 12)) records.push(paxRecord('size', Buffer.from(String(e.size))));
  if (big(e.uid, 8)) records.push(paxRecord('uid', Buffer.from(String(e.uid))));
  if (big(e.gid, 8)) records.push(paxRecord('gid', Buffer.from(String(e.gid))));
  if (e.uname && Buffer.byteLength(e.uname) > 31) records.push(paxRecord('uname', Buffer.from(e.uname)));
  if (e.gname && Buffer.byteLength(e.gname) > 31) records.push(paxRecord('gname', Buffer.from(e.gname)));
  for (const x of e.xattrs ?? []) records.push(paxRecord(`SCHILY.xattr.${x.name}`, Buffer.from(x.value)));
  const pax = Buffer.concat(records);
  const paxName = Buffer.from('PaxHeaders/' + path.toString('latin1').replace(/[^\x20-\x7e]/g, '_').slice(-80));
  const paxHeader = ustarHeader(paxName, 'x', { size: pax.length, mtimeSec: e.mtime.sec, mode: 0o644 });
  const size = e.type === 'file' ? e.size : 0;
  const main = ustarHeader(path, TYPEFLAG[e.type], { ...e, size, mtimeSec: e.mtime.sec });
  return Buffer.concat([paxHeader, pax, padding(pax.length), main]);
}

/** The zero bytes after an entry's `size` data bytes. */
export function tarPadding(size: number): Buffer {
  return padding(size);
}

/** The end of an archive: two zero blocks. */
export const TAR_END = Buffer.alloc(2 * BLOCK);
