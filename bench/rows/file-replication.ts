/**
 * Row `file-replication` (issue 12): hotstandby's directory replication against lsyncd 2.2
 * (Debian; inotify + rsync to an rsync daemon) with its default settings and with `delay = 0`,
 * on the same workload in the lab (two namespaces, trees on the same disk):
 *
 * - lag of 200-byte files written at 100/s and 1,000/s, from the write to the file's appearance
 *   under its final name in the replica's tree (inotify there; the same measure for both; for
 *   hotstandby also to the replica's acknowledgement, which comes after its fsyncs — rsync does
 *   not fsync);
 * - time to converge N files (100,000; 10,000 with --quick) onto an empty replica, and again
 *   after a restart with both trees equal (hotstandby: digest comparison; lsyncd: its startup rsync);
 * - one large file, hotstandby (TLS) against plain rsync (no encryption) over the same link;
 * - CPU (user + system, children included) and the largest RSS of the replicating processes.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab, waitFor, type LabProcess } from '../../src/lab/index.js';
import { nodeEntryCommand } from '../../src/lab/node-entry.js';
import { fmt, markdownTable } from '../lib/format.js';
import { median } from '../stats.js';
import { onCpu } from '../lib/cpu-pin.js';
import { largeFileLinkNote, largeFileOffloads } from '../lib/large-file-link.js';
import { HostLoadWindow } from '../lib/machine.js';
import { ownFsWanted, sideRoots } from '../lib/own-fs.js';
import { clockTicksPerSecond, processTree } from '../lib/process-sampler.js';
import { atMost, errorText, type BenchContext, type Goal, type RowResult } from '../lib/row.js';
import { deltaRun, type DeltaRunResult } from './file-replication-delta.js';

export const PORT = 7400;
export const RSYNC_PORT = 8730;
export const NODE_PROCESS = new URL('../../src/replicate/node-process.js', import.meta.url).href;
const WORKLOAD = new URL('../replicate-workload.js', import.meta.url).href;

type Tool = 'hotstandby' | 'lsyncd' | 'lsyncd-delay0';
const TOOLS: readonly Tool[] = ['hotstandby', 'lsyncd', 'lsyncd-delay0'];

interface LagResult {
  ratePerSecond: number;
  files: number;
  missed: number;
  lag_p50_ms: number;
  lag_p99_ms: number;
  lag_max_ms: number | null;
  ack_p50_ms: number | null;
  ack_p99_ms: number | null;
  /** The replicating processes (both sides; with hotstandby the source shares its process with the writer). */
  cpu_s: number;
  rss_mb: number;
}

/** CPU seconds of a process tree, children that exited and were waited for included (lsyncd's rsyncs). */
export function treeCpuSeconds(root: number): number {
  const hz = clockTicksPerSecond();
  let ticks = 0;
  for (const pid of processTree(root)) {
    try {
      const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
      ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
    } catch {
      // gone
    }
  }
  return ticks / hz;
}

function treeRssMb(root: number): number {
  let kb = 0;
  for (const pid of processTree(root)) {
    try {
      const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      kb += Number(m?.[1] ?? 0);
    } catch {
      // gone
    }
  }
  return kb / 1024;
}

export class Usage {
  private readonly start: number[];
  private rss = 0;
  private readonly timer: NodeJS.Timeout;
  constructor(private readonly pids: number[]) {
    this.start = pids.map(treeCpuSeconds);
    this.timer = setInterval(() => (this.rss = Math.max(this.rss, pids.reduce((s, p) => s + treeRssMb(p), 0))), 500);
  }
  stop(): { cpu_s: number; rss_mb: number } {
    clearInterval(this.timer);
    this.rss = Math.max(this.rss, this.pids.reduce((s, p) => s + treeRssMb(p), 0));
    return { cpu_s: this.pids.reduce((s, p, i) => s + treeCpuSeconds(p) - this.start[i]!, 0), rss_mb: this.rss };
  }
}

function lsyncdConfig(source: string, host: string, delay: number | undefined): string {
  return [
    'settings { nodaemon = true, insist = true }',
    'sync {',
    '  default.rsync,',
    `  source = "${source}/",`,
    `  target = "rsync://${host}:${RSYNC_PORT}/dest/",`,
    ...(delay === undefined ? [] : [`  delay = ${delay},`]),
    '  rsync = { archive = true }',
    '}',
    '',
  ].join('\n');
}

