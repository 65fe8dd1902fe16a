/**
 * The backup worker: a child process of the daemon that does everything that touches a
 * repository (runs, verification, listing, browsing, restores, downloads), so that chunking,
 * hashing, compression, encryption and the file system reads never share the daemon's event loop
 * or its libuv thread pool with the VRRP timers (worker-client.ts says why a process and not a
 * thread). Started by worker-client.ts as `node -e "import(…).then((m) => m.workerMain())"`;
 * requests and answers are protocol.ts's messages over Node's IPC channel. When the channel
 * closes (the daemon died or stopped) the worker exits: a run's lock is left for restic's
 * stale-lock rules (this host, a dead pid) and the peer's takeover (peer-locks.ts).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { lstat, mkdir, readdir, readFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join } from 'node:path';
import type { BackupRepositoryConfig } from '../../config/backups.js';
import { backup } from '../archiver.js';
import { acquireLock, withLock } from '../lock.js';
import { formatGoTime, goTimeToNs } from '../repo/go-json.js';
import { Repository, whoAmI } from '../repo/repository.js';
import type { Snapshot } from '../repo/snapshot.js';
import { RestorePool } from '../restore-pool.js';
import { Restorer } from '../restorer.js';
import { findSnapshot, loadSnapshots } from '../snapshots.js';
import { removeHostLocks } from './peer-locks.js';
import { jobTag, type JobSpec, Progress, RunResult, SnapshotInfo, UNREADABLE_LISTED, VerifyResult, WorkerMessage, WorkerRequest } from './protocol.js';
import { findNode, listDirectory, NoSuchPathError, pathComponents, sizeBelow } from './snapshot-tree.js';
import { streamSnapshot } from './stream-snapshot.js';
import { JOB_VERBS } from './verbs.js';
import { verifySample } from './verify-sample.js';

const send = (message: WorkerMessage) => process.send?.(message);
const PROGRESS_MS = 500;

/** restic reads a password file whole and trims white space around it. */
async function openRepository(r: BackupRepositoryConfig): Promise<Repository> {
  let password: string;
  try {
    password = (await readFile(r.passwordFile, 'utf8')).trim();
  } catch (err) {
    throw new Error(`Cannot read the password file ${r.passwordFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  return Repository.open(JOB_VERBS.backend(r), password);
}

const timeMs = (s: Snapshot) => Number(goTimeToNs(s.time) / 1_000_000n);

/** Bytes this process has read (rchar of /proc/self/io): a run's progress without touching the archiver. */
function bytesReadSoFar(): number {
  try {
    return Number(/rchar: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

/** The size of the regular files below the paths (the progress's total), scanned beside the run. */
async function scanSize(paths: string[]): Promise<number> {
  let total = 0;
  const visit = async (p: string): Promise<void> => {
    const st = await lstat(p).catch(() => undefined);
    if (st?.isFile()) total += st.size;
    else if (st?.isDirectory()) for (const e of await readdir(p).catch(() => [])) await visit(join(p, e));
  };
  for (const p of paths) await visit(p);
  return total;
}

function progressReporter(id: number, phase: string, total: () => number | undefined): () => void {
  const start = bytesReadSoFar();
  const timer = setInterval(() => {
    const t = total();
    send({ type: 'progress', id, progress: { bytes: bytesReadSoFar() - start, phase, ...(t !== undefined ? { total: t } : {}) } });
  }, PROGRESS_MS);
  return () => clearInterval(timer);
}

/** The source command, started here so that it dies with a killed worker (same process group). */
function runSource(source: NonNullable<JobSpec['stdin']>): { stdout: AsyncIterable<Uint8Array>; finish: () => Promise<void> } {
  const [program, ...args] = source.command;
  const child = spawn(program!, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(source.runAs ?? {}) });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (s: string) => (stderr = (stderr + s).slice(-2000)));
  const exited = new Promise<void>((resolve, reject) => {
    child.on('error', (err) => reject(new Error(`The source command ${program} could not start: ${err.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`The source command ${program} failed (${signal ?? `exit ${code}`}): ${stderr.trim().split('\n').slice(-3).join(' / ') || 'no message'}; no snapshot written`));
    });
  });
  exited.catch(() => undefined);
  // Read through a pipe at once: child_process discards (resumes) the output of a child that
  // exits while nobody listens yet, and the index is still loading then. The pipe's backpressure
  // keeps what waits here bounded.
  const stdout = new PassThrough({ highWaterMark: 4 << 20 });
  child.stdout.pipe(stdout);
  return { stdout, finish: () => exited };
}

