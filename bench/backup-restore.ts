/**
 * The `backup` row's full restore in alternated rounds: hotstandby (this build, and optionally
 * other builds' drivers) against restic 0.14, each restoring the latest snapshot of its own
 * repository (the other builds restore this build's repository: the format is the same). The data
 * set is backed up once, untimed. Each run onto a fresh journaled ext4 of its own by default
 * (bench/lib/restore-target.ts; --shared-fs: into the work directory, deleted after), after a
 * `sync` (the page cache kept unless --cold); its time, user/sys CPU and peak RSS from
 * /usr/bin/time, with the load average seen. The restored tree's file count is checked.
 *
 *   node dist/bench/backup-restore.js --data DIR | --small N  [--rounds 3]
 *        [--variants hotstandby,restic,NAME…] [--build NAME=OTHER/dist/bench/backup-driver.js …]
 *        [--shared-fs] [--cold] [--keep DIR] [--file PATH|-]
 *
 * --file PATH: restores only that file of the set (PATH relative to the set's root; the middle
 * file of the sorted list when PATH is '-'), as the row's single-file restore does
 * (`restore-file`, restic's `restore --include`), instead of the whole tree.
 *
 * --keep DIR: the work directory is DIR, and the set and both repositories made in it are kept and
 * reused by later runs with the same DIR, so the (long, untimed) setup of a 1 M-file set can run
 * outside the bench lock: `--keep DIR --rounds 0` only makes them.
 */
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { makeSmall, type DataSet } from './backup-data.js';
import { backupBench } from './lib/backup-bench.js';
import { coldRun, type ColdRun } from './lib/cold-run.js';
import { restoreFsWanted, restoreTarget } from './lib/restore-target.js';
import { median } from './stats.js';

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    small: { type: 'string' },
    rounds: { type: 'string', default: '3' },
    variants: { type: 'string' },
    build: { type: 'string', multiple: true, default: [] },
    'shared-fs': { type: 'boolean', default: false },
    cold: { type: 'boolean', default: false },
    keep: { type: 'string' },
    file: { type: 'string' },
  },
});
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < (values.keep === undefined ? 1 : 0)) throw new RangeError(`Invalid --rounds '${values.rounds}'`);
if ((values.data === undefined) === (values.small === undefined)) throw new RangeError('Give one of --data DIR or --small N');
if (values.small !== undefined && !(Number.isInteger(Number(values.small)) && Number(values.small) > 0)) throw new RangeError(`Invalid --small '${values.small}' (a positive whole number)`);
const builds = new Map<string, string>();
for (const b of values.build) {
  const eq = b.indexOf('=');
  if (eq <= 0 || eq === b.length - 1) throw new RangeError(`Invalid --build '${b}' (NAME=PATH to a backup-driver.js)`);
  builds.set(b.slice(0, eq), b.slice(eq + 1));
}
const variants = (values.variants ?? ['hotstandby', ...builds.keys(), 'restic'].join(',')).split(',');
for (const v of variants) if (v !== 'hotstandby' && v !== 'restic' && !builds.has(v)) throw new RangeError(`Unknown variant '${v}' (hotstandby, restic, or a NAME given with --build)`);
const fs = restoreFsWanted();

const { work, driver, env, sh } = backupBench('hs-bench-restore-', values.keep);

function countFiles(dir: string): number {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    if (e.isDirectory()) n += countFiles(join(dir, e.name));
    else n++;
  }
  return n;
}