/** The rsync daemon in host b; with `cpu`, it and the children it forks per transfer run on that CPU. */
export function startRsyncd(lab: Lab, base: string, host: string, dest: string, cpu?: number): LabProcess {
  const conf = join(base, `rsyncd-${Math.random().toString(16).slice(2)}.conf`);
  writeFileSync(conf, `use chroot = no\nport = ${RSYNC_PORT}\naddress = ${host}\n[dest]\npath = ${dest}\nread only = no\nuid = root\ngid = root\n`);
  return lab.spawn('b', onCpu(cpu, ['rsync', '--daemon', '--no-detach', `--config=${conf}`]), { name: 'rsyncd' });
}

export async function rsyncdReady(lab: Lab, host: string): Promise<void> {
  await waitFor(async () => (await lab.exec('a', ['rsync', `rsync://${host}:${RSYNC_PORT}/`], { timeoutMs: 5000 }).then(() => true, () => false)), { description: 'the rsync daemon', timeoutMs: 20_000, intervalMs: 200 });
}

/** The lag runs' layout: each node's tree on its own ext4 unless BENCH_OWN_FS=0 (bench/lib/own-fs.ts). */
export function lagOnOwnFs(argv: readonly string[] = process.argv, env: NodeJS.ProcessEnv = process.env): boolean {
  return ownFsWanted(argv, env, true);
}

/** One lag run in a fresh lab. */
async function lagRun(tool: Tool, rate: number, seconds: number): Promise<LagResult> {
  const lab = await Lab.create({ hosts: ['a', 'b'], ipv6: false });
  const base = mkdtempSync(join(tmpdir(), 'hs-bench-frep-'));
  let sides: ReturnType<typeof sideRoots> | undefined;
  try {
    // By default each node's tree on its own ext4, as on two machines (BENCH_OWN_FS=0: the shared
    // root). On this lab's shared, journal-less root ext4 a run right after many deletions (the
    // previous runs' trees, the 100,000-file resync) pays seconds of kernel CPU in inode
    // allocation, so the row would measure its own cleanup (bench/lib/own-fs.ts).
    sides = sideRoots(base, ['source', 'replica'], lagOnOwnFs());
    const [source, replica] = sides.roots as [string, string];
    // Every tool starts with no dirty pages: on ext4 (data=ordered) an fsync's journal commit
    // waits for the writeback of other files' dirty data, so a tool measured right after another
    // would pay for its writes (bench/replicate-lag.js at 1,000 files/s: p99 21 ms alone, 3.6 s
    // with 400 MB left dirty just before; docs/replication.md). lsyncd's rsync does not fsync.
    spawnSync('sync');
    const host = lab.host('b').ipv4;
    const keyHex = randomBytes(32).toString('hex');
    const drainMs = tool === 'lsyncd' ? 60_000 : 30_000;
    const work = { root: source, target: replica, ratePerSecond: rate, seconds, fileBytes: 200, drainMs };
    let usage: Usage;
    let writer;
    if (tool === 'hotstandby') {
      const server = lab.spawn('b', nodeEntryCommand(NODE_PROCESS, 'runReplicaProcess', { root: replica, host, port: PORT, keyHex }), { name: 'replica' });
      await server.waitForLine(/"listening"/, 15_000);
      writer = lab.spawn('a', nodeEntryCommand(WORKLOAD, 'runAppearLagWorkload', { ...work, hotstandby: { host, port: PORT, keyHex } }), { name: 'writer' });
      usage = new Usage([server.pid, writer.pid]);
    } else {
      startRsyncd(lab, base, host, replica);
      await rsyncdReady(lab, host);
      const conf = join(base, 'lsyncd.conf');
      writeFileSync(conf, lsyncdConfig(source, host, tool === 'lsyncd-delay0' ? 0 : undefined));
      const lsyncd = lab.spawn('a', ['lsyncd', conf], { name: 'lsyncd' });
      await lsyncd.waitForLine(/Startup of .* finished/, 30_000);
      writer = lab.spawn('a', nodeEntryCommand(WORKLOAD, 'runAppearLagWorkload', work), { name: 'writer' });
      usage = new Usage([lsyncd.pid]);
    }
    const line = await writer.waitForLine(/"result"/, (seconds + drainMs / 1000 + 120) * 1000);
    const measured = usage.stop();
    const result = (JSON.parse(line) as { result: Omit<LagResult, 'cpu_s' | 'rss_mb'> & { writer_cpu_s: number } }).result;
    return { ...result, ...measured };
  } finally {
    await lab.destroy();
    sides?.dispose();
    rmSync(base, { recursive: true, force: true });
  }
}