async function run(id: number, job: JobSpec, index: number): Promise<RunResult> {
  const config = job.repositories[index]!;
  if (job.excludes.length > 0 && !JOB_VERBS.excludes) throw new Error('Exclude patterns are not supported by this build');
  const repo = await openRepository(config);
  const peerLocksRemoved = job.clearLocksOf ? await removeHostLocks(repo, job.clearLocksOf) : 0;
  const release = await acquireLock(repo, false);
  let scanned: number | undefined;
  const stop = progressReporter(id, 'backup', () => scanned);
  try {
    const tags = [jobTag(job.name), ...job.tags];
    let result: RunResult;
    if (job.stdin) {
      const source = runSource(job.stdin);
      const r = await streamSnapshot(repo, source.stdout, { filename: job.stdin.filename, tags, finish: source.finish });
      result = { repo: config.repo, snapshot: r.id, time: timeMs(r.snapshot), filesNew: 1, filesUnchanged: 0, bytesRead: r.size, bytesAdded: r.bytesStored, retention: '', peerLocksRemoved };
    } else {
      void scanSize(job.paths).then((n) => (scanned = n));
      const r = await backup(repo, { paths: job.paths, tags, programVersion: 'hotstandby', ...(job.excludes.length ? { excludes: job.excludes } : {}) });
      const s = r.stats;
      result = { repo: config.repo, snapshot: r.id, time: timeMs(r.snapshot), filesNew: s.files - s.unchangedFiles, filesUnchanged: s.unchangedFiles, bytesRead: s.bytesRead, bytesAdded: s.bytesStored, retention: '', peerLocksRemoved };
      if (r.errors.length) result.unreadable = { count: r.errors.length, entries: r.errors.slice(0, UNREADABLE_LISTED).map((e) => e.message) };
    }
    await release();
    result.retention = await applyRetention(repo, job);
    return result;
  } finally {
    stop();
    await release().catch(() => undefined);
  }
}

async function applyRetention(repo: Repository, job: JobSpec): Promise<string> {
  if (!job.retention) return 'no retention configured';
  if (!JOB_VERBS.forget) return 'retention not applied: forget is not in this build';
  const forget = JOB_VERBS.forget;
  const retention = job.retention;
  return withLock(repo, true, async () => {
    const r = await forget(repo, retention, jobTag(job.name));
    const p = r.pruned;
    return `retention: ${r.removed} snapshots forgotten, ${r.kept} kept${p ? `, pruned (${p.packsDeleted} packs deleted, ${p.packsRepacked} repacked${p.blobsCompressed ? `, ${p.blobsCompressed} blobs compressed` : ''})` : ''}`;
  });
}

async function latestOf(repo: Repository, tag: string): Promise<Snapshot | undefined> {
  const all = await loadSnapshots(repo);
  return all.filter((e) => e.snapshot.tags?.includes(tag)).at(-1)?.snapshot;
}

async function verify(id: number, job: JobSpec, readDataSubset: string, sampleFiles: number): Promise<VerifyResult[]> {
  const out: VerifyResult[] = [];
  for (const config of job.repositories) {
    const repo = await openRepository(config);
    const all = (await loadSnapshots(repo)).filter((e) => e.snapshot.tags?.includes(jobTag(job.name)));
    const latest = all.at(-1);
    const result: VerifyResult = { repo: config.repo, snapshot: latest?.id ?? null, sampled: 0, compared: 0, changedSince: 0, mismatches: [], check: '' };
    send({ type: 'progress', id, progress: { bytes: 0, phase: `verify ${config.repo}` } });
    await withLock(repo, false, async () => {
      if (latest) {
        await repo.loadIndex();
        Object.assign(result, await verifySample(repo, latest.snapshot.tree, sampleFiles, !job.stdin));
      }
    });
    const check = JOB_VERBS.check;
    if (check) {
      const c = await withLock(repo, true, () => check(repo, readDataSubset));
      result.check = c.errors.length === 0 ? `check --read-data-subset ${readDataSubset}: no errors` : `check --read-data-subset ${readDataSubset}: ${c.errors.join('; ')}`;
      result.mismatches.push(...c.errors);
    } else result.check = 'check --read-data-subset not run: check is not in this build';
    out.push(result);
  }
  return out;
}

function snapshotInfo(id: string, s: Snapshot): SnapshotInfo {
  return { id, time: formatGoTime(s.time), hostname: s.hostname ?? '', paths: s.paths, tags: s.tags ?? [] };
}

/** Opened repositories of the long-lived reader worker (opening costs an scrypt), by all of their configuration. */
const opened = new Map<string, Promise<Repository>>();
function cachedRepository(r: BackupRepositoryConfig): Promise<Repository> {
  const key = JSON.stringify([r.repo, r.passwordFile, r.sftpCommand ?? null, r.requireMount ?? null]);
  let repo = opened.get(key);
  if (!repo) {
    repo = openRepository(r);
    opened.set(key, repo);
    repo.catch(() => opened.delete(key));
  }
  return repo;
}

