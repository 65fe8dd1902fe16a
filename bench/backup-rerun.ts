/**
 * The three backups of the `backup` row on one data set, hotstandby (this build, and optionally a
 * baseline build) against restic 0.14, in alternated rounds: a first backup into a fresh
 * repository, an unchanged re-run, and a re-run after 1 % of the files changed (every variant
 * sees the same data: the change is made once per round, between the unchanged re-runs and the
 * changed ones). Each run after `sync` and a drop of the page cache (as root), its time and peak
 * RSS from /usr/bin/time; prints medians, ranges and the load average seen, and each
 * repository's size after its first backup.
 *
 *   node dist/bench/backup-rerun.js --data DIR | --small 100000 | --mixed 1100  [--rounds 3]
 *        [--variants baseline,threads,threads2,restic] [--baseline OTHER/dist/bench/backup-driver.js] [--warm]
 *
 * --warm keeps the page cache (only the sync), as the bench row does.
 * threads2 is this build with two chunking threads whatever the cores (HOTSTANDBY_CHUNK_WORKERS=2).
 *
 * --small N makes a set of N small files (bench/backup-data.ts, seed 1) first, not measured, and
 * removes it at the end; --mixed MIB the same with the row's mixed set of MIB MiB (the same files
 * change as in the row). With --data the set is changed in place (1 % of the files a round).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { changePercent, makeMixed, makeSmall, type DataSet } from './backup-data.js';
import { backupBench } from './lib/backup-bench.js';
import { coldRun, type ColdRun } from './lib/cold-run.js';
import { median } from './stats.js';

const TOOLS = { baseline: 'baseline', threads: 'hotstandby', threads2: 'hotstandby', restic: 'restic' } as const;
/** threads2: this build with two chunking threads (HOTSTANDBY_CHUNK_WORKERS=2) whatever the cores. */
const EXTRA_ENV: Partial<Record<keyof typeof TOOLS, NodeJS.ProcessEnv>> = { threads2: { HOTSTANDBY_CHUNK_WORKERS: '2' } };
type Variant = keyof typeof TOOLS;
const PHASES = ['first', 'unchanged', 'changed'] as const;
type Phase = (typeof PHASES)[number];

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    small: { type: 'string' },
    mixed: { type: 'string' },
    warm: { type: 'boolean', default: false },
    rounds: { type: 'string', default: '3' },
    variants: { type: 'string' },
    baseline: { type: 'string' },
  },
});
const rounds = Number(values.rounds);
const variants = (values.variants ?? (values.baseline ? 'baseline,threads,restic' : 'threads,restic')).split(',') as Variant[];
for (const v of variants) if (!(v in TOOLS)) throw new RangeError(`Unknown variant '${v}' (baseline, threads, threads2, restic)`);
if (variants.includes('baseline') && !values.baseline) throw new RangeError('The baseline variant needs --baseline PATH (another build\'s dist/bench/backup-driver.js)');
if (!Number.isInteger(rounds) || rounds < 1) throw new RangeError(`Invalid --rounds '${values.rounds}'`);
if ([values.data, values.small, values.mixed].filter((v) => v !== undefined).length !== 1) throw new RangeError('Give one of --data DIR, --small N or --mixed MIB');
for (const [flag, v] of [['--small', values.small], ['--mixed', values.mixed]] as const) {
  if (v !== undefined && !(Number.isInteger(Number(v)) && Number(v) > 0)) throw new RangeError(`Invalid ${flag} '${v}' (a positive whole number)`);
}

const { work, driver, env, canDrop, sh } = backupBench('hs-bench-rerun-');

function backupOnce(variant: Variant, repo: string, data: string): ColdRun {
  const drv = variant === 'baseline' ? values.baseline! : driver;
  const cmd = variant === 'restic' ? ['restic', '-r', repo, 'backup', '--quiet', data] : [process.execPath, drv, 'backup', repo, data];
  return coldRun(cmd, { ...env, ...EXTRA_ENV[variant] }, join(work, 'time'), values.warm);
}

