/**
 * Row `backup` (issue 13 §6): hotstandby's restic-format backups against restic 0.14, side by side
 * in one run on the same data, each operation a process of its own. Two data sets: mixed (a source
 * tree, binaries, random data; ≥ 1 GiB, --quick 128 MiB) and many small files (1,000,000, --quick
 * 20,000). Per tool and set: the first backup (MiB/s), an unchanged re-run (s), a re-run with 1 %
 * of the files changed (s), a full restore (MiB/s), a single-file restore (s), the repository's size
 * and the peak RSS of any of these operations (VmHWM of /proc/PID/status, polled).
 * Repositories are local directories in the temp dir; restic gets its own cache dir there.
 * Every operation of either tool starts after a `sync` (untimed), so none pays for the last one's
 * write-back.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { changePercent, makeMixed, makeSmall, type DataSet } from '../backup-data.js';
import { dropPageCache } from '../lib/cold-run.js';
import { fmt, markdownTable } from '../lib/format.js';
import { HostLoadWindow } from '../lib/machine.js';
import { restoreFsWanted, restoreTarget } from '../lib/restore-target.js';
import { atMost, errorText, type BenchContext, type Goal, type Mode, type RowResult } from '../lib/row.js';
import { ratio } from '../stats.js';

const MIXED_BYTES: Record<Mode, number> = { quick: 128 << 20, default: 1100 << 20, long: 4096 << 20 };
const SMALL_FILES: Record<Mode, number> = { quick: 20_000, default: 1_000_000, long: 1_000_000 };
const PASSWORD = 'bench';
type Tool = 'hotstandby' | 'restic';
const TOOLS: readonly Tool[] = ['hotstandby', 'restic'];

interface OpResult {
  seconds: number;
  peakRssMb: number;
  stdout: string;
}

/** Runs a command; resolves with its wall time and peak RSS (VmHWM, polled every 20 ms). */
function measure(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<OpResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let peakKb = 0;
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peakKb = Math.max(peakKb, Number(m[1]));
      } catch {
        // exited
      }
    }, 20);
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearInterval(poll);
      const seconds = (performance.now() - started) / 1000;
      if (code !== 0) reject(new Error(`${cmd} ${args.slice(0, 4).join(' ')} failed (${signal ?? code}): ${stderr.trim().slice(-600)}`));
      else resolve({ seconds, peakRssMb: peakKb / 1024, stdout });
    });
  });
}

/** `sync`: every dirty page of every file system written back (sync(2)); throws if it fails. */
function flushDirtyPages(): void {
  const r = spawnSync('sync', [], { stdio: 'ignore' });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`sync failed (${r.signal ?? r.status})`);
}

function duBytes(dir: string): number {
  let total = 0;
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) total += statSync(p).size;
    }
  };
  walk(dir);
  return total;
}

interface ToolResult {
  first_mib_s: number;
  unchanged_s: number;
  changed_1pct_s: number;
  restore_mib_s: number;
  single_file_restore_s: number;
  repo_bytes: number;
  peak_rss_mb: number;
  ops: Record<string, { seconds: number; peakRssMb: number }>;
}

class ToolRunner {
  readonly repo: string;
  readonly ops: ToolResult['ops'] = {};

  constructor(
    readonly tool: Tool,
    private readonly ctx: BenchContext,
    private readonly work: string,
    setName: string,
  ) {
    this.repo = join(work, `repo-${tool}-${setName}`);
  }

  private env(): NodeJS.ProcessEnv {
    return { ...process.env, RESTIC_PASSWORD: PASSWORD, RESTIC_CACHE_DIR: join(this.work, 'restic-cache') };
  }

  private command(verb: 'init' | 'backup' | 'restore' | 'restore-file', args: string[]): [string, string[]] {
    if (this.tool === 'hotstandby') return [process.execPath, [join(this.ctx.hotstandbyRoot, 'dist', 'bench', 'backup-driver.js'), verb, this.repo, ...args]];
    switch (verb) {
      case 'init': return ['restic', ['-r', this.repo, 'init']];
      case 'backup': return ['restic', ['-r', this.repo, 'backup', '--quiet', args[0]!]];
      case 'restore': return ['restic', ['-r', this.repo, 'restore', 'latest', '--target', args[0]!]];
      case 'restore-file': return ['restic', ['-r', this.repo, 'restore', 'latest', '--target', args[1]!, '--include', args[0]!]];
    }
  }

