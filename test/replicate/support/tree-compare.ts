/** Full comparison of two trees as a user sees them: bytes, types, modes, owners, ns mtimes, symlink targets. */
import { lstat, readFile, readdir, readlink } from 'node:fs/promises';
import { absolute, isReplicatorName, joinRel, printable, relFromBytes } from '../../../src/replicate/paths.js';

/** Every difference between the trees, as readable lines (empty when they are the same). */
export async function treeDifferences(a: string, b: string, ignore: (path: string) => boolean = () => false): Promise<string[]> {
  const out: string[] = [];
  const ra = Buffer.from(a);
  const rb = Buffer.from(b);
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
      if (sa.isDirectory()) await walk(path);
      else if (sa.isSymbolicLink()) {
        if (!(await readlink(absolute(ra, path), { encoding: 'buffer' })).equals(await readlink(absolute(rb, path), { encoding: 'buffer' }))) out.push(`target differs: ${printable(path)}`);
      } else if (!(await readFile(absolute(ra, path))).equals(await readFile(absolute(rb, path)))) out.push(`content differs: ${printable(path)}`);
    }
    for (const name of nb) out.push(`extra on the replica: ${printable(joinRel(dir, name))}`);
  };
  await walk('');
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
