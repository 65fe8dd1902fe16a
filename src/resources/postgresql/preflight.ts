/**
 * The checks `hotstandby check-config` and start-up make for a postgresql resource, each failure
 * a message naming the problem and the key: the data directory (exists, owner, mode), the
 * programs, the port (valid, not taken by something else), the socket directory, and with the
 * server running the superuser connection, the replication role and the pg_hba.conf line that
 * lets the peer stream. Things that only cost speed (no wal_log_hints: a rejoin clones instead of
 * rewinding) are warnings in the log.
 */
import { constants } from 'node:fs';
import { access, readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Logger } from '../../ports/index.js';
import { resolveScriptUser } from '../../check/script-security.js';
import { replicationAllowed, type HbaRule } from './hba.js';
import { postmasterPid } from './server.js';
import { localEndpoint } from './server.js';
import type { PostgresqlSettings } from './settings.js';
import { sqlState, withSession, type Endpoint } from './sql.js';

export class PostgresqlConfigProblem extends Error {
  constructor(readonly key: string, message: string) {
    super(message);
    this.name = 'PostgresqlConfigProblem';
  }
}

const problem = (key: string, message: string): PostgresqlConfigProblem => new PostgresqlConfigProblem(key, message);

export interface PreflightOptions {
  readonly peerHost?: string;
  readonly log: Logger;
  readonly signal: AbortSignal;
  /** For tests: the expected owner; default settings.osUser from /etc/passwd. */
  readonly owner?: { uid: number; gid: number };
}

export async function preflight(s: PostgresqlSettings, options: PreflightOptions): Promise<void> {
  const owner = options.owner ?? (await resolveScriptUser(s.osUser).catch(() => {
    throw problem('osUser', `the system user "${s.osUser}" does not exist`);
  }));
  for (const program of ['pg_ctl', 'pg_basebackup', 'pg_rewind', 'pg_controldata', 'initdb']) {
    await access(join(s.binDir, program), constants.X_OK).catch(() => {
      throw problem('binDir', `${join(s.binDir, program)} is missing or not executable (Debian: apt-get install postgresql-15)`);
    });
  }
  await checkDataDir(s, owner);
  const socket = await stat(s.socketDir).catch(() => undefined);
  if (socket === undefined || !socket.isDirectory()) throw problem('socketDir', `${s.socketDir} does not exist or is not a directory`);
  if (socket.uid !== owner.uid && (socket.mode & 0o002) === 0) {
    throw problem('socketDir', `${s.socketDir} is not writable by ${s.osUser} (owned by uid ${socket.uid}, mode ${(socket.mode & 0o7777).toString(8)})`);
  }
  const running = (await postmasterPid(s.dataDir)) !== undefined;
  if (!running) {
    await checkPortFree(s.port);
    options.log.log('info', 'PostgreSQL is not running: connection, role and pg_hba.conf checks are made once it runs');
    return;
  }
  await checkServer(s, options);
}

async function checkDataDir(s: PostgresqlSettings, owner: { uid: number; gid: number }): Promise<void> {
  const dir = await stat(s.dataDir).catch(() => undefined);
  if (dir === undefined) return; // created empty at start: the node then clones (or initdbs with bootstrap: initdb)
  if (!dir.isDirectory()) throw problem('dataDir', `${s.dataDir} is not a directory`);
  if (dir.uid !== owner.uid) throw problem('dataDir', `${s.dataDir} is owned by uid ${dir.uid}, not by ${s.osUser} (uid ${owner.uid}): chown -R ${s.osUser} ${s.dataDir}`);
  const mode = dir.mode & 0o777;
  if (mode !== 0o700 && mode !== 0o750) throw problem('dataDir', `${s.dataDir} has mode ${mode.toString(8).padStart(4, '0')}; PostgreSQL requires 0700 or 0750`);
  const version = await readFile(join(s.dataDir, 'PG_VERSION'), 'utf8').catch(() => undefined);
  if (version !== undefined && version.trim() !== '15') {
    throw problem('dataDir', `${s.dataDir} holds a PostgreSQL ${version.trim()} cluster; binDir ${s.binDir} is PostgreSQL 15`);
  }
}

function checkPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') reject(problem('port', `port ${port} is in use by another process (PostgreSQL of this resource is not running)`));
      else resolve(); // e.g. EACCES for a low port as non-root: PostgreSQL will say more
    });
    server.listen(port, () => server.close(() => resolve()));
  });
}