  async run(label: string, verb: 'init' | 'backup' | 'restore' | 'restore-file', args: string[], cold = false): Promise<OpResult> {
    const [cmd, argv] = this.command(verb, args);
    // The previous step's dirty pages (a restore's files, a backup's packs) are written back now,
    // untimed, or their write-back is billed to whichever operation runs next (a single-file
    // restore took 3.54 s that way). Only written back, unless `cold`: then the page cache is dropped too.
    flushDirtyPages();
    // Before a restore, for both tools alike: a warm restore measured whose repository happened to
    // be cached (hotstandby's backup drops its packs from the cache as it writes them, restic's
    // stay) and which tool ran first after memory was freed (on this VM freed memory goes back to
    // the host, and the first run after takes it back page by page: 0.3–1.9 s more system time for
    // either tool; docs/backups.md, "The full-size row on a quiet machine").
    if (cold) dropPageCache();
    const r = await measure(cmd, argv, this.env());
    if (label) this.ops[label] = { seconds: r.seconds, peakRssMb: r.peakRssMb };
    this.ctx.log(`  [backup] ${this.tool} ${label || verb}: ${fmt(r.seconds, 2)} s, peak RSS ${fmt(r.peakRssMb)} MB`);
    return r;
  }
}

async function benchSet(ctx: BenchContext, work: string, name: string, set: DataSet, errors: string[]): Promise<Record<Tool, ToolResult | undefined>> {
  const runners = TOOLS.map((t) => new ToolRunner(t, ctx, work, name));
  const mib = set.bytes / (1 << 20);
  const out: Record<Tool, ToolResult | undefined> = { hotstandby: undefined, restic: undefined };
  const failed = new Set<Tool>();
  // Each step for both tools before the next step, so that both see the same data.
  const step = async (fn: (r: ToolRunner) => Promise<void>) => {
    for (const r of runners) {
      if (failed.has(r.tool)) continue;
      try {
        await fn(r);
      } catch (error) {
        failed.add(r.tool);
        errors.push(`${name} ${r.tool}: ${errorText(error)}`);
        ctx.log(`  [backup] ${name} ${r.tool}: FAILED ${errorText(error)}`);
      }
    }
  };
  await step(async (r) => void (await r.run('', 'init', [])));
  await step(async (r) => void (await r.run('first', 'backup', [set.root])));
  await step(async (r) => void (await r.run('unchanged', 'backup', [set.root])));
  const changed = changePercent(set, 1, 1);
  ctx.log(`  [backup] ${name}: changed ${changed} files (1 %)`);
  await step(async (r) => void (await r.run('changed_1pct', 'backup', [set.root])));
  // Each restore onto a fresh filesystem of its own (restore-target.ts says why), unmounted after.
  const fs = restoreFsWanted();
  const size = { files: set.files.length, bytes: set.bytes };
  await step(async (r) => {
    const target = restoreTarget(work, `restore-${r.tool}-${name}`, fs, size);
    try {
      await r.run('restore', 'restore', [target.path], restoreCold());
    } finally {
      target.dispose();
    }
  });
  const one = join(set.root, set.files[Math.floor(set.files.length / 2)]!);
  await step(async (r) => {
    const target = restoreTarget(work, `one-${r.tool}-${name}`, fs, { files: 1, bytes: statSync(one).size });
    try {
      await r.run('single_file_restore', 'restore-file', [one, target.path], restoreCold());
      if (statSync(join(target.path, one)).size !== statSync(one).size) throw new Error(`single-file restore of ${one} has the wrong size`);
    } finally {
      target.dispose();
    }
  });
  for (const r of runners) {
    if (failed.has(r.tool)) continue;
    const o = r.ops;
    out[r.tool] = {
      first_mib_s: mib / o.first!.seconds,
      unchanged_s: o.unchanged!.seconds,
      changed_1pct_s: o.changed_1pct!.seconds,
      restore_mib_s: mib / o.restore!.seconds,
      single_file_restore_s: o.single_file_restore!.seconds,
      repo_bytes: duBytes(r.repo),
      peak_rss_mb: Math.max(...Object.values(o).map((x) => x.peakRssMb)),
      ops: o,
    };
  }
  return out;
}

