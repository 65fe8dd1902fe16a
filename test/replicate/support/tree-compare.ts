/**
 * Full comparison of two trees as a user sees them: bytes, types, modes, owners, ns mtimes,
 * symlink targets, which names are the same file (hard links), and optionally attributes.
 */
import { lstat, readFile, readdir, readlink } from 'node:fs/promises';
import { absolute, isReplicatorName, joinRel, printable, relFromBytes } from '../../../src/replicate/paths.js';

/** Every difference between the trees, as readable lines (empty when they are the same). */
export async function treeDifferences(
  a: string,
  b: string,
  ignore: (path: string) => boolean = () => false,
  options: { xattrs?: (full: Buffer) => string } = {},
): Promise<string[]> {
  const out: string[] = [];
  const ra = Buffer.from(a);
  const rb = Buffer.from(b);
  // Names of each inode in each tree (files with more than one link).
  const groups = [new Map<string, string[]>(), new Map<string, string[]>()] as const;
  const linked: [string, string, string][] = [];
  const walk = async (dir: string): Promise<void> => {
    const names = async (root: Buffer) =>
      ((await readdir(absolute(root, dir), { encoding: 'buffer' })) as Buffer[]).map(relFromBytes).filter((n) => !isReplicatorName(n) && !ignore(joinRel(dir, n))).sort();
    const na = await names(ra);
    const nb = new Set(await names(rb));
    for (const name of na) {
      const path = joinRel(dir, name);
      if (!nb.delete(name)) {
        out.push(`missing on the replica: ${printable(path)}`);
        continue;
      }
      const sa = await lstat(absolute(ra, path), { bigint: true });
      const sb = await lstat(absolute(rb, path), { bigint: true });
      const kind = (s: typeof sa) => (s.isDirectory() ? 'dir' : s.isSymbolicLink() ? 'symlink' : s.isFile() ? 'file' : 'other');
      if (kind(sa) !== kind(sb)) {
        out.push(`type differs: ${printable(path)} ${kind(sa)} vs ${kind(sb)}`);
        continue;
      }
      if (sa.uid !== sb.uid || sa.gid !== sb.gid) out.push(`owner differs: ${printable(path)}`);
      if (!sa.isSymbolicLink() && sa.mode !== sb.mode) out.push(`mode differs: ${printable(path)} ${sa.mode.toString(8)} vs ${sb.mode.toString(8)}`);
      if (!sa.isDirectory() && sa.mtimeNs !== sb.mtimeNs) out.push(`mtime differs: ${printable(path)} ${sa.mtimeNs} vs ${sb.mtimeNs}`);
      if (options.xattrs && options.xattrs(absolute(ra, path)) !== options.xattrs(absolute(rb, path))) out.push(`xattrs differ: ${printable(path)}`);
      if (sa.isFile()) {
        const ka = `${sa.dev}:${sa.ino}`;
        const kb = `${sb.dev}:${sb.ino}`;
        if (sa.nlink > 1n) groups[0].set(ka, [...(groups[0].get(ka) ?? []), path]);
        if (sb.nlink > 1n) groups[1].set(kb, [...(groups[1].get(kb) ?? []), path]);
        linked.push([path, ka, kb]);
      }
      if (sa.isDirectory()) await walk(path);
      else if (sa.isSymbolicLink()) {
        if (!(await readlink(absolute(ra, path), { encoding: 'buffer' })).equals(await readlink(absolute(rb, path), { encoding: 'buffer' }))) out.push(`target differs: ${printable(path)}`);
      } else if (!(await readFile(absolute(ra, path))).equals(await readFile(absolute(rb, path)))) out.push(`content differs: ${printable(path)}`);
    }
    for (const name of nb) out.push(`extra on the replica: ${printable(joinRel(dir, name))}`);
  };
  await walk('');
  for (const [path, ka, kb] of linked) {
    const names = (side: 0 | 1, key: string) => (groups[side].get(key) ?? [path]).sort().map(printable).join(', ');
    if (names(0, ka) !== names(1, kb)) out.push(`hard links differ: ${printable(path)} is one file with [${names(0, ka)}] vs [${names(1, kb)}]`);
  }
  return out;
}

/** Replicator temporaries left in a tree (none may remain once converged). */
export async function leftoverTemporaries(root: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(absolute(Buffer.from(root), dir), { encoding: 'buffer', withFileTypes: true })) {
      const name = relFromBytes(entry.name as unknown as Buffer);
      const path = joinRel(dir, name);
      if (isReplicatorName(name)) out.push(printable(path));
      else if (entry.isDirectory()) await walk(path);
    }
  };
  await walk('');
  return out;
}
