/**
 * A backup onto a removable disk that is not plugged in must fail, not fill the root filesystem:
 * a path under a mount point listed in /etc/fstab is usable only while something is mounted there
 * (as /proc/self/mountinfo shows).
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';

export interface MountTables {
  /** The text of /etc/fstab. */
  fstab: string;
  /** The text of /proc/self/mountinfo. */
  mountinfo: string;
}

export async function readMountTables(): Promise<MountTables> {
  const read = (p: string) => readFile(p, 'utf8').catch(() => '');
  return { fstab: await read('/etc/fstab'), mountinfo: await read('/proc/self/mountinfo') };
}

/** fstab and mountinfo escape space, tab, newline and backslash as octal. */
const unescapeOctal = (s: string) => s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));

export function fstabMountPoints(fstab: string): string[] {
  const out: string[] = [];
  for (const line of fstab.split('\n')) {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) continue;
    const f = t.split(/\s+/);
    const file = f[1];
    if (file === undefined || !file.startsWith('/') || f[2] === 'swap') continue;
    out.push(resolve(unescapeOctal(file)));
  }
  return out;
}

export function mountedPoints(mountinfo: string): Set<string> {
  const out = new Set<string>();
  for (const line of mountinfo.split('\n')) {
    const f = line.split(' ');
    if (f[4] !== undefined) out.add(unescapeOctal(f[4]));
  }
  return out;
}

/** Whether `path` is `dir` or below it (both absolute and resolved). */
export const isUnder = (path: string, dir: string): boolean => path === dir || path.startsWith(dir.endsWith('/') ? dir : dir + '/');

/**
 * The reason `path` must not be written, or undefined when it may: the deepest fstab mount point
 * at or above it (other than /) has nothing mounted on it.
 */
export function unmountedReason(path: string, tables: MountTables): string | undefined {
  const abs = resolve(path);
  const candidates = fstabMountPoints(tables.fstab).filter((m) => m !== '/' && isUnder(abs, m));
  if (candidates.length === 0) return undefined;
  const deepest = candidates.reduce((a, b) => (b.length > a.length ? b : a));
  if (mountedPoints(tables.mountinfo).has(deepest)) return undefined;
  return `${deepest} is a mount point in /etc/fstab but nothing is mounted on it: refusing to use ${abs}`;
}

/**
 * The reason `path` must not be used, or undefined when it may, for a user who said the
 * repository lives on the filesystem mounted at `mountPoint` (`--require-mount`, for removable
 * disks that no fstab line names, e.g. mounted by udisks under /media): `path` must lie at or
 * below `mountPoint`, and something must be mounted exactly there.
 */
export function requiredMountReason(path: string, mountPoint: string, tables: MountTables): string | undefined {
  const abs = resolve(path);
  const mp = resolve(mountPoint);
  if (!isUnder(abs, mp)) return `${abs} is not below ${mp}, the mount point it is required to be on`;
  if (!mountedPoints(tables.mountinfo).has(mp)) return `nothing is mounted on ${mp} (is the disk plugged in?): refusing to use ${abs}`;
  return undefined;
}