function duBytes(path: string): number {
  return Number(spawnSync('du', ['-sb', path], { encoding: 'utf8' }).stdout.split('\t')[0]);
}

/** The set's files, relative, in the order makeSmall made them (for changePercent). */
function listSet(root: string): DataSet {
  const files: string[] = [];
  for (const d of readdirSync(root).sort()) for (const f of readdirSync(join(root, d))) files.push(`${d}/${f}`);
  return { root, files, bytes: duBytes(root) };
}

try {
  const set = values.data !== undefined
    ? listSet(values.data)
    : values.small !== undefined
    ? makeSmall(join(work, 'data'), Number(values.small), 1)
    : makeMixed(join(work, 'data'), Number(values.mixed) << 20, 1);
  const runs = new Map<string, ColdRun[]>();
  const repoBytes = new Map<Variant, number[]>();
  const record = (v: Variant, p: Phase, x: ColdRun) => {
    const k = `${v} ${p}`;
    runs.set(k, [...(runs.get(k) ?? []), x]);
    console.error(`${k}: ${x.wall.toFixed(2)} s, CPU ${x.cpu.toFixed(2)} s, ${x.rssMb.toFixed(0)} MB, load ${x.load.toFixed(1)}`);
  };
  for (let r = 0; r < rounds; r++) {
    console.error(`round ${r + 1}`);
    const order = variants.map((_, i) => variants[(i + r) % variants.length]!);
    const repo = (v: Variant) => join(work, `repo-${v}`);
    for (const v of order) {
      rmSync(repo(v), { recursive: true, force: true });
      if (v === 'restic') sh('restic', ['-r', repo(v), 'init']);
      else sh(process.execPath, [v === 'baseline' ? values.baseline! : driver, 'init', repo(v)]);
      record(v, 'first', backupOnce(v, repo(v), set.root));
      repoBytes.set(v, [...(repoBytes.get(v) ?? []), duBytes(repo(v))]);
    }
    for (const v of order) record(v, 'unchanged', backupOnce(v, repo(v), set.root));
    changePercent(set, 1, r + 1);
    for (const v of order) record(v, 'changed', backupOnce(v, repo(v), set.root));
    for (const v of order) rmSync(repo(v), { recursive: true, force: true });
  }
  const mib = set.bytes / (1 << 20);
  console.log(`${set.files.length} files, ${mib.toFixed(0)} MiB, ${rounds} rounds, ${values.warm ? 'page cache kept (--warm)' : canDrop ? 'page cache dropped before each run' : 'NOT root: page cache not dropped'}\n`);
  console.log('| variant | run | wall, median (range) | vs restic | CPU user+sys | peak RSS, median (range) | load (range) |');
  console.log('|---|---|---|---|---|---|---|');
  for (const p of PHASES) {
    for (const v of variants) {
      const xs = runs.get(`${v} ${p}`)!;
      const wall = median(xs.map((x) => x.wall));
      const restic = runs.get(`restic ${p}`);
      const vs = restic ? (median(restic.map((x) => x.wall)) / wall).toFixed(2) + '×' : '–';
      const range = (k: keyof ColdRun, d: number) => `${Math.min(...xs.map((x) => x[k])).toFixed(d)}–${Math.max(...xs.map((x) => x[k])).toFixed(d)}`;
      const rate = p === 'first' ? `, ${(mib / wall).toFixed(1)} MiB/s` : '';
      console.log(`| ${v} | ${p} | ${wall.toFixed(2)} s (${range('wall', 2)})${rate} | ${vs} | ${median(xs.map((x) => x.cpu)).toFixed(2)} s | ${median(xs.map((x) => x.rssMb)).toFixed(0)} MB (${range('rssMb', 0)}) | ${range('load', 1)} |`);
    }
  }
  console.log('\n| variant | repository after the first backup, median |');
  console.log('|---|---|');
  for (const [v, xs] of repoBytes) console.log(`| ${v} | ${(median(xs) / (1 << 20)).toFixed(1)} MiB |`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
