/**
 * Making this node's data a copy of the primary's: the initial clone (pg_basebackup with a
 * replication slot), the rejoin of an old primary (pg_rewind, keeping this node's own
 * configuration files, which pg_rewind replaces with the source's), a fresh clone when rewind
 * cannot work, and the standby configuration that makes it stream from the primary
 * (PostgreSQL docs 27.2.4 "Setting Up a Standby Server", pg_basebackup, pg_rewind).
 */
import { mkdir, readdir, rm, chown, chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { adoptPairHba } from './pair-hba.js';
import type { PgPrograms, RunAs } from './commands.js';
import { editAutoConfFile, restoreOwnConfs, saveOwnConfs, writeStandbySignal } from './conf-files.js';
import type { PostgresqlSettings } from './settings.js';
import { slotName } from './settings.js';

export interface PeerAddress {
  readonly host: string;
  readonly port: number;
}

/** libpq connection string quoting (PostgreSQL docs 34.1.1): single quotes, backslash-escaped. */
export function conninfo(parts: Readonly<Record<string, string | number | undefined>>): string {
  return Object.entries(parts)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}='${String(v).replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`)
    .join(' ');
}

/** primary_conninfo: the peer's own address, as this node's application_name (synchronous_standby_names). */
export function primaryConninfo(s: PostgresqlSettings, peer: PeerAddress): string {
  return conninfo({
    host: peer.host,
    port: peer.port,
    user: s.replicationUser,
    password: s.replicationPassword,
    application_name: s.nodeName,
    connect_timeout: 5,
    keepalives_idle: 5,
    keepalives_interval: 2,
    keepalives_count: 3,
  });
}

/**
 * wal_keep_size, when the operator asks for it (walKeepMB; PostgreSQL docs 20.6.1 wal_keep_size).
 * A rewound old primary replays from the last checkpoint before the fork; the peer's slot, made on
 * the new primary before its promotion (driver.ts promote), keeps that WAL. wal_keep_size was the
 * first fix (2026-12-05) and is no longer the default: pg_rewind (15) copies every WAL file the
 * source holds, so 256 MB kept made each rejoin 5 s -> 34 s slower under the bench's writes.
 */
export function keptWal(s: Pick<PostgresqlSettings, 'walKeepMB'>): Record<string, string> {
  return s.walKeepMB > 0 ? { wal_keep_size: `${s.walKeepMB}MB` } : {};
}

/**
 * standby.signal plus primary_conninfo / primary_slot_name in postgresql.auto.conf, and a short
 * wal_retrieve_retry_interval: with the default 5 s, a standby whose primary just died sleeps up
 * to 5 s between attempts, and pg_promote was measured waiting out that sleep (5.1 s instead of
 * 0.2 s).
 */
export async function configureStandby(s: PostgresqlSettings, peer: PeerAddress, owner: RunAs): Promise<void> {
  await editAutoConfFile(s.dataDir, {
    primary_conninfo: primaryConninfo(s, peer),
    primary_slot_name: slotName(s.nodeName),
    wal_retrieve_retry_interval: '200ms',
    ...keptWal(s),
  }, owner);
  await writeStandbySignal(s.dataDir, owner);
}

/** Removes everything in dataDir (not dataDir itself: it may be a mount point). */
export async function emptyDataDir(dataDir: string): Promise<void> {
  for (const name of await readdir(dataDir).catch(() => [] as string[])) {
    await rm(join(dataDir, name), { recursive: true, force: true });
  }
}

export async function ensureDataDir(s: PostgresqlSettings, owner: RunAs): Promise<void> {
  await mkdir(s.dataDir, { recursive: true, mode: 0o700 });
  await chown(s.dataDir, owner.uid, owner.gid);
  await chmod(s.dataDir, 0o700);
}

/**
 * pg_basebackup into an empty dataDir, streaming WAL through the slot this node will stream from
 * (created by the primary at promotion; -C creates it when missing). The node's own configuration
 * files, if it had any, are put back afterwards.
 */
export async function cloneFrom(s: PostgresqlSettings, peer: PeerAddress, programs: PgPrograms, owner: RunAs, signal: AbortSignal, slotExists: boolean): Promise<void> {
  const saved = await saveOwnConfs(s.dataDir);
  await emptyDataDir(s.dataDir);
  await ensureDataDir(s, owner);
  const args = [
    '-D', s.dataDir,
    '-d', conninfo({ host: peer.host, port: peer.port, user: s.replicationUser, application_name: `${s.nodeName}_clone`, connect_timeout: 5 }),
    '-X', 'stream', '-c', 'fast', '-S', slotName(s.nodeName), '--no-password',
  ];
  if (!slotExists) args.push('-C');
  await programs.run('pg_basebackup', args, signal, passwordEnv(s.replicationPassword));
  await restoreOwnConfs(s.dataDir, saved, owner);
  if (!saved.has('pg_hba.conf')) await adoptPairHba(s, peer.host, owner);
  await configureStandby(s, peer, owner);
}

/**
 * pg_rewind from the peer (a running primary), keeping the node's own configuration files.
 * Needs data checksums or wal_log_hints on this node (check-config says so); rejects otherwise.
 */
export async function rewindFrom(s: PostgresqlSettings, peer: PeerAddress, programs: PgPrograms, owner: RunAs, signal: AbortSignal): Promise<string> {
  const saved = await saveOwnConfs(s.dataDir);
  let said = '';
  try {
    const result = await programs.run('pg_rewind', [
      '-D', s.dataDir,
      '--source-server', conninfo({ host: peer.host, port: peer.port, user: s.superuser, dbname: 'postgres', connect_timeout: 5 }),
      ...(s.configDir !== undefined ? ['--config-file', join(s.configDir, 'postgresql.conf')] : []),
    ], signal, passwordEnv(s.superuserPassword));
    said = `${result.stdout}${result.stderr}`.trim().split('\n').filter((l) => /diverged|rewind|Done/i.test(l)).join(' / ');
  } finally {
    await restoreOwnConfs(s.dataDir, saved, owner);
  }
  await configureStandby(s, peer, owner);
  return said;
}

/** initdb with data checksums (pg_rewind needs them or wal_log_hints). */
export async function initdb(s: PostgresqlSettings, programs: PgPrograms, owner: RunAs, signal: AbortSignal): Promise<void> {
  await ensureDataDir(s, owner);
  await programs.run('initdb', ['-D', s.dataDir, '--data-checksums', '-U', s.superuser, '--auth-local=peer', '--auth-host=scram-sha-256'], signal);
}

function passwordEnv(password: string | undefined): Record<string, string> {
  return password === undefined ? {} : { PGPASSWORD: password };
}