export function makeTree(root: string, files: number): void {
  const payload = Buffer.alloc(200, 0x62);
  const perDir = 1000;
  for (let d = 0; d * perDir < files; d++) {
    const dir = join(root, `d${d}`);
    mkdirSync(dir, { recursive: true });
    for (let i = 0; i < perDir && d * perDir + i < files; i++) writeFileSync(join(dir, `f${i}`), payload);
  }
}

function countFiles(root: string): number {
  let n = 0;
  for (const d of readdirSync(root)) if (!d.startsWith('.')) n += readdirSync(join(root, d)).filter((f) => !f.startsWith('.')).length;
  return n;
}

interface ResyncResult {
  files: number;
  /** Onto an empty replica. */
  copy_s: number;
  /** After a restart with both trees equal. */
  recheck_s: number;
  cpu_s: number;
  rss_mb: number;
}

/**
 * Full copy, then restart with equal trees, of `files` files; one lab per tool. The replica's tree
 * on a fresh ext4 of its own when `ownFs` (as the lag runs: on the shared journal-less root, the
 * copy right after another run's 100,000 deletions paid kernel CPU per create, bench/lib/own-fs.ts).
 */
export async function resyncRun(tool: 'hotstandby' | 'lsyncd', source: string, files: number, ownFs = lagOnOwnFs()): Promise<ResyncResult> {
  const lab = await Lab.create({ hosts: ['a', 'b'], ipv6: false });
  const base = mkdtempSync(join(tmpdir(), 'hs-bench-fresync-'));
  let side: ReturnType<typeof sideRoots> | undefined;
  try {
    side = sideRoots(base, ['replica'], ownFs);
    const replica = side.roots[0]!;
    // Each side's state directory (its content hashes survive the restart, as in the daemon).
    const state = { source: join(base, 'source-state'), replica: join(base, 'replica-state') };
    mkdirSync(state.source);
    mkdirSync(state.replica);
    const host = lab.host('b').ipv4;
    const keyHex = randomBytes(32).toString('hex');
    let cpu = 0;
    let rss = 0;
    const once = async (): Promise<number> => {
      const t0 = performance.now();
      let usage: Usage;
      if (tool === 'hotstandby') {
        const server = lab.spawn('b', nodeEntryCommand(NODE_PROCESS, 'runReplicaProcess', { root: replica, host, port: PORT, keyHex, stateDir: state.replica }), { name: 'replica' });
        await server.waitForLine(/"listening"/, 15_000);
        const src = lab.spawn('a', nodeEntryCommand(NODE_PROCESS, 'runSourceProcess', { root: source, host, port: PORT, keyHex, stateDir: state.source }), { name: 'source' });
        usage = new Usage([server.pid, src.pid]);
        await src.waitForLine(/"rescan-done","path":""/, 1_800_000);
        const seconds = (performance.now() - t0) / 1000;
        const u = usage.stop();
        cpu += u.cpu_s;
        rss = Math.max(rss, u.rss_mb);
        await src.stop();
        await server.stop();
        return seconds;
      }
      startRsyncd(lab, base, host, replica);
      await rsyncdReady(lab, host);
      const conf = join(base, 'lsyncd.conf');
      writeFileSync(conf, lsyncdConfig(source, host, 0));
      const t1 = performance.now();
      const lsyncd = lab.spawn('a', ['lsyncd', conf], { name: 'lsyncd' });
      usage = new Usage([lsyncd.pid]);
      await lsyncd.waitForLine(/Startup of .* finished/, 1_800_000);
      const seconds = (performance.now() - t1) / 1000;
      const u = usage.stop();
      cpu += u.cpu_s;
      rss = Math.max(rss, u.rss_mb);
      await lsyncd.stop();
      return seconds;
    };
    const copy = await once();
    const got = countFiles(replica);
    if (got !== files) throw new Error(`${tool}: ${got} of ${files} files on the replica after the full copy`);
    const recheck = await once();
    return { files, copy_s: copy, recheck_s: recheck, cpu_s: cpu, rss_mb: rss };
  } finally {
    await lab.destroy();
    side?.dispose();
    rmSync(base, { recursive: true, force: true });
  }
}

