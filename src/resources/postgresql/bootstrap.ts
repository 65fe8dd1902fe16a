/**
 * The first primary of a new pair when `bootstrap: initdb` and the data directory is empty:
 * initdb, then what a pair needs (PostgreSQL docs 21.1 pg_hba.conf, 21.2 pg_ident.conf, 27.2.5
 * streaming replication): the daemon (root) may connect locally as the superuser through a peer
 * map, the peer may stream and rewind with passwords, the server listens on all addresses.
 */
import { appendFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { PgPrograms, RunAs } from './commands.js';
import { editAutoConfFile, replaceFile } from './conf-files.js';
import { PAIR_MARK, pairHbaLines } from './pair-hba.js';
import { initdb, keptWal } from './copy.js';
import type { PostgresqlSettings } from './settings.js';
import { identifier, literal, type Session } from './sql.js';

export async function initdbForPair(s: PostgresqlSettings, peerHost: string | undefined, programs: PgPrograms, owner: RunAs, signal: AbortSignal): Promise<void> {
  await initdb(s, programs, owner, signal);
  const hba = join(s.dataDir, 'pg_hba.conf');
  const old = await readFile(hba, 'utf8');
  await replaceFile(hba, `${PAIR_MARK}\n${pairHbaLines(s, peerHost).join('\n')}\n\n${old}`, owner);
  await appendFile(join(s.dataDir, 'pg_ident.conf'), `hotstandby root ${s.superuser}\nhotstandby ${s.osUser} ${s.superuser}\n`);
  await editAutoConfFile(s.dataDir, { listen_addresses: s.listenAddresses, wal_log_hints: 'on', ...keptWal(s) }, owner);
}

/** Roles of a freshly initialised cluster: the replication user, passwords. */
export async function createPairRoles(session: Session, s: PostgresqlSettings): Promise<void> {
  const exists = await session.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [s.replicationUser]);
  const password = s.replicationPassword !== undefined ? ` PASSWORD ${literal(s.replicationPassword)}` : '';
  if (exists.length === 0) await session.query(`CREATE ROLE ${identifier(s.replicationUser)} LOGIN REPLICATION${password}`);
  if (s.superuserPassword !== undefined) await session.query(`ALTER ROLE ${identifier(s.superuser)} PASSWORD ${literal(s.superuserPassword)}`);
}
