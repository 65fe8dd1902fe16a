/**
 * The local server and the peer as the driver sees them: pg_ctl start / stop (fast, immediate,
 * and SIGKILL of the postmaster when even that hangs), and one SQL round trip that tells what a
 * server is (PostgreSQL docs 9.27.4 "Recovery Control Functions", 28.2.3 pg_stat_replication,
 * pg_stat_wal_receiver).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { abortError, type PgPrograms } from './commands.js';
import type { LocalState, PeerState } from './eligibility.js';
import type { PostgresqlSettings } from './settings.js';
import { withSession, type Endpoint, type Session } from './sql.js';

export function hasCluster(dataDir: string): boolean {
  return existsSync(join(dataDir, 'PG_VERSION'));
}

export function isStandbyConfigured(dataDir: string): boolean {
  return existsSync(join(dataDir, 'standby.signal'));
}

/** The pid postmaster.pid names, live or not. */
async function lockedPid(dataDir: string): Promise<number | undefined> {
  const text = await readFile(join(dataDir, 'postmaster.pid'), 'utf8').catch(() => undefined);
  const pid = Number(text?.split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * The postmaster's pid from postmaster.pid, if the file names a live process. A zombie (a
 * kill -9'd postmaster its parent has not reaped yet) is not live: it serves nothing.
 */
export async function postmasterPid(dataDir: string): Promise<number | undefined> {
  const pid = await lockedPid(dataDir);
  return pid !== undefined && isAlive(pid) ? pid : undefined;
}

/** How long a start waits for a dead postmaster to be reaped (see awaitReaped). */
export const REAP_WAIT_MS = 5_000;

/**
 * Before a start: a dead postmaster that is still a zombie makes the new one refuse to start
 * (PostgreSQL's CreateLockFile sees its pid in postmaster.pid and in the socket's lock file
 * answer kill(pid, 0): "lock file ... already exists"). Waits until its parent reaps it, up to
 * `waitMs`. One never reaped (an init that does not reap orphans) holds nothing any more: no
 * port, no socket, no shared memory (PostgreSQL still refuses if its backends do); its two lock
 * files are then removed. Returns the zombie's pid when it had to wait, else undefined.
 */
export async function awaitReaped(s: PostgresqlSettings, signal: AbortSignal, waitMs = REAP_WAIT_MS): Promise<{ pid: number; reaped: boolean } | undefined> {
  const pid = await lockedPid(s.dataDir);
  if (pid === undefined || !isZombie(pid)) return undefined;
  const deadline = performance.now() + waitMs;
  while (isZombie(pid)) {
    if (signal.aborted) throw abortError(signal);
    if (performance.now() >= deadline) {
      await rm(join(s.dataDir, 'postmaster.pid'), { force: true });
      const socketLock = join(s.socketDir, `.s.PGSQL.${s.port}.lock`);
      if (Number((await readFile(socketLock, 'utf8').catch(() => '')).split('\n')[0]) === pid) {
        await rm(socketLock, { force: true });
      }
      return { pid, reaped: false };
    }
    await sleep(20);
  }
  return { pid, reaped: true };
}

function isZombie(pid: number): boolean {
  const stat = readStatSync(pid);
  return stat !== '' && /^[ZX]$/.test(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
}

/** A WAL location "16/B374D848" as a number of bytes. */
export function parseLsn(text: unknown): bigint {
  if (typeof text !== 'string' || !/^[0-9A-F]+\/[0-9A-F]+$/i.test(text)) return 0n;
  const [high, low] = text.split('/') as [string, string];
  return (BigInt(`0x${high}`) << 32n) + BigInt(`0x${low}`);
}

export function localEndpoint(s: PostgresqlSettings): Endpoint {
  return { host: s.socketDir, port: s.port, user: s.superuser, ...(s.superuserPassword !== undefined ? { password: s.superuserPassword } : {}) };
}

/** What the local server is now. */
export async function inspectLocal(s: PostgresqlSettings, signal: AbortSignal): Promise<LocalState> {
  if (!hasCluster(s.dataDir)) return { kind: 'empty' };
  if ((await postmasterPid(s.dataDir)) === undefined) {
    return { kind: 'stopped', timeline: 0, wasStandby: isStandbyConfigured(s.dataDir) };
  }
  try {
    return await withSession(localEndpoint(s), signal, describeServer);
  } catch (error) {
    if (signal.aborted) throw error;
    // The postmaster died while we connected (a kill -9 resets the session being opened): stopped.
    if ((await postmasterPid(s.dataDir)) === undefined) return { kind: 'stopped', timeline: 0, wasStandby: isStandbyConfigured(s.dataDir) };
    // Nobody listens on the socket: certainly down.
    const code = (error as NodeJS.ErrnoException).code;
    return { kind: 'unreachable', error: (error as Error).message, ...(code === 'ECONNREFUSED' || code === 'ENOENT' ? { refused: true } : {}) };
  }
}

/** One round trip: primary (timeline from the current WAL file name) or standby (receiver state). */
export async function describeServer(session: Session): Promise<Exclude<LocalState, { kind: 'empty' | 'stopped' | 'unreachable' }>> {
  const [row] = await session.query(`
    SELECT pg_is_in_recovery() AS recovery,
      CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_walfile_name(pg_current_wal_lsn()) END AS walfile,
      CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END AS lsn,
      (SELECT timeline_id FROM pg_control_checkpoint()) AS checkpoint_tli,
      (SELECT status FROM pg_stat_wal_receiver) AS receiver,
      (SELECT received_tli FROM pg_stat_wal_receiver) AS received_tli,
      (SELECT max(('x' || substr(name, 1, 8))::bit(32)::int) FROM pg_ls_waldir() WHERE name ~ '^[0-9A-F]{8}\.history$') AS history_tli,
      pg_last_wal_replay_lsn()::text AS replay, pg_last_wal_receive_lsn()::text AS receive`);
  if (row === undefined) throw new Error('Empty answer to the status query');
  if (row['recovery'] !== true) {
    return { kind: 'primary', timeline: parseInt(String(row['walfile']).slice(0, 8), 16), lsn: parseLsn(row['lsn']) };
  }
  // A standby's replay timeline is not exposed in PostgreSQL 15: the newest of its checkpoint's,
  // the receiver's and the newest timeline history file it holds (recovery_target_timeline =
  // latest follows that one).
  const timeline = Math.max(Number(row['checkpoint_tli'] ?? 0), Number(row['received_tli'] ?? 0), Number(row['history_tli'] ?? 0));
  return {
    kind: 'standby',
    timeline,
    streaming: row['receiver'] === 'streaming',
    replayLsn: parseLsn(row['replay']),
    receiveLsn: parseLsn(row['receive']),
  };
}

/** The peer: what it is, and how it sees this node's walsender. Never throws except on abort. */
export async function inspectPeer(endpoint: Endpoint | undefined, nodeName: string, signal: AbortSignal): Promise<PeerState> {
  if (endpoint === undefined) return { kind: 'unreachable', error: 'no peer address (set peer.host)' };
  try {
    return await withSession(endpoint, signal, async (session) => {
      const server = await describeServer(session);
      if (server.kind === 'standby') return { kind: 'standby', timeline: server.timeline };
      const [me] = await session.query(
        `SELECT state, sync_state, replay_lsn::text AS replay FROM pg_stat_replication WHERE application_name = $1 AND state IN ('streaming', 'catchup')
           ORDER BY state DESC LIMIT 1`,
        [nodeName],
      );
      return {
        kind: 'primary',
        timeline: server.timeline,
        lsn: server.lsn,
        ...(me !== undefined ? { myState: String(me['state']) } : {}),
        ...(me?.['state'] === 'streaming' ? { mySyncState: String(me['sync_state']), myReplayLsn: parseLsn(me['replay']) } : {}),
      };
    });
  } catch (error) {
    if (signal.aborted) throw error;
    return { kind: 'unreachable', error: (error as Error).message };
  }
}

/** pg_ctl's -D and -o: the data directory, the port and socket the driver connects to, configDir. */
export function serverOptions(s: PostgresqlSettings): string[] {
  const o = [`-p ${s.port}`, `-k ${s.socketDir}`];
  if (s.configDir !== undefined) o.push(`-c config_file=${join(s.configDir, 'postgresql.conf')}`);
  return ['-D', s.dataDir, '-o', o.join(' ')];
}

/** The server's log: pg_ctl start -l writes the postmaster's output there. */
export function serverLogPath(s: PostgresqlSettings): string {
  return join(s.dataDir, 'hotstandby-server.log');
}

/**
 * Starts the server; resolves 'ready' once it accepts connections. pg_ctl -w waits for a standby
 * until it accepts read-only connections (postmaster.pid status "ready", set when hot standby
 * begins), which a standby that cannot reach a consistent point never does. With `readyWithinMs`
 * the wait ends there and a server still starting resolves 'starting' (the caller watches its
 * recovery: recovery-progress.ts); without it pg_ctl waits up to an hour, as before.
 */
export async function startServer(s: PostgresqlSettings, programs: PgPrograms, signal: AbortSignal, readyWithinMs?: number): Promise<'ready' | 'starting'> {
  if ((await postmasterPid(s.dataDir)) !== undefined) return 'ready';
  await awaitReaped(s, signal);
  const seconds = readyWithinMs === undefined ? 3600 : Math.max(1, Math.ceil(readyWithinMs / 1000));
  try {
    // -l: the postmaster must not inherit our pipes (pg_ctl would then never "close").
    await programs.run('pg_ctl', ['start', '-w', '-t', String(seconds), '-l', serverLogPath(s), ...serverOptions(s)], signal);
    return 'ready';
  } catch (error) {
    // pg_ctl gave up waiting ("server did not start in time") and left the server running.
    if (readyWithinMs !== undefined && !signal.aborted && (await postmasterPid(s.dataDir)) !== undefined) return 'starting';
    throw error;
  }
}

/**
 * Stops the server. `immediate` is fencing: every backend gets SIGQUIT and exits without replying,
 * so no client whose commit waits for the standby is told it succeeded (PostgreSQL docs 26.2.8:
 * only a cancelled wait reports success). When pg_ctl does not finish within `graceMs` (a stopped
 * or hung postmaster), the postmaster is SIGKILLed; its backends then exit at their next
 * postmaster-death check, also without acknowledging.
 */
export async function stopServer(s: PostgresqlSettings, programs: PgPrograms, mode: 'fast' | 'immediate', signal: AbortSignal, graceMs = 10_000): Promise<void> {
  const pid = await postmasterPid(s.dataDir);
  if (pid === undefined) return;
  const attempt = new AbortController();
  const onAbort = (): void => attempt.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => attempt.abort(new Error(`pg_ctl stop -m ${mode} did not finish in ${graceMs} ms`)), graceMs);
  try {
    await programs.run('pg_ctl', ['stop', '-w', '-m', mode, '-t', String(Math.ceil(graceMs / 1000) + 1), '-D', s.dataDir], attempt.signal);
    return;
  } catch (error) {
    if (signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
    signal.removeEventListener('abort', onAbort);
  }
  // The postmaster's children first (they would exit at their next postmaster-death check anyway,
  // without acknowledging; killing them also ends idle sessions and read-only queries at once).
  for (const child of childrenOf(pid)) killProcess(child, 'SIGKILL');
  killProcess(pid, 'SIGKILL');
  while (isAlive(pid)) {
    if (signal.aborted) throw abortError(signal);
    await sleep(20);
  }
}

function killProcess(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Gone already.
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie is not alive for our purpose; /proc tells.
    return !/\) Z /.test(readStatSync(pid));
  } catch {
    return false;
  }
}

function readStatSync(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return '';
  }
}

/** Pids whose parent is `pid` (from /proc/<pid>/stat: "pid (comm) state ppid ..."). */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStatSync(Number(name));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[1]) === pid) out.push(Number(name));
  }
  return out;
}