/**
 * Whether restores start from a dropped page cache (dropPageCache): yes as root unless
 * BENCH_RESTORE_CACHE=kept; a bad value is refused.
 */
export function restoreCold(env: NodeJS.ProcessEnv = process.env, root = process.getuid?.() === 0): boolean {
  const asked = env.BENCH_RESTORE_CACHE;
  if (asked !== undefined && asked !== 'dropped' && asked !== 'kept') throw new RangeError(`BENCH_RESTORE_CACHE: unknown value '${asked}' (dropped, kept)`);
  if (asked === 'dropped' && !root) throw new RangeError('BENCH_RESTORE_CACHE=dropped needs root (it writes /proc/sys/vm/drop_caches)');
  return root && asked !== 'kept';
}

/**
 * BENCH_BACKUP_SETS=mixed or =small runs one set only (default both): the default mode's small set
 * takes some 30 min alone, and one shared bench lock should not be held that long in one piece.
 */
export function setsToRun(value = process.env.BENCH_BACKUP_SETS): ('mixed' | 'small')[] {
  const asked = (value ?? 'mixed,small').split(',').map((s) => s.trim()).filter((s) => s !== '');
  for (const s of asked) if (s !== 'mixed' && s !== 'small') throw new RangeError(`BENCH_BACKUP_SETS: unknown set '${s}' (mixed, small)`);
  return asked as ('mixed' | 'small')[];
}

