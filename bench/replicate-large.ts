/**
 * Large-file replication against rsync, alternating in one lab (root), for profiling and for
 * before/after comparisons on a shared machine: each round runs every variant once, in a rotating
 * order, on the same file over the same link. Variants: `rsync` (client in host a, daemon in b,
 * plain TCP), `hotstandby` (this build) and, with --base-dist DIR, `base` (another build's dist/,
 * say a copy of the previous commit's; its package root must hold build/Release/hsnet.node).
 *
 *   node dist/bench/replicate-large.js [--mib 256] [--rounds 3] [--delta] [--base-dist DIR]
 *        [--prof DIR] [--strace DIR] [--perf DIR] [--only hotstandby,rsync,rsync-fsync] [--pin]
 *
 * Without --delta: one new file (random bytes) onto an empty replica. With --delta: both sides
 * hold the file and the source gets a new version (100 bytes inserted at a quarter, 4 KiB
 * overwritten in the middle), as bench/rows/file-replication-delta.ts. Per run: seconds, MiB/s,
 * CPU seconds of the sending and receiving processes (rsync: the client through /usr/bin/time,
 * the daemon's tree), and the whole machine's busy CPU (softirq, where the link's packets go,
 * included) from /proc/stat. --prof: both hotstandby sides under `node --cpu-prof`; --strace:
 * both sides under `strace -c -f` (syscall counts and times); --perf: `perf record -a -g` of the
 * machine during each transfer. Each run also records the receiving host's TCP counters
 * (segments each way) and the machine's softirqs by kind. `rsync-fsync` (with --only) is rsync
 * --fsync, durable before its rename as the replica is. --pin: every tool's sending side on CPU
 * 0 and its receiving side on CPU 1 (taskset), as two machines would be. Unpinned, the scheduler
 * keeps both ends on one CPU of this 2-core VM most of the time (62–91 % of samples), and the bare
 * pipe took about 1.4x as long with both pinned to one CPU as with them apart (bench/tcp-pipe.ts,
 * docs/replication.md, 2026-12-05). The link keeps segmentation offload (bench/lib/large-file-link.ts);
 * BENCH_OFFLOADS=0 gives the one-segment link. One JSON line per run, then a summary with medians.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Lab, waitFor, type LabProcess } from '../src/lab/index.js';
import { nodeEntryCommand } from '../src/lab/node-entry.js';
import { onCpu, type Placement } from './lib/cpu-pin.js';
import { largeFileOffloads } from './lib/large-file-link.js';
import { clockTicksPerSecond, processTree } from './lib/process-sampler.js';
import { NODE_PROCESS, PORT, RSYNC_PORT, rsyncdReady, startRsyncd, treeCpuSeconds } from './rows/file-replication.js';
import { writeEdited, writeRandom } from './rows/file-replication-delta.js';

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}
const flag = (name: string) => process.argv.includes(`--${name}`);

const mib = Number(option('mib', '256'));
const rounds = Number(option('rounds', '3'));
const delta = flag('delta');
const baseDist = option('base-dist', '');
const prof = option('prof', '');
const straceDir = option('strace', '');
const perfDir = option('perf', '');
/** --pin: the sending side on CPU 0, the receiving side on CPU 1. */
const placement: Placement | undefined = flag('pin') ? { sender: 0, receiver: 1 } : undefined;
const hz = clockTicksPerSecond();

// rsync-fsync (only with --only): rsync --fsync, its receiver makes the file durable before the rename, as the replica does.
type Variant = 'rsync' | 'rsync-fsync' | 'hotstandby' | 'base';
const variants: Variant[] = (option('only', '') === '' ? ['rsync', 'hotstandby', ...(baseDist === '' ? [] : ['base' as const])] : (option('only', '').split(',') as Variant[]));

function nodeProcessUrl(variant: Variant): string {
  if (variant === 'base') return pathToFileURL(join(resolve(baseDist), 'src', 'replicate', 'node-process.js')).href;
  return NODE_PROCESS;
}

/** The machine's softirqs raised so far, by kind (/proc/softirqs, summed over the CPUs). */
function softirqCounts(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of readFileSync('/proc/softirqs', 'utf8').split('\n').slice(1)) {
    const [name, ...perCpu] = line.trim().split(/\s+/);
    if (name !== undefined && name !== '') counts[name.replace(':', '')] = perCpu.reduce((sum, n) => sum + Number(n), 0);
  }
  return counts;
}

