/**
 * File names are bytes, not text: a name may be invalid UTF-8 or contain a newline. Inside the
 * replicator a path relative to the replicated root is a "byte string": a JS string whose char
 * codes are the bytes (latin1), so it can key a Map and be compared and sliced like any string,
 * and converts back to the exact bytes. '' is the root itself. The separator is '/'.
 */

/** A relative path whose characters are bytes (0–255). */
export type RelPath = string;

export function relFromBytes(bytes: Buffer): RelPath {
  return bytes.toString('latin1');
}

export function relToBytes(rel: RelPath): Buffer {
  return Buffer.from(rel, 'latin1');
}

export function joinRel(dir: RelPath, name: RelPath): RelPath {
  return dir === '' ? name : `${dir}/${name}`;
}

export function parentOf(rel: RelPath): RelPath {
  const slash = rel.lastIndexOf('/');
  return slash < 0 ? '' : rel.slice(0, slash);
}

/** True when `rel` is `ancestor` or lies below it. */
export function isWithin(rel: RelPath, ancestor: RelPath): boolean {
  return ancestor === '' || rel === ancestor || rel.startsWith(`${ancestor}/`);
}

/** The absolute path of `rel` below `root`, as bytes (what node:fs takes for any name). */
export function absolute(root: Buffer, rel: RelPath): Buffer {
  return rel === '' ? root : Buffer.concat([root, Buffer.from('/'), relToBytes(rel)]);
}

/** For messages and logs: the name as UTF-8 where it is, with other bytes as \xNN. */
export function printable(rel: RelPath): string {
  const text = relToBytes(rel).toString('utf8');
  if (!text.includes('\ufffd') && !/[\x00-\x1f]/.test(text)) return text;
  return Array.from(relToBytes(rel), (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : `\\x${b.toString(16).padStart(2, '0')}`)).join('');
}

/**
 * Names the replicator itself writes on the replica (temporary and partial files). They are
 * never replicated, listed or digested on either side, and only ever renamed into place.
 */
export const TEMP_PREFIX = '.hotstandby-tmp.';
export const PARTIAL_PREFIX = '.hotstandby-partial.';

export function isReplicatorName(name: RelPath): boolean {
  return name.startsWith(TEMP_PREFIX) || name.startsWith(PARTIAL_PREFIX);
}

/** Checks a relative path received from the network: no '', '.', '..' segments, no NUL, not absolute. */
export function isSafeRel(rel: RelPath): boolean {
  if (rel === '') return true;
  if (rel.includes('\0')) return false;
  return rel.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}