export async function runBackupRow(ctx: BenchContext): Promise<RowResult[]> {
  const load = new HostLoadWindow();
  const work = mkdtempSync(join(tmpdir(), 'hs-bench-backup-'));
  const errors: string[] = [];
  const sets: Record<string, { files: number; bytes: number; results: Record<Tool, ToolResult | undefined> }> = {};
  try {
    for (const name of setsToRun()) {
      const began = Date.now();
      const root = join(work, `data-${name}`);
      const set = name === 'mixed' ? makeMixed(root, MIXED_BYTES[ctx.mode], ctx.seed) : makeSmall(root, SMALL_FILES[ctx.mode], ctx.seed);
      ctx.log(`  [backup] ${name}: ${set.files.length} files, ${fmt(set.bytes / (1 << 20))} MiB generated in ${((Date.now() - began) / 1000).toFixed(0)} s`);
      sets[name] = { files: set.files.length, bytes: set.bytes, results: await benchSet(ctx, work, name, set, errors) };
      for (const e of readdirSync(work)) if (e !== 'restic-cache') rmSync(join(work, e), { recursive: true, force: true });
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  const goals: Goal[] = [];
  const rows: string[][] = [];
  for (const [name, s] of Object.entries(sets)) {
    const hs = s.results.hotstandby;
    const rs = s.results.restic;
    const metric = (k: keyof Omit<ToolResult, 'ops'>, digits: number) => [fmt(hs?.[k], digits), fmt(rs?.[k], digits), fmt(ratio(hs?.[k] ?? NaN, rs?.[k] ?? NaN), 2)];
    rows.push([name, `${s.files} files, ${fmt(s.bytes / (1 << 20))} MiB`, 'first backup MiB/s', ...metric('first_mib_s', 1)]);
    rows.push([name, '', 'unchanged re-run s', ...metric('unchanged_s', 2)]);
    rows.push([name, '', '1 % changed re-run s', ...metric('changed_1pct_s', 2)]);
    rows.push([name, '', 'full restore MiB/s', ...metric('restore_mib_s', 1)]);
    rows.push([name, '', 'single-file restore s', ...metric('single_file_restore_s', 2)]);
    rows.push([name, '', 'repository MiB', fmt((hs?.repo_bytes ?? NaN) / (1 << 20)), fmt((rs?.repo_bytes ?? NaN) / (1 << 20)), fmt(ratio(hs?.repo_bytes ?? NaN, rs?.repo_bytes ?? NaN), 3)]);
    rows.push([name, '', 'peak RSS MB', ...metric('peak_rss_mb', 1)]);
    if (!hs || !rs) continue;
    // Judged on times (seconds, or seconds per MiB): hs/restic ≤ 1 when hotstandby is at least as fast.
    const speed = (what: string, h: number, r: number) => {
      const x = ratio(h, r);
      goals.push(atMost('backup', `${name}: ${what}`, x, 1.0, `${fmt(1 / x, 2)}× restic's speed`, '≥ 1.0× restic'));
    };
    speed('first backup', 1 / hs.first_mib_s, 1 / rs.first_mib_s);
    speed('unchanged re-run', hs.unchanged_s, rs.unchanged_s);
    speed('1 % changed re-run', hs.changed_1pct_s, rs.changed_1pct_s);
    speed('full restore', 1 / hs.restore_mib_s, 1 / rs.restore_mib_s);
    speed('single-file restore', hs.single_file_restore_s, rs.single_file_restore_s);
    const size = ratio(hs.repo_bytes, rs.repo_bytes);
    goals.push(atMost('backup', `${name}: repository size hs/restic`, size, 1.02, `${fmt(size, 3)}×`, '≤ 1.02× restic'));
    if (name === 'small') {
      const rss = ratio(hs.peak_rss_mb, rs.peak_rss_mb);
      goals.push(atMost('backup', `${name} (${s.files} files): peak RSS hs/restic`, rss, 1.0, `${fmt(rss, 2)}×`, '≤ 1.0× restic'));
    }
  }
  const flat = Object.fromEntries(
    Object.entries(sets).map(([name, s]) => [
      name,
      {
        files: s.files,
        bytes: s.bytes,
        ...Object.fromEntries(Object.entries(s.results.hotstandby ?? {}).filter(([k]) => k !== 'ops')),
        restic: Object.fromEntries(Object.entries(s.results.restic ?? {}).filter(([k]) => k !== 'ops')),
        ops: { hotstandby: s.results.hotstandby?.ops, restic: s.results.restic?.ops },
      },
    ]),
  );
  return [
    {
      id: 'backup',
      title: 'Backups: hotstandby against restic 0.14 (same data, same run)',
      table: markdownTable(['set', 'size', 'measure', 'hotstandby', 'restic 0.14', 'hs/restic'], rows),
      notes: [
        'Each operation is one process (hotstandby through dist/bench/backup-driver.js, the library the CLI uses; restic its CLI), local repositories in the temp dir, both tools on the same data: each step runs for both before the data changes. ' +
          `Every operation of either tool starts after an untimed sync (write-back only)${restoreCold() ? '; each restore (full and single-file) also after a drop of the page cache, so both read their repository from disk, as a restore long after its backup does (BENCH_RESTORE_CACHE=kept: not dropped)' : '; restores too (BENCH_RESTORE_CACHE=kept or not root: the page cache is not dropped before them)'}. Throughput = data-set size / wall time. Peak RSS = the highest VmHWM of any operation (polled every 20 ms). One run per tool; generation is not measured.`,
        restoreFsWanted() === 'own'
          ? 'Each restore (full and single-file, either tool) writes onto a fresh journaled ext4 of its own (a sparse image on a loop device, made and unmounted untimed): the target is not a directory a tool just deleted files from, whose freed inodes ext4 without a journal walks past on every create (bench/lib/restore-target.ts). BENCH_RESTORE_FS=shared restores into the temp dir instead.'
          : 'Restores write into the temp dir on its filesystem, deleted after each run (BENCH_RESTORE_FS=shared or not root): runs after mass deletions pay for ext4 inode allocation (bench/lib/restore-target.ts).',
      ],
      goals,
      load: load.stop(),
      data: flat,
      errors,
    },
  ];
}
