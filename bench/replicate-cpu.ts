/**
 * CPU per replicated file, per side (issue 12): a replica process and a source process on
 * loopback, a writer of small files at a fixed rate in this process. CPU time (utime + stime of
 * each process, /proc) is counted from the first write to the last file's appearance on the
 * replica and divided by the files: a figure that means something on a loaded machine too,
 * unlike the lag. Prints one JSON line.
 *
 *   node dist/bench/replicate-cpu.js [--rate 1000] [--seconds 10] [--bytes 200] [--base /tmp] [--prof DIR]
 *   node dist/bench/replicate-cpu.js --resync 100000 [--memory] [--base /tmp]
 *
 * --prof runs both sides with `node --cpu-prof` and leaves the .cpuprofile files in DIR;
 * --node-flags a,b passes V8/Node flags to both sides; --child-log DIR appends each side's
 * stdout to DIR/source.log and DIR/replica.log (with --node-flags --trace-gc: the heap before
 * and after each collection). --commit-phases: the replica reports each group commit
 * (src/replicate/batch-commit.ts) and the line gains `commit_phases`: batches, files per batch,
 * p50 / p99 / max ms of the data sync and of the directory fsyncs, and the slowest batches (when
 * they started, relative to the first write): where the tail of the lag goes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, watch, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { nodeEntryCommand } from '../src/lab/node-entry.js';
import { clockTicksPerSecond } from './lib/process-sampler.js';

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}

/** [user, system] clock ticks of a process. */
function cpuTicks(pid: number): [number, number] {
  const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return [Number(f[11]), Number(f[12])];
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) / 1024;
}