async function restoreTo(id: number, r: BackupRepositoryConfig, snapshot: string, path: string, target: string): Promise<{ restored: string; bytes: number; files: number }> {
  if (!isAbsolute(target)) throw new RangeError(`The restore target "${target}" must be an absolute path`);
  const repo = await cachedRepository(r);
  const { snapshot: s } = await findSnapshot(repo, snapshot);
  await repo.loadIndex();
  const wanted = `/${pathComponents(path).join('/')}`;
  const node = await findNode(repo, s.tree, wanted);
  if (node === undefined) throw new RangeError('Give a file or directory to restore, not the whole snapshot');
  const total = await sizeBelow(repo, node);
  const destination = join(target, basename(wanted));
  const restorer = await withLock(repo, false, async () => {
    // File contents go to the restore threads, as in `hotstandby backup restore` (restore-pool.ts;
    // started at the first blob too large to restore inline, so a single small file starts none).
    const pool = repo.opensInWorkers ? new RestorePool(repo.key, repo.backend) : undefined;
    const restorer = new Restorer(repo, { target, select: (at) => ({ restore: at === wanted || at.startsWith(`${wanted}/`), descend: false }) }, pool);
    const timer = setInterval(() => send({ type: 'progress', id, progress: { bytes: restorer.stats.bytesWritten, total, files: restorer.stats.files, phase: 'restore' } }), PROGRESS_MS);
    try {
      await mkdir(target, { recursive: true });
      // The one entry, from its parent's tree, selected by its path in the snapshot (the restorer's
      // --include mechanism): it lands at TARGET/NAME.
      const parent = dirname(wanted) === '/' ? undefined : await findNode(repo, s.tree, dirname(wanted));
      await restorer.restoreTree(parent?.subtree ?? s.tree, target, parent ? dirname(wanted) : '');
      return restorer;
    } finally {
      clearInterval(timer);
      await pool?.close();
    }
  });
  send({ type: 'progress', id, progress: { bytes: restorer.stats.bytesWritten, total, files: restorer.stats.files, phase: 'restore' } });
  return { restored: destination, bytes: restorer.stats.bytesWritten, files: restorer.stats.files };
}

const acks = new Map<number, () => void>();

async function download(id: number, r: BackupRepositoryConfig, snapshot: string, path: string): Promise<{ size: number }> {
  const repo = await cachedRepository(r);
  const { snapshot: s } = await findSnapshot(repo, snapshot);
  await repo.loadIndex();
  const node = await findNode(repo, s.tree, path);
  if (node === undefined || node.type !== 'file') throw new NoSuchPathError(`${path} is ${node ? `a ${node.type}` : 'the snapshot root'}, not a file: restore a directory to a path instead`);
  send({ type: 'progress', id, progress: { bytes: 0, total: node.size ?? 0, phase: 'download' } });
  let size = 0;
  for (const blob of node.content ?? []) {
    const data = await repo.loadBlob('data', blob);
    size += data.length;
    const acked = new Promise<void>((resolve) => acks.set(id, resolve));
    send({ type: 'chunk', id, data });
    await acked; // the daemon took it: flow control, so a slow browser never piles bytes up in the daemon
  }
  acks.delete(id);
  return { size };
}

async function handle(req: WorkerRequest): Promise<unknown> {
  switch (req.op) {
    case 'run':
      return run(req.id, req.job, req.repoIndex);
    case 'verify':
      return verify(req.id, req.job, req.readDataSubset, req.sampleFiles);
    case 'latest': {
      // The oldest of the repositories' latest snapshots: the job is done only when all have it.
      let oldest: number | null | undefined;
      for (const r of req.repositories) {
        const s = await latestOf(await cachedRepository(r), req.tag);
        const t = s ? timeMs(s) : null;
        oldest = oldest === undefined ? t : t === null || oldest === null ? null : Math.min(oldest, t);
      }
      return oldest ?? null;
    }
    case 'snapshots': {
      const all = await loadSnapshots(await cachedRepository(req.repository));
      return all.filter((e) => req.tag === undefined || e.snapshot.tags?.includes(req.tag)).map((e) => snapshotInfo(e.id, e.snapshot));
    }
    case 'tree': {
      const repo = await cachedRepository(req.repository);
      const { id, snapshot } = await findSnapshot(repo, req.snapshot);
      await repo.loadIndex();
      return { snapshot: snapshotInfo(id, snapshot), path: req.path, entries: await listDirectory(repo, snapshot.tree, req.path) };
    }
    case 'restore':
      return restoreTo(req.id, req.repository, req.snapshot, req.path, req.target);
    case 'download':
      return download(req.id, req.repository, req.snapshot, req.path);
    case 'release-locks': {
      const host = whoAmI().hostname;
      const removed: { repo: string; locks: number }[] = [];
      for (const r of req.repositories) removed.push({ repo: r.repo, locks: await removeHostLocks(await cachedRepository(r), host, req.pid) });
      return removed;
    }
  }
}

export function workerMain(): void {
  process.on('message', (message: WorkerRequest | { op: 'ack'; id: number }) => {
    if (message.op === 'ack') return acks.get(message.id)?.();
    handle(message).then(
      (result) => send({ type: 'done', id: message.id, result }),
      (err: unknown) => send({ type: 'failed', id: message.id, error: err instanceof Error ? err.message : String(err), name: err instanceof Error ? err.name : 'Error' }),
    );
  });
  // The daemon is gone: so is the reason to work.
  process.on('disconnect', () => process.exit(70));
}
