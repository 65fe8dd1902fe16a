/**
 * A fresh, journaled ext4 filesystem of its own for one node's tree in a lab bench (root): a
 * sparse image file, mkfs.ext4, a loop mount. In a real pair the two nodes are two machines with
 * two disks; in the lab both namespaces share the root filesystem, and this machine's root ext4
 * has no journal. Without a journal ext4's inode allocator skips every inode deleted in the last
 * 60 s (360 s while its inode-table block is dirty), checking each one (fs/ext4/ialloc.c,
 * find_inode_bit / recently_deleted), so creating files right after many deletions (an earlier
 * run's trees) costs the kernel CPU per create that grows with the deletions: at 1,000 files/s
 * that was seconds of lag (docs/replication.md, 2026-12-04).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface OwnFs {
  /** Where the filesystem is mounted: put the node's tree under it. */
  readonly path: string;
  /** Unmounts it and removes the image and the mount point. */
  dispose(): void;
}

function run(cmd: string, args: string[]): void {
  const result = spawnSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  if (result.error) throw new Error(`${cmd}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${result.status}: ${result.stderr.trim()}`);
}

/**
 * Makes and mounts an ext4 filesystem of `mib` MiB (sparse: it takes only what is written) under
 * `parent`; `journal: false` makes one without a journal (as this lab's root), for tests. `inodes`
 * asks for at least that many inodes (mke2fs -N: the default, one per 16 KiB, is 262,144 in 4 GiB,
 * too few for a million small files); the inode tables are then written by mkfs at once, not
 * by the kernel's lazy-init thread while a timed run uses the filesystem.
 */
export function makeOwnFs(parent: string, mib = 4096, journal = true, inodes?: number): OwnFs {
  const dir = mkdtempSync(join(parent, 'hs-bench-fs-'));
  const image = join(dir, 'fs.img');
  const path = join(dir, 'mnt');
  mkdirSync(path);
  writeFileSync(image, '');
  truncateSync(image, mib * 1024 * 1024);
  let mounted = false;
  try {
    const count = inodes === undefined ? [] : ['-N', String(inodes), '-E', 'lazy_itable_init=0,lazy_journal_init=0'];
    run('mkfs.ext4', ['-q', '-F', ...(journal ? [] : ['-O', '^has_journal']), ...count, image]);
    run('mount', ['-o', 'loop', image, path]);
    mounted = true;
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    path,
    dispose() {
      // -d releases the loop device with the mount; the image goes only once it is unmounted.
      if (mounted) run('umount', ['-d', path]);
      mounted = false;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The bench's choice: each node's tree on its own filesystem when BENCH_OWN_FS=1 (or --own-fs),
 * on the shared one when BENCH_OWN_FS=0, else `byDefault` (the file-replication row's lag runs:
 * own, since two machines never share a filesystem; bench/replicate-lag.js: shared).
 */
export function ownFsWanted(argv: readonly string[] = process.argv, env: NodeJS.ProcessEnv = process.env, byDefault = false): boolean {
  if (env.BENCH_OWN_FS === '0') return false;
  return argv.includes('--own-fs') || env.BENCH_OWN_FS === '1' || byDefault;
}

/** One directory per side under `base`, each on its own fresh filesystem when `own`; `dispose` unmounts them (not `base`). */
export function sideRoots(base: string, sides: readonly string[], own: boolean): { roots: string[]; dispose(): void } {
  const filesystems: OwnFs[] = [];
  const dispose = () => {
    for (const fs of filesystems.splice(0)) fs.dispose();
  };
  try {
    const roots = sides.map((side) => {
      const parent = own ? filesystems[filesystems.push(makeOwnFs(base)) - 1]!.path : base;
      mkdirSync(join(parent, side));
      return join(parent, side);
    });
    return { roots, dispose };
  } catch (error) {
    dispose();
    throw error;
  }
}