/** The machine's busy and softirq CPU seconds so far (/proc/stat's aggregate line). */
function machineCpu(): { busy: number; softirq: number; steal: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n').find((l) => l.startsWith('cpu '))!;
  const [user, nice, system, idle, iowait, irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number) as number[];
  return { busy: (user! + nice! + system! + irq! + softirq!) / hz, softirq: softirq! / hz, steal: steal! / hz };
}

/**
 * The receiving host's TCP counters (its namespace's /proc/net/snmp and /proc/net/netstat, "Tcp:"
 * and "TcpExt:" lines): how many segments a transfer took each way, the retransmissions, and
 * where the kernel queued them (backlog, pruning), to compare the tools' per-packet work.
 */
async function tcpCounters(lab: Lab, host: string): Promise<Map<string, number>> {
  const { stdout } = await lab.exec(host, ['cat', '/proc/net/snmp', '/proc/net/netstat'], { timeoutMs: 10_000 });
  const counters = new Map<string, number>();
  const lines = stdout.split('\n');
  for (let i = 0; i + 1 < lines.length; i++) {
    const [names, values] = [lines[i]!.split(' '), lines[i + 1]!.split(' ')];
    if (names[0] !== values[0] || !/^(Tcp|TcpExt):$/.test(names[0]!) || names[1] === values[1]) continue;
    names.slice(1).forEach((name, k) => counters.set(name, Number(values[k + 1])));
  }
  return counters;
}

/** The counters each run reports, as the change between two snapshots: segments, retransmissions, queueing. */
const TCP_FIELDS = ['InSegs', 'OutSegs', 'RetransSegs', 'TCPBacklogCoalesce', 'TCPRcvCoalesce', 'TCPBacklogDrop', 'PruneCalled', 'RcvPruned', 'TCPRcvQDrop', 'DelayedACKs', 'TCPHPHits', 'TCPPureAcks', 'TCPHPAcks', 'TCPOFOQueue', 'TCPZeroWindowDrop', 'TCPToZeroWindowAdv', 'TCPWantZeroWindowAdv'];
function tcpDelta(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const name of TCP_FIELDS) if (after.has(name)) out[name] = after.get(name)! - (before.get(name) ?? 0);
  return out;
}

/** Copies `from` to `to` with its mtime (the replica then holds the same version as the source). */
async function copyWithTimes(from: string, to: string): Promise<void> {
  await copyFile(from, to);
  const st = statSync(from, { bigint: true });
  const { utimesSync } = await import('node:fs');
  utimesSync(to, Number(st.atimeNs) / 1e9, Number(st.mtimeNs) / 1e9);
}

interface Run {
  round: number;
  variant: Variant;
  seconds: number;
  mib_per_s: number;
  sender_cpu_s: number;
  receiver_cpu_s: number;
  machine_busy_s: number;
  softirq_s: number;
  steal_s: number;
  load1: number;
  /** hotstandby: seconds until the replica's partial file had its first / its last byte (the rest: the sync and the rename). */
  first_byte_s?: number;
  all_bytes_s?: number;
  /** The receiving host's TCP counters over the run (segments in and out, retransmissions, queueing). */
  receiver_tcp: Record<string, number>;
  /** Softirqs raised on the whole machine over the run, by kind (counts, not time). */
  softirqs: Record<string, number>;
}

function wrap(command: string[], side: string, round: number, variant: Variant): string[] {
  const [exe, ...rest] = command;
  const flags = prof === '' ? [] : ['--cpu-prof', `--cpu-prof-dir=${prof}`, `--cpu-prof-name=${variant}-${side}-${round}.cpuprofile`];
  const argv = [exe!, ...flags, ...rest];
  if (straceDir === '') return argv;
  // --strace-timeline: the file syscalls with times (where the start and the tail go) instead of counts.
  const what = flag('strace-timeline') ? ['-tt', '-e', 'trace=openat,pwrite64,pread64,sync_file_range,fsync,fdatasync,rename,renameat,renameat2,fchmod,fchown,utimensat,close,statx,read,write,writev'] : ['-c'];
  return ['strace', ...what, '-f', '-o', join(straceDir, `${variant}-${side}-${round}.txt`), ...argv];
}