/** The set's files (at any depth: makeMixed nests), relative to its root. */
function listSet(root: string): DataSet {
  const files: string[] = [];
  let bytes = 0;
  const walk = (rel: string) => {
    for (const e of readdirSync(join(root, rel), { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const at = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) walk(at);
      else {
        files.push(at);
        bytes += statSync(join(root, at)).size;
      }
    }
  };
  walk('');
  return { root, files, bytes };
}

try {
  const repo = { hs: join(work, 'repo-hotstandby'), restic: join(work, 'repo-restic') };
  // With --keep, a marker written after both backups says the set and repositories are complete.
  const ready = join(work, 'ready');
  let set: DataSet;
  if (values.keep !== undefined && existsSync(ready)) {
    set = listSet(values.data ?? join(work, 'data'));
    if (values.small !== undefined && set.files.length !== Number(values.small)) throw new RangeError(`--keep ${work} holds ${set.files.length} files, not ${values.small}`);
  } else {
    for (const dir of [repo.hs, repo.restic, join(work, 'data'), join(work, 'restic-cache')]) rmSync(dir, { recursive: true, force: true });
    set = values.data !== undefined ? listSet(values.data) : makeSmall(join(work, 'data'), Number(values.small), 1);
    sh(process.execPath, [driver, 'init', repo.hs]);
    sh(process.execPath, [driver, 'backup', repo.hs, set.root]);
    sh('restic', ['-r', repo.restic, 'init']);
    sh('restic', ['-r', repo.restic, 'backup', '--quiet', set.root]);
    writeFileSync(ready, `${set.files.length} files\n`);
  }
  const one = values.file === undefined ? undefined : join(set.root, values.file === '-' ? [...set.files].sort()[Math.floor(set.files.length / 2)]! : values.file);
  if (one !== undefined) console.error(`restoring one file: ${one}`);
  const runs = new Map<string, ColdRun[]>();
  for (let r = 0; r < rounds; r++) {
    console.error(`round ${r + 1}`);
    for (const v of variants.map((_, i) => variants[(i + r) % variants.length]!)) {
      const target = restoreTarget(work, `restore-${v}`, fs, one === undefined ? { files: set.files.length, bytes: set.bytes } : { files: 1, bytes: statSync(one).size });
      try {
        const include = one === undefined ? [] : ['--include', one];
        const cmd = v === 'restic'
          ? ['restic', '-r', repo.restic, 'restore', 'latest', '--target', target.path, ...include]
          : one === undefined
            ? [process.execPath, builds.get(v) ?? driver, 'restore', repo.hs, target.path]
            : [process.execPath, builds.get(v) ?? driver, 'restore-file', repo.hs, one, target.path];
        const x = coldRun(cmd, env, join(work, 'time'), !values.cold);
        if (one === undefined) {
          const restored = countFiles(join(target.path, set.root));
          if (restored !== set.files.length) throw new Error(`${v} restored ${restored} files, not ${set.files.length}`);
        } else if (statSync(join(target.path, one)).size !== statSync(one).size) throw new Error(`${v} restored ${one} with the wrong size`);
        runs.set(v, [...(runs.get(v) ?? []), x]);
        console.error(`${v}: ${x.wall.toFixed(2)} s, user ${x.user.toFixed(2)} s, sys ${x.sys.toFixed(2)} s, ${x.rssMb.toFixed(0)} MB, load ${x.load.toFixed(1)}`);
      } finally {
        target.dispose();
      }
    }
  }
  if (rounds === 0) {
    console.log(`${set.files.length} files and both repositories kept in ${work}`);
  } else {
    const mib = set.bytes / (1 << 20);
    console.log(`${one === undefined ? '' : `one file (${one}) of `}${set.files.length} files, ${mib.toFixed(0)} MiB, ${rounds} rounds, restore target: ${fs === 'own' ? 'a fresh ext4 per run' : 'the work directory'}, ${values.cold ? 'page cache dropped' : 'page cache kept'}\n`);
    console.log('| variant | wall, median (range) | MiB/s | vs restic | user, median | sys, median | peak RSS, median (range) | load (range) |');
    console.log('|---|---|---|---|---|---|---|---|');
    const resticWall = runs.has('restic') ? median(runs.get('restic')!.map((x) => x.wall)) : NaN;
    for (const v of variants) {
      const xs = runs.get(v)!;
      const wall = median(xs.map((x) => x.wall));
      const range = (k: keyof ColdRun, d: number) => `${Math.min(...xs.map((x) => x[k])).toFixed(d)}–${Math.max(...xs.map((x) => x[k])).toFixed(d)}`;
      const vs = Number.isNaN(resticWall) ? '–' : `${(resticWall / wall).toFixed(2)}×`;
      console.log(`| ${v} | ${wall.toFixed(2)} s (${range('wall', 2)}) | ${(mib / wall).toFixed(1)} | ${vs} | ${median(xs.map((x) => x.user)).toFixed(2)} s | ${median(xs.map((x) => x.sys)).toFixed(2)} s | ${median(xs.map((x) => x.rssMb)).toFixed(0)} MB (${range('rssMb', 0)}) | ${range('load', 1)} |`);
    }
  }
} finally {
  if (values.keep === undefined) rmSync(work, { recursive: true, force: true });
}