async function checkServer(s: PostgresqlSettings, options: PreflightOptions): Promise<void> {
  const endpoint = localEndpoint(s);
  await withSession(endpoint, options.signal, async (session) => {
    const [role] = await session.query('SELECT rolreplication, rolcanlogin FROM pg_roles WHERE rolname = $1', [s.replicationUser]);
    if (role === undefined) {
      throw problem('replicationUser', `the role "${s.replicationUser}" does not exist: CREATE ROLE ${s.replicationUser} LOGIN REPLICATION PASSWORD '...'`);
    }
    if (role['rolreplication'] !== true || role['rolcanlogin'] !== true) {
      throw problem('replicationUser', `the role "${s.replicationUser}" needs LOGIN and REPLICATION: ALTER ROLE ${s.replicationUser} LOGIN REPLICATION`);
    }
    const [settings] = await session.query(`SELECT current_setting('wal_log_hints') AS hints, current_setting('data_checksums') AS sums, current_setting('listen_addresses') AS listen`);
    if (settings?.['hints'] !== 'on' && settings?.['sums'] !== 'on') {
      options.log.log('warn', 'Neither wal_log_hints nor data checksums: pg_rewind cannot work, an old primary rejoins with a full clone (set wal_log_hints = on)');
    }
    if (options.peerHost !== undefined) {
      const rows = await session.query(`SELECT line_number, type, database, user_name, address, netmask, auth_method FROM pg_hba_file_rules WHERE error IS NULL ORDER BY line_number`);
      const rules: HbaRule[] = rows.map((r) => ({
        lineNumber: Number(r['line_number']),
        type: String(r['type']),
        database: (r['database'] as string[] | null) ?? [],
        userName: (r['user_name'] as string[] | null) ?? [],
        address: (r['address'] as string | null) ?? null,
        netmask: (r['netmask'] as string | null) ?? null,
        authMethod: String(r['auth_method']),
      }));
      const verdict = replicationAllowed(rules, s.replicationUser, options.peerHost);
      if (!verdict.allowed) {
        throw problem('replicationUser', `the peer ${options.peerHost} cannot stream as ${s.replicationUser}: ${verdict.why} (add "host replication ${s.replicationUser} ${options.peerHost}/32 scram-sha-256" to pg_hba.conf)`);
      }
      const listen = String(settings?.['listen'] ?? '');
      const loopbackPeer = options.peerHost === '::1' || options.peerHost.startsWith('127.');
      if (!loopbackPeer && (listen === '' || listen === 'localhost' || listen === '127.0.0.1' || listen === '::1')) {
        throw problem('port', `listen_addresses is "${listen}": the peer ${options.peerHost} cannot connect (set listen_addresses = '*' or this node's address)`);
      }
    }
  }).catch((error: unknown) => {
    if (error instanceof PostgresqlConfigProblem || options.signal.aborted) throw error;
    if (notAnsweringNow(error)) {
      // A server killed a moment ago (its pid and socket file left behind), starting or stopping:
      // a state the resource handles at run time, not a configuration error to refuse a start on.
      options.log.log('warn', `PostgreSQL does not answer now (${(error as Error).message}): connection, role and pg_hba.conf checks are made once it runs`);
      return;
    }
    throw connectProblem(endpoint, s, error);
  });
}

/**
 * A connection refused on an existing socket, or a server starting up or shutting down (SQLSTATE
 * class 57, operator intervention). A socket file that does not exist (ENOENT) stays an error:
 * with a postmaster running, it means socketDir or port names the wrong place.
 */
export function notAnsweringNow(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (code === 'ECONNREFUSED' || code === 'ECONNRESET') return true;
  return ['57P01', '57P02', '57P03'].includes(sqlState(error) ?? '');
}

/** A failed connection as a message that says what to fix. */
export function connectProblem(endpoint: Endpoint, s: PostgresqlSettings, error: unknown): PostgresqlConfigProblem {
  const message = (error as Error).message;
  const where = `${endpoint.host}${endpoint.host.startsWith('/') ? ` (port ${endpoint.port})` : `:${endpoint.port}`}`;
  switch (sqlState(error)) {
    case '28P01':
      return problem('superuserPassword', `cannot connect as ${endpoint.user} at ${where}: wrong password (${message})`);
    case '28000':
      return problem('superuser', `cannot connect as ${endpoint.user} at ${where}: ${message} (the daemon runs as root: add "local all ${s.superuser} peer map=hotstandby" to pg_hba.conf and "hotstandby root ${s.superuser}" to pg_ident.conf)`);
    case '3D000':
      return problem('superuser', `cannot connect at ${where}: ${message}`);
    default:
      return problem('socketDir', `cannot connect as ${endpoint.user} at ${where}: ${message}`);
  }
}