/**
 * One file of `mib` MiB, hotstandby and plain rsync to a daemon, `rounds` times on one lab (a new
 * file of fresh random bytes each round, the tool that goes first alternating), seconds each:
 * the medians, and every round in `runs`. A single run could be disturbed (a rsync that took 3.02 s
 * in one row against 0.57–0.60 s on its own right after, 2026-12-05), and the goal is read from
 * the medians. With `bandwidthLimit` (bytes/s), hotstandby only.
 */
export async function throughputRun(mib: number, bandwidthLimit?: number, rounds = 1): Promise<{ mib: number; hotstandby_s: number; rsync_s: number; ratio: number; runs: { hotstandby_s: number; rsync_s: number }[] }> {
  const lab = await Lab.create({ hosts: ['a', 'b'], ipv6: false, offloads: largeFileOffloads() });
  const base = mkdtempSync(join(tmpdir(), 'hs-bench-ftput-'));
  try {
    for (const dir of ['source', 'replica', 'rsync-dest']) mkdirSync(join(base, dir));
    const host = lab.host('b').ipv4;
    const keyHex = randomBytes(32).toString('hex');
    const server = lab.spawn('b', nodeEntryCommand(NODE_PROCESS, 'runReplicaProcess', { root: join(base, 'replica'), host, port: PORT, keyHex }), { name: 'replica' });
    await server.waitForLine(/"listening"/, 15_000);
    const src = lab.spawn('a', nodeEntryCommand(NODE_PROCESS, 'runSourceProcess', { root: join(base, 'source'), host, port: PORT, keyHex, bandwidthLimit }), { name: 'source' });
    await src.waitForLine(/"rescan-done"/, 15_000);
    if (bandwidthLimit === undefined) {
      startRsyncd(lab, base, host, join(base, 'rsync-dest'));
      await rsyncdReady(lab, host);
    }
    const runs: { hotstandby_s: number; rsync_s: number }[] = [];
    for (let round = 0; round < rounds; round++) {
      const name = `big-${round}.bin`;
      const file = join(base, name);
      const chunk = randomBytes(1024 * 1024);
      writeFileSync(file, Buffer.concat(Array.from({ length: mib }, () => chunk)));
      const size = statSync(file).size;
      const ours = async () => {
        const target = join(base, 'replica', name);
        const t0 = performance.now();
        renameSync(file, join(base, 'source', name));
        await waitFor(() => existsSync(target) && statSync(target).size === size, { description: 'the file on the replica', timeoutMs: 600_000, intervalMs: 10 });
        return (performance.now() - t0) / 1000;
      };
      const theirs = async () => {
        const from = existsSync(file) ? file : join(base, 'source', name);
        const t1 = performance.now();
        await lab.exec('a', ['rsync', '-a', from, `rsync://${host}:${RSYNC_PORT}/dest/`], { timeoutMs: 600_000 });
        return (performance.now() - t1) / 1000;
      };
      if (bandwidthLimit !== undefined) runs.push({ hotstandby_s: await ours(), rsync_s: NaN });
      else if (round % 2 === 0) runs.push({ hotstandby_s: await ours(), rsync_s: await theirs() });
      else {
        const rsync_s = await theirs();
        runs.push({ hotstandby_s: await ours(), rsync_s });
      }
    }
    const hotstandby_s = median(runs.map((r) => r.hotstandby_s));
    const rsync_s = bandwidthLimit === undefined ? median(runs.map((r) => r.rsync_s)) : NaN;
    return { mib, hotstandby_s, rsync_s, ratio: rsync_s / hotstandby_s, runs };
  } finally {
    await lab.destroy();
    rmSync(base, { recursive: true, force: true });
  }
}

