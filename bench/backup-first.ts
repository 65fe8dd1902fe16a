/**
 * The first backup of one data set, hotstandby with and without chunking threads against restic
 * 0.14, alternating in rounds (each round runs every variant once, in a rotated order), each into
 * a fresh local repository, after `sync` and a drop of the page cache (as root; otherwise only
 * the sync, and the table says so). Prints medians of wall time, MiB/s, CPU (user + system) and
 * peak RSS (/usr/bin/time), and the load average seen before each run.
 *
 *   node dist/bench/backup-first.js [--data DIR | --mib 256] [--rounds 5] [--variants threads,inline,restic]
 *                                   [--baseline OTHER/dist/bench/backup-driver.js]
 *
 * --baseline adds the variant `baseline`: the same backup by another build's driver (the main
 * branch compiled in another directory, say), so old and new run in the same rounds.
 *
 * Without --data a mixed set (bench/backup-data.ts, seed 1) of --mib MiB is generated first (not
 * measured) and removed at the end.
 */
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { makeMixed } from './backup-data.js';
import { backupBench } from './lib/backup-bench.js';
import { coldRun, type ColdRun } from './lib/cold-run.js';
import { median } from './stats.js';

const VARIANTS = {
  baseline: { tool: 'baseline', env: {} },
  threads: { tool: 'hotstandby', env: {} },
  inline: { tool: 'hotstandby', env: { HOTSTANDBY_CHUNK_WORKERS: '0' } },
  restic: { tool: 'restic', env: {} },
} as const;
type Variant = keyof typeof VARIANTS;

const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    mib: { type: 'string', default: '256' },
    rounds: { type: 'string', default: '5' },
    variants: { type: 'string' },
    baseline: { type: 'string' },
  },
});
const rounds = Number(values.rounds);
const variants = (values.variants ?? (values.baseline ? 'baseline,threads,restic' : 'threads,inline,restic')).split(',') as Variant[];
for (const v of variants) if (!(v in VARIANTS)) throw new RangeError(`Unknown variant '${v}' (baseline, threads, inline, restic)`);
if (variants.includes('baseline') && !values.baseline) throw new RangeError('The baseline variant needs --baseline PATH (another build\'s dist/bench/backup-driver.js)');
if (!Number.isInteger(rounds) || rounds < 1) throw new RangeError(`Invalid --rounds '${values.rounds}'`);

const { work, driver, env, canDrop, sh } = backupBench('hs-bench-first-');

type Run = ColdRun;

function once(variant: Variant, data: string, n: number): Run {
  const { tool, env: extra } = VARIANTS[variant];
  const repo = join(work, `repo-${variant}-${n}`);
  const drv = tool === 'baseline' ? values.baseline! : driver;
  if (tool === 'restic') sh('restic', ['-r', repo, 'init']);
  else sh(process.execPath, [drv, 'init', repo]);
  const cmd = tool === 'restic' ? ['restic', '-r', repo, 'backup', '--quiet', data] : [process.execPath, drv, 'backup', repo, data];
  const run = coldRun(cmd, { ...env, ...extra }, join(work, 'time'));
  rmSync(repo, { recursive: true, force: true });
  return run;
}

try {
  let data = values.data;
  let bytes: number;
  if (data === undefined) {
    data = join(work, 'data');
    bytes = makeMixed(data, Number(values.mib) << 20, 1).bytes;
  } else {
    const du = spawnSync('du', ['-sb', data], { encoding: 'utf8' });
    bytes = Number(du.stdout.split('\t')[0]);
  }
  const mib = bytes / (1 << 20);
  const runs = new Map<Variant, Run[]>(variants.map((v) => [v, []]));
  for (let r = 0; r < rounds; r++) {
    const order = variants.map((_, i) => variants[(i + r) % variants.length]!);
    for (const v of order) {
      const x = once(v, data, r);
      runs.get(v)!.push(x);
      console.error(`round ${r + 1} ${v}: ${x.wall.toFixed(2)} s, ${(mib / x.wall).toFixed(1)} MiB/s, CPU ${x.cpu.toFixed(2)} s (user ${x.user.toFixed(2)}, sys ${x.sys.toFixed(2)}), ${x.rssMb.toFixed(0)} MB, load ${x.load.toFixed(1)}`);
    }
  }
  const restic = runs.get('restic');
  console.log(`${mib.toFixed(0)} MiB, ${rounds} rounds, ${canDrop ? 'page cache dropped before each run' : 'NOT root: page cache not dropped'}\n`);
  console.log('| variant | wall, median (range) | MiB/s | vs restic | CPU user+sys | user / sys | peak RSS | load (range) |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const [v, xs] of runs) {
    const wall = median(xs.map((x) => x.wall));
    const vs = restic ? (median(restic.map((x) => x.wall)) / wall).toFixed(2) + '×' : '–';
    const range = (k: keyof Run, d: number) => `${Math.min(...xs.map((x) => x[k])).toFixed(d)}–${Math.max(...xs.map((x) => x[k])).toFixed(d)}`;
    console.log(`| ${v} | ${wall.toFixed(2)} s (${range('wall', 2)}) | ${(mib / wall).toFixed(1)} | ${vs} | ${median(xs.map((x) => x.cpu)).toFixed(2)} s | ${median(xs.map((x) => x.user)).toFixed(2)} / ${median(xs.map((x) => x.sys)).toFixed(2)} s | ${median(xs.map((x) => x.rssMb)).toFixed(0)} MB | ${range('load', 1)} |`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