async function main(): Promise<void> {
  for (const dir of [prof, straceDir, perfDir]) if (dir !== '') mkdirSync(dir, { recursive: true });
  const lab = await Lab.create({ hosts: ['a', 'b'], ipv6: false, offloads: largeFileOffloads() });
  const base = mkdtempSync(join(tmpdir(), 'hs-bench-large-'));
  const runs: Run[] = [];
  try {
    const host = lab.host('b').ipv4;
    const original = join(base, 'original.bin');
    await writeRandom(original, mib * 1024 * 1024);
    const edited = join(base, 'edited.bin');
    if (delta) await writeEdited(original, edited, mib * 1024 * 1024);
    const sent = delta ? edited : original;
    const size = statSync(sent).size;
    const rsyncDest = join(base, 'rsync-dest');
    mkdirSync(rsyncDest);
    // The daemon's per-transfer children inherit its CPU.
    const rsyncd = startRsyncd(lab, base, host, rsyncDest, placement?.receiver);
    await rsyncdReady(lab, host);
    for (let round = 0; round < rounds; round++) {
      const order = variants.map((_, i) => variants[(i + round) % variants.length]!);
      for (const variant of order) {
        const source = join(base, `source-${variant}-${round}`);
        const replica = join(base, `replica-${variant}-${round}`);
        mkdirSync(source);
        const staged = join(base, 'staged.bin');
        await copyFile(sent, staged);
        let seconds: number;
        let senderCpu: number;
        let receiverCpu: number;
        let phases: { first_byte_s: number; all_bytes_s: number } | undefined;
        const tcp0 = await tcpCounters(lab, 'b');
        const softirq0 = softirqCounts();
        const m0 = machineCpu();
        const load1 = loadavg()[0]!;
        if (variant === 'rsync' || variant === 'rsync-fsync') {
          rmSync(join(rsyncDest, 'big.bin'), { force: true });
          if (delta) await copyWithTimes(original, join(rsyncDest, 'big.bin'));
          renameSync(staged, join(source, 'big.bin'));
          const daemon0 = treeCpuSeconds(rsyncd.pid);
          const perf = await startPerf(variant, round);
          const m1 = machineCpu();
          const t0 = performance.now();
          const out = await lab.exec('a', onCpu(placement?.sender, ['/usr/bin/time', '-f', 'cpu %U %S', 'rsync', '-a', ...(variant === 'rsync-fsync' ? ['--fsync'] : []), join(source, 'big.bin'), `rsync://${host}:${RSYNC_PORT}/dest/`]), { timeoutMs: 600_000 });
          seconds = (performance.now() - t0) / 1000;
          const [, u, s] = /cpu ([\d.]+) ([\d.]+)/.exec(out.stderr) ?? [];
          senderCpu = Number(u) + Number(s);
          // The daemon's child exits after the transfer; its CPU lands in the daemon's cutime once reaped.
          await waitFor(() => processTree(rsyncd.pid).length === 1, { description: 'the rsync daemon child gone', timeoutMs: 10_000, intervalMs: 5 });
          receiverCpu = treeCpuSeconds(rsyncd.pid) - daemon0;
          await perf?.stop();
          Object.assign(m0, m1);
        } else {
          mkdirSync(replica);
          if (delta) {
            await copyWithTimes(original, join(replica, 'big.bin'));
            await copyWithTimes(original, join(source, 'big.bin'));
          }
          const keyHex = randomBytes(32).toString('hex');
          const url = nodeProcessUrl(variant);
          const server = lab.spawn('b', onCpu(placement?.receiver, wrap(nodeEntryCommand(url, 'runReplicaProcess', { root: replica, host, port: PORT, keyHex }), 'replica', round, variant)), { name: `replica-${variant}-${round}` });
          await server.waitForLine(/"listening"/, 30_000);
          const src = lab.spawn('a', onCpu(placement?.sender, wrap(nodeEntryCommand(url, 'runSourceProcess', { root: source, host, port: PORT, keyHex }), 'source', round, variant)), { name: `source-${variant}-${round}` });
          await src.waitForLine(/"rescan-done"/, 120_000);
          const sPid = src.pid;
          const rPid = server.pid;
          const s0 = treeCpuSeconds(sPid);
          const r0 = treeCpuSeconds(rPid);
          const target = join(replica, 'big.bin');
          const before = delta ? statSync(target).mtimeMs : 0;
          const perf = await startPerf(variant, round);
          const m1 = machineCpu();
          const t0 = performance.now();
          renameSync(staged, join(source, 'big.bin'));
          const newMtime = statSync(join(source, 'big.bin')).mtimeMs;
          let firstByte = NaN;
          let allBytes = NaN;
          await waitFor(
            () => {
              // The partial's progress: when the first and the last byte arrived (start-up and tail).
              if (Number.isNaN(allBytes)) {
                for (const name of readdirSync(replica)) {
                  if (!name.startsWith('.hotstandby-partial')) continue;
                  const length = statSync(join(replica, name), { throwIfNoEntry: false })?.size ?? 0;
                  if (length > 0 && Number.isNaN(firstByte)) firstByte = (performance.now() - t0) / 1000;
                  if (length >= size) allBytes = (performance.now() - t0) / 1000;
                }
              }
              if (!existsSync(target)) return false;
              const st = statSync(target);
              return st.size === size && (!delta || (st.mtimeMs === newMtime && st.mtimeMs !== before));
            },
            { description: 'the file on the replica', timeoutMs: 600_000, intervalMs: 5 },
          );
          seconds = (performance.now() - t0) / 1000;
          phases = { first_byte_s: firstByte, all_bytes_s: allBytes };
          senderCpu = treeCpuSeconds(sPid) - s0;
          receiverCpu = treeCpuSeconds(rPid) - r0;
          await perf?.stop();
          Object.assign(m0, m1);
          await Promise.all([stopSide(src), stopSide(server)]);
        }
        const m2 = machineCpu();
        const receiverTcp = tcpDelta(tcp0, await tcpCounters(lab, 'b'));
        const softirq2 = softirqCounts();
        const softirqs = Object.fromEntries(['NET_RX', 'NET_TX', 'BLOCK', 'TIMER', 'SCHED', 'RCU'].map((k) => [k, (softirq2[k] ?? 0) - (softirq0[k] ?? 0)]));
        const run: Run = {
          round,
          variant,
          seconds,
          mib_per_s: size / 1024 / 1024 / seconds,
          sender_cpu_s: senderCpu,
          receiver_cpu_s: receiverCpu,
          machine_busy_s: m2.busy - m0.busy,
          softirq_s: m2.softirq - m0.softirq,
          steal_s: m2.steal - m0.steal,
          load1,
          ...phases,
          receiver_tcp: receiverTcp,
          softirqs,
        };
        runs.push(run);
        console.log(JSON.stringify(run));
        rmSync(source, { recursive: true, force: true });
        rmSync(replica, { recursive: true, force: true });
      }
    }
  } finally {
    await lab.destroy();
    rmSync(base, { recursive: true, force: true });
  }
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const summary: Record<string, unknown> = { mib, rounds, delta };
  for (const variant of variants) {
    const mine = runs.filter((r) => r.variant === variant);
    summary[variant] = {
      seconds: median(mine.map((r) => r.seconds)),
      mib_per_s: median(mine.map((r) => r.mib_per_s)),
      sender_cpu_s: median(mine.map((r) => r.sender_cpu_s)),
      receiver_cpu_s: median(mine.map((r) => r.receiver_cpu_s)),
      machine_busy_s: median(mine.map((r) => r.machine_busy_s)),
      softirq_s: median(mine.map((r) => r.softirq_s)),
    };
  }
  const rsync = runs.filter((r) => r.variant === 'rsync');
  for (const variant of variants.filter((v) => v !== 'rsync')) {
    // Each round's ratio against that round's rsync run (rsync's time / ours: ≥ 1 is faster).
    const ratios = runs.filter((r) => r.variant === variant).map((r) => (rsync.find((x) => x.round === r.round)?.seconds ?? NaN) / r.seconds);
    summary[`${variant}_vs_rsync`] = { ratios, median: median(ratios) };
  }
  summary.load = loadavg();
  console.log(JSON.stringify({ summary }));
}

/** `perf record -a -g` of the whole machine during one transfer (--perf DIR). */
async function startPerf(variant: Variant, round: number): Promise<{ stop: () => Promise<void> } | undefined> {
  if (perfDir === '') return undefined;
  const child = spawn('perf', ['record', '-a', '-g', '-F', '499', '-o', join(perfDir, `${variant}-${round}.data`)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  await new Promise((r) => setTimeout(r, 500)); // perf's own start
  return {
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGINT');
      await exited;
      if (err.includes('rror')) console.error(err);
    },
  };
}

/**
 * SIGTERM to a side; under --strace to the program strace runs first (strace blocks fatal
 * signals when it starts the program itself, strace(1) -I), and strace exits with it.
 */
async function stopSide(side: LabProcess): Promise<void> {
  if (straceDir !== '') {
    for (const pid of processTree(side.pid).slice(1)) {
      try {
        process.kill(pid, 'SIGTERM');
      } catch {
        // gone already
      }
    }
  }
  await side.stop('SIGTERM');
}

await main();