export async function runFileReplicationRow(ctx: BenchContext): Promise<RowResult[]> {
  const load = new HostLoadWindow();
  const quick = ctx.mode === 'quick';
  const seconds = quick ? 5 : ctx.mode === 'long' ? 30 : 15;
  const resyncFiles = quick ? 10_000 : 100_000;
  const mib = quick ? 64 : 256;
  const errors: string[] = [];
  const lag: Record<Tool, LagResult[]> = { hotstandby: [], lsyncd: [], 'lsyncd-delay0': [] };
  for (const rate of [100, 1000]) {
    for (const tool of TOOLS) {
      ctx.log(`file-replication: ${tool} at ${rate} files/s for ${seconds} s`);
      try {
        lag[tool].push(await lagRun(tool, rate, seconds));
      } catch (error) {
        errors.push(`${tool} lag at ${rate}/s: ${errorText(error)}`);
      }
    }
  }
  const resync: Partial<Record<'hotstandby' | 'lsyncd', ResyncResult>> = {};
  const treeBase = mkdtempSync(join(tmpdir(), 'hs-bench-ftree-'));
  let tree: ReturnType<typeof sideRoots> | undefined;
  try {
    ctx.log(`file-replication: making ${resyncFiles} files`);
    tree = sideRoots(treeBase, ['source'], lagOnOwnFs());
    const source = tree.roots[0]!;
    makeTree(source, resyncFiles);
    for (const tool of ['hotstandby', 'lsyncd'] as const) {
      ctx.log(`file-replication: ${tool} converging ${resyncFiles} files`);
      try {
        resync[tool] = await resyncRun(tool, source, resyncFiles);
      } catch (error) {
        errors.push(`${tool} resync: ${errorText(error)}`);
      }
    }
  } finally {
    tree?.dispose();
    rmSync(treeBase, { recursive: true, force: true });
  }
  let throughput: Awaited<ReturnType<typeof throughputRun>> | undefined;
  try {
    ctx.log(`file-replication: one ${mib} MiB file, hotstandby and rsync`);
    throughput = await throughputRun(mib, undefined, quick ? 1 : 3);
  } catch (error) {
    errors.push(`throughput: ${errorText(error)}`);
  }
  let delta: DeltaRunResult | undefined;
  try {
    ctx.log(`file-replication: one ${mib} MiB file with a small change, hotstandby (delta) and rsync`);
    delta = await deltaRun(mib);
  } catch (error) {
    errors.push(`delta: ${errorText(error)}`);
  }
  // The bandwidth limit holds on a fast link: 16 MiB/s, a file of 4 s at that rate (or 16 s).
  const limit = 16 * 1024 * 1024;
  let limited: Awaited<ReturnType<typeof throughputRun>> | undefined;
  try {
    ctx.log('file-replication: one file under bandwidthLimit 16MiB/s');
    limited = await throughputRun(quick ? 64 : 256, limit);
  } catch (error) {
    errors.push(`bandwidth limit: ${errorText(error)}`);
  }
  const limitedRate = limited ? limited.mib / limited.hotstandby_s : undefined;
  const at = (tool: Tool, rate: number) => lag[tool].find((r) => r.ratePerSecond === rate);
  const rows = TOOLS.flatMap((tool) =>
    [100, 1000].map((rate) => {
      const r = at(tool, rate);
      return [tool, String(rate), fmt(r?.lag_p50_ms), fmt(r?.lag_p99_ms), fmt(r?.lag_max_ms), fmt(r?.ack_p99_ms), String(r?.missed ?? '–'), fmt(r?.cpu_s, 2), fmt(r?.rss_mb, 0)];
    }),
  );
  const resyncRows = (['hotstandby', 'lsyncd'] as const).map((tool) => {
    const r = resync[tool];
    return [tool === 'lsyncd' ? 'lsyncd (startup rsync)' : tool, String(r?.files ?? resyncFiles), fmt(r?.copy_s), fmt(r?.recheck_s), fmt(r?.cpu_s, 1), fmt(r?.rss_mb, 0)];
  });
  const table = [
    markdownTable(['replicator', 'files/s', 'lag p50 ms', 'lag p99 ms', 'max ms', 'ack p99 ms', 'missed', 'CPU s', 'RSS MB'], rows),
    '',
    markdownTable(['replicator', 'files', 'copy onto empty s', 'after restart s', 'CPU s', 'RSS MB'], resyncRows),
    '',
    markdownTable(['one file', 'hotstandby s', 'rsync s', 'hotstandby vs rsync'], [[`${mib} MiB`, fmt(throughput?.hotstandby_s, 2), fmt(throughput?.rsync_s, 2), fmt(throughput?.ratio, 2)]]),
    '',
    markdownTable(
      ['small change to one file', 'hotstandby s', 'rsync s', 'hotstandby vs rsync', 'hotstandby link KB', 'rsync link KB', 'RSS source / replica MB'],
      [[`${mib} MiB`, fmt(delta?.hotstandby_s, 2), fmt(delta?.rsync_s, 2), fmt(delta?.ratio, 2), fmt(delta && delta.hotstandby_link_bytes / 1024, 0), fmt(delta && delta.rsync_link_bytes / 1024, 0), delta ? `${fmt(delta.source_rss_mb, 0)} / ${fmt(delta.replica_rss_mb, 0)}` : '–']],
    ),
    markdownTable(['one file, bandwidthLimit 16MiB/s', 'seconds', 'MiB/s'], [[`${limited?.mib ?? '–'} MiB`, fmt(limited?.hotstandby_s, 2), fmt(limitedRate, 2)]]),
  ].join('\n');
  const h1000 = at('hotstandby', 1000);
  const goals: Goal[] = [
    atMost('file-replication', 'hotstandby lag p99 at 1,000 files/s', h1000?.lag_p99_ms ?? NaN, 50, `${fmt(h1000?.lag_p99_ms)} ms`, '≤ 50 ms'),
    atMost('file-replication', 'files missed (all runs)', TOOLS.reduce((s, t) => s + lag[t].reduce((x, r) => x + r.missed, 0), 0), 0, String(TOOLS.reduce((s, t) => s + lag[t].reduce((x, r) => x + r.missed, 0), 0)), '0'),
    { row: 'file-replication', what: 'large-file throughput vs rsync', target: '≥ 0.90', measured: fmt(throughput?.ratio, 2), met: throughput ? throughput.ratio >= 0.9 : null },
  ];
  const l1000 = at('lsyncd', 1000);
  const z1000 = at('lsyncd-delay0', 1000);
  return [
    {
      id: 'file-replication',
      title: 'File replication: hotstandby vs lsyncd 2.2 (default and delay = 0)',
      table,
      notes: [
        `200-byte files written at a fixed rate for ${seconds} s; lag from the write to the file under its final name in the replica's tree (inotify there), the same measure for every tool; ack = hotstandby's acknowledgement after its fsyncs (rsync does not fsync).`,
        'lsyncd 2.2 (Debian) to an rsync daemon in the other namespace; CPU includes the rsync processes it runs (children) — not the rsync daemon; hotstandby CPU is both sides (the source shares its process with the writer).',
        `Convergence: ${resyncFiles} files in ${Math.ceil(resyncFiles / 1000)} directories; "after restart" = both sides restarted with equal trees.`,
        lagOnOwnFs()
          ? 'Lag and convergence runs: each node\'s tree on its own fresh journaled ext4, as on two machines (the default; BENCH_OWN_FS=0 puts both on the shared root filesystem).'
          : 'Lag and convergence runs: both trees on the shared root filesystem (BENCH_OWN_FS=0). Where that is ext4 without a journal, creating files within 60 s of many deletions (earlier runs\' trees) costs kernel CPU per create and seconds of lag at 1,000 files/s; the default gives each node its own ext4 (docs/replication.md).',
        `Large file: hotstandby over TLS-PSK, rsync plain over its daemon protocol (no encryption); medians of ${throughput?.runs.length ?? 0} rounds on one lab (a fresh file each, the first tool alternating; every round under data.runs.throughput.runs).`,
        largeFileLinkNote(largeFileOffloads()),
        'Small change: both sides hold the file; 100 bytes inserted at a quarter, 4 KiB overwritten in the middle; hotstandby sends a delta (rsync\'s algorithm) and fsyncs, rsync -a does not fsync; link bytes = both directions on the source\'s interface.',
      ],
      goals,
      load: load.stop(),
      data: {
        lag_p50_ms: h1000?.lag_p50_ms ?? null,
        lag_p99_ms: h1000?.lag_p99_ms ?? null,
        resync_100k_s: resync.hotstandby?.copy_s ?? null,
        recheck_100k_s: resync.hotstandby?.recheck_s ?? null,
        throughput_vs_rsync: throughput?.ratio ?? null,
        delta_vs_rsync: delta?.ratio ?? null,
        delta_link_bytes: delta?.hotstandby_link_bytes ?? null,
        bandwidth_limit_mib_per_s: limit / 1024 / 1024,
        bandwidth_limited_mib_per_s: limitedRate ?? null,
        lsyncd: {
          lag_p50_ms: l1000?.lag_p50_ms ?? null,
          lag_p99_ms: l1000?.lag_p99_ms ?? null,
          resync_100k_s: resync.lsyncd?.copy_s ?? null,
          recheck_100k_s: resync.lsyncd?.recheck_s ?? null,
          delay0: { lag_p50_ms: z1000?.lag_p50_ms ?? null, lag_p99_ms: z1000?.lag_p99_ms ?? null },
        },
        resync_files: resyncFiles,
        lag_tree_fs: lagOnOwnFs() ? 'own-ext4' : 'shared',
        large_file_link: largeFileOffloads() ? 'offloads' : 'one-segment',
        runs: { lag, resync, throughput, delta },
      },
      errors,
    },
  ];
}