function cpuPressure(): number | null {
  try {
    const m = /some avg10=([\d.]+)/.exec(readFileSync('/proc/pressure/cpu', 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

function start(args: string[], prof: string | undefined): { child: ChildProcess; lines: string[]; line: (re: RegExp, ms: number) => Promise<string> } {
  const [exe, ...rest] = args;
  const nodeFlags = option('node-flags', '');
  const flags = [...(prof === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${prof}`]), ...(nodeFlags === '' ? [] : nodeFlags.split(','))];
  const strace = option('strace', '');
  const argv = [...flags, ...rest];
  const child = strace === '' || !rest.join(' ').includes('runReplicaProcess') ? spawn(exe!, argv, { stdio: ['ignore', 'pipe', 'inherit'] }) : spawn('strace', ['-f', '-c', '-o', strace, exe!, ...argv], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  const childLog = option('child-log', '');
  const side = rest.join(' ').includes('runReplicaProcess') ? 'replica' : 'source';
  createInterface({ input: child.stdout! }).on('line', (l) => {
    lines.push(l);
    if (childLog !== '') appendFileSync(join(childLog, `${side}.log`), `${l}\n`);
    for (const w of [...waiters]) if (w.re.test(l)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(l);
    }
  });
  const line = (re: RegExp, ms: number) =>
    new Promise<string>((resolve, reject) => {
      const found = lines.find((l) => re.test(l));
      if (found !== undefined) return resolve(found);
      const timer = setTimeout(() => reject(new Error(`no line ${re} in ${ms} ms`)), ms);
      waiters.push({ re, resolve: (l) => (clearTimeout(timer), resolve(l)) });
    });
  return { child, lines, line };
}

/**
 * SIGTERM to a side and to its direct children, then its exit. Under --strace the side is strace,
 * which blocks fatal signals when it starts the program itself (strace(1), -I: 3 is the default
 * with -o FILE PROG): the program it traces gets the signal, and strace exits with it.
 */
async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  let traced: number[] = [];
  try {
    traced = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  } catch {
    // gone already
  }
  for (const pid of traced) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      // gone already
    }
  }
  child.kill('SIGTERM');
  await exited;
}

function quantile(sorted: number[], q: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** The replica's group commits (--commit-phases): sizes, phase quantiles, the slowest five. */
function phaseSummary(lines: string[]): Record<string, unknown> {
  const batches = lines.filter((l) => l.startsWith('{"commit"')).map((l) => (JSON.parse(l) as { commit: { files: number; dataMs: number; renameMs: number; dirMs: number } }).commit);
  const q = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    return [quantile(sorted, 0.5), quantile(sorted, 0.99), sorted[sorted.length - 1] ?? NaN].map((v) => Number(v.toFixed(1)));
  };
  const files = batches.reduce((n, b) => n + b.files, 0);
  const slowest = [...batches].sort((a, b) => b.dataMs + b.dirMs - (a.dataMs + a.dirMs)).slice(0, 5);
  return {
    batches: batches.length,
    files_per_batch: Number((files / Math.max(1, batches.length)).toFixed(2)),
    data_sync_ms_p50_p99_max: q(batches.map((b) => b.dataMs)),
    dir_fsync_ms_p50_p99_max: q(batches.map((b) => b.dirMs)),
    slowest: slowest.map((b) => ({ files: b.files, data_ms: Number(b.dataMs.toFixed(1)), dir_ms: Number(b.dirMs.toFixed(1)) })),
  };
}

/** The largest of each process.memoryUsage() field a side printed (--memory), MB. */
function memoryPeaks(lines: string[]): Record<string, number> {
  const peaks: Record<string, number> = {};
  for (const line of lines) {
    if (!line.startsWith('{"memory"')) continue;
    const usage = (JSON.parse(line) as { memory: Record<string, number> }).memory;
    for (const [key, value] of Object.entries(usage)) peaks[key] = Math.max(peaks[key] ?? 0, Math.round(value / 1048576));
  }
  return peaks;
}

/** `--resync N`: N files onto an empty replica, then both sides restarted with equal trees. `--memory`: memoryUsage() peaks per side. */
async function resync(files: number, prof: string | undefined, memory = process.argv.includes('--memory')): Promise<void> {
  const base = mkdtempSync(join(option('base', tmpdir()), 'hs-bench-rcpu-'));
  try {
    const source = join(base, 'source');
    const replica = join(base, 'replica');
    for (const d of [replica, join(base, 'ss'), join(base, 'rs')]) mkdirSync(d);
    const payload = Buffer.alloc(200, 0x62);
    for (let d = 0; d * 1000 < files; d++) {
      mkdirSync(join(source, `d${d}`), { recursive: true });
      for (let i = 0; i < 1000 && d * 1000 + i < files; i++) writeFileSync(join(source, `d${d}`, `f${i}`), payload);
    }
    // Old enough for the content-hash cache to keep (content-cache.ts: RACY_NS).
    await new Promise((r) => setTimeout(r, 2500));
    const keyHex = randomBytes(32).toString('hex');
    const nodeProcess = new URL('../src/replicate/node-process.js', import.meta.url).href;
    const hz = clockTicksPerSecond();
    const results: Record<string, unknown>[] = [];
    for (const phase of ['copy', 'restart', 'restart-again']) {
      const t0 = performance.now();
      const memoryEveryMs = memory ? 250 : 0;
      const server = start(nodeEntryCommand(nodeProcess, 'runReplicaProcess', { root: replica, host: '127.0.0.1', port: 0, keyHex, stateDir: join(base, 'rs'), memoryEveryMs }), prof);
      const port = (JSON.parse(await server.line(/"listening"/, 15_000)) as { listening: number }).listening;
      const s = start(nodeEntryCommand(nodeProcess, 'runSourceProcess', { root: source, host: '127.0.0.1', port, keyHex, stateDir: join(base, 'ss'), memoryEveryMs }), prof);
      let rss = { source: 0, replica: 0 };
      const timer = setInterval(() => (rss = { source: Math.max(rss.source, rssMb(s.child.pid!)), replica: Math.max(rss.replica, rssMb(server.child.pid!)) }), 250);
      await s.line(/"rescan-done","path":""/, 1_800_000);
      clearInterval(timer);
      const seconds = (performance.now() - t0) / 1000;
      const cpu = { source: cpuTicks(s.child.pid!).reduce((a, b) => a + b) / hz, replica: cpuTicks(server.child.pid!).reduce((a, b) => a + b) / hz };
      for (const child of [s.child, server.child]) await stop(child);
      const peaks = memory ? { memory_peak_mb: { source: memoryPeaks(s.lines), replica: memoryPeaks(server.lines) } } : {};
      results.push({ phase, seconds: Number(seconds.toFixed(2)), cpu_s: cpu, rss_mb: { source: Math.round(rss.source), replica: Math.round(rss.replica) }, ...peaks });
    }
    console.log(JSON.stringify({ files, results, load1: loadavg()[0], cpu_pressure_avg10: cpuPressure() }));
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const resyncFiles = Number(option('resync', '0'));
  if (resyncFiles > 0) return resync(resyncFiles, option('prof', '') || undefined);
  const rate = Number(option('rate', '1000'));
  const seconds = Number(option('seconds', '10'));
  const bytes = Number(option('bytes', '200'));
  const profArg = option('prof', '');
  const prof = profArg === '' ? undefined : profArg;
  if (prof) mkdirSync(prof, { recursive: true });
  const base = mkdtempSync(join(option('base', tmpdir()), 'hs-bench-rcpu-'));
  const source = join(base, 'source');
  const replica = join(base, 'replica');
  mkdirSync(source);
  mkdirSync(replica);
  const keyHex = randomBytes(32).toString('hex');
  const nodeProcess = new URL('../src/replicate/node-process.js', import.meta.url).href;
  const commitPhases = process.argv.includes('--commit-phases');
  const server = start(nodeEntryCommand(nodeProcess, 'runReplicaProcess', { root: replica, host: '127.0.0.1', port: 0, keyHex, ...(commitPhases && { commitPhases }) }), prof);
  const src = { child: undefined as ChildProcess | undefined };
  try {
    const port = (JSON.parse(await server.line(/"listening"/, 15_000)) as { listening: number }).listening;
    const s = start(nodeEntryCommand(nodeProcess, 'runSourceProcess', { root: source, host: '127.0.0.1', port, keyHex }), prof);
    src.child = s.child;
    await s.line(/"rescan-done","path":""/, 30_000);
    const pids = { source: s.child.pid!, replica: server.child.pid! };
    const written = new Map<string, number>();
    const appeared: number[] = [];
    let t0 = performance.now();
    // When the slow files were written (s after the first write, 0.1 s steps): one stall or many.
    const slowAt = new Set<number>();
    const watcher = watch(replica, (_e, name) => {
      if (typeof name !== 'string') return;
      const at = written.get(name);
      if (at === undefined) return;
      written.delete(name);
      const lag = performance.now() - at;
      appeared.push(lag);
      if (lag > 100) slowAt.add(Number(((at - t0) / 1000).toFixed(1)));
    });
    const payload = Buffer.alloc(bytes, 0x61);
    const total = rate * seconds;
    const cpu0 = { source: cpuTicks(pids.source), replica: cpuTicks(pids.replica) };
    const load0 = loadavg()[0]!;
    const pressure0 = cpuPressure();
    let rss = { source: 0, replica: 0 };
    const rssTimer = setInterval(() => (rss = { source: Math.max(rss.source, rssMb(pids.source)), replica: Math.max(rss.replica, rssMb(pids.replica)) }), 250);
    t0 = performance.now();
    let n = 0;
    // The writer's own calls: the appearances are timed on this thread, so a write that blocks
    // here delays every timestamp behind it (the lag then shows the source's filesystem).
    const writeMs: number[] = [];
    await new Promise<void>((resolve) => {
      const tick = () => {
        const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
        for (; n < due; n++) {
          const name = `f${n}`;
          const before = performance.now();
          written.set(name, before);
          writeFileSync(join(source, name), payload);
          writeMs.push(performance.now() - before);
        }
        if (n >= total) resolve();
        else setTimeout(tick, 2);
      };
      tick();
    });
    const deadline = performance.now() + 120_000;
    let checked = performance.now();
    while (written.size > 0 && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
      // fs.watch may drop events under load (its queue overflows): a file there is not missed.
      if (performance.now() - checked < 2000) continue;
      checked = performance.now();
      for (const [name, at] of written) if (performance.now() - at > 2000 && existsSync(join(replica, name))) written.delete(name);
    }
    const elapsed = (performance.now() - t0) / 1000;
    // The acknowledgements trail the appearance by the directory fsync: let them land.
    await new Promise((r) => setTimeout(r, 300));
    const hz = clockTicksPerSecond();
    const used = (pid: number, before: [number, number]) => cpuTicks(pid).map((t, i) => (t - before[i]!) / hz) as [number, number];
    const [su, ss] = used(pids.source, cpu0.source);
    const [ru, rs] = used(pids.replica, cpu0.replica);
    const perFile = (s: number) => Number(((s * 1000) / total).toFixed(3));
    clearInterval(rssTimer);
    watcher.close();
    appeared.sort((a, b) => a - b);
    writeMs.sort((a, b) => a - b);
    console.log(
      JSON.stringify({
        rate,
        seconds,
        bytes,
        files: total,
        missed: written.size,
        elapsed_s: Number(elapsed.toFixed(2)),
        source_cpu_ms_per_file: perFile(su + ss),
        replica_cpu_ms_per_file: perFile(ru + rs),
        user_sys_ms_per_file: { source: [perFile(su), perFile(ss)], replica: [perFile(ru), perFile(rs)] },
        lag_p50_ms: Number(quantile(appeared, 0.5).toFixed(1)),
        lag_p99_ms: Number(quantile(appeared, 0.99).toFixed(1)),
        writer_write_ms_p99_max: [Number(quantile(writeMs, 0.99).toFixed(1)), Number((writeMs[writeMs.length - 1] ?? 0).toFixed(1))],
        slow_files_written_at_s: [...slowAt].sort((a, b) => a - b),
        rss_mb: { source: Math.round(rss.source), replica: Math.round(rss.replica) },
        load1: [load0, loadavg()[0]],
        cpu_pressure_avg10: [pressure0, cpuPressure()],
        ...(commitPhases && { commit_phases: phaseSummary(server.lines) }),
      }),
    );
  } finally {
    for (const child of [src.child, server.child]) {
      if (child === undefined || child.exitCode !== null) continue;
      await stop(child);
    }
    rmSync(base, { recursive: true, force: true });
  }
}

await main();
