/**
 * Synchronous replication on the primary (PostgreSQL docs 27.2.8 "Synchronous Replication",
 * 20.6.2 synchronous_standby_names / synchronous_commit). The primary names exactly the peer:
 * `FIRST 1 ("peer")`, so a commit returns only once the peer has flushed (on) or applied
 * (remote_apply) its WAL, and with the peer gone commits wait. A standby promoted with the old
 * primary's setting (which names the standby itself) would block every write: promote fixes it.
 */
import type { PostgresqlSettings } from './settings.js';
import { identifier, literal, slotName } from './sql-names.js';
import type { Session } from './sql.js';
import { parseLsn } from './server.js';

export function syncStandbyNames(peerName: string): string {
  return `FIRST 1 (${identifier(peerName)})`;
}

/** ALTER SYSTEM + reload: names the peer as synchronous standby ('' when degraded to async). */
export async function setSyncNames(session: Session, s: PostgresqlSettings, names: string): Promise<void> {
  await session.query(`ALTER SYSTEM SET synchronous_standby_names = ${literal(names)}`);
  await session.query(`ALTER SYSTEM SET synchronous_commit = ${literal(s.synchronousCommit)}`);
  await session.query('SELECT pg_reload_conf()');
}

/** Reload is asynchronous: waits until this session sees the new value (each poll is a new transaction). */
export async function currentSyncNames(session: Session): Promise<string> {
  const [row] = await session.query(`SELECT setting FROM pg_settings WHERE name = 'synchronous_standby_names'`);
  return String(row?.['setting'] ?? '');
}

/** The peer's slot on this primary, so the peer can stream (and rejoin) without WAL being recycled. */
export async function ensurePeerSlot(session: Session, s: PostgresqlSettings): Promise<void> {
  const slot = slotName(s.peer.name);
  await session.query(
    `SELECT pg_create_physical_replication_slot($1, true) WHERE NOT EXISTS (SELECT 1 FROM pg_replication_slots WHERE slot_name = $1)`,
    [slot],
  );
}

/** Drops the peer's slot on a server still in recovery (a promotion that did not happen): a standby's slot holds its WAL. */
export async function dropPeerSlotInRecovery(session: Session, s: PostgresqlSettings): Promise<boolean> {
  const rows = await session.query(
    `SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND pg_is_in_recovery()`,
    [slotName(s.peer.name)],
  );
  return rows.length > 0;
}

export interface PeerReplication {
  readonly sync: boolean;
  readonly streaming: boolean;
  /** Streaming or still catching up (pg_stat_replication state 'catchup'). */
  readonly attached: boolean;
  readonly flushLagBytes?: number;
  /** pg_current_wal_lsn() and the peer's flush_lsn, read in the same statement. */
  readonly currentLsn: bigint;
  readonly flushLsn?: bigint;
}

/** Whether the peer streams to this primary as its synchronous standby, and how far its flush is behind. */
export async function peerReplication(session: Session, s: PostgresqlSettings): Promise<PeerReplication> {
  const rows = await session.query(
    `SELECT pg_current_wal_lsn()::text AS current, r.sync_state, r.state, r.flush_lsn::text AS flush, (pg_current_wal_lsn() - r.flush_lsn)::float8 AS lag
       FROM (SELECT 1) one LEFT JOIN pg_stat_replication r ON r.application_name = $1 AND r.state IN ('streaming', 'catchup')
      ORDER BY r.state DESC LIMIT 1`,
    [s.peer.name],
  );
  const row = rows[0];
  const currentLsn = parseLsn(row?.['current']);
  if (row === undefined || (row['state'] !== 'streaming' && row['state'] !== 'catchup')) return { sync: false, streaming: false, attached: false, currentLsn };
  const lag = row['lag'] === null ? undefined : Number(row['lag']);
  return {
    sync: row['state'] === 'streaming' && (row['sync_state'] === 'sync' || row['sync_state'] === 'quorum'),
    streaming: row['state'] === 'streaming',
    attached: true,
    currentLsn,
    ...(row['flush'] !== null ? { flushLsn: parseLsn(row['flush']) } : {}),
    ...(lag !== undefined ? { flushLagBytes: lag } : {}),
  };
}

/**
 * Whether synchronous_standby_names is `names` and synchronous_commit the configured level, as
 * this session sees them (one round trip; cheaper than setSyncNames, whose ALTER SYSTEMs each
 * rewrite and fsync postgresql.auto.conf).
 */
export async function syncSettingsAre(session: Session, s: PostgresqlSettings, names: string): Promise<boolean> {
  const rows = await session.query(`SELECT name, setting FROM pg_settings WHERE name IN ('synchronous_standby_names', 'synchronous_commit')`);
  const setting = (name: string): string => String(rows.find((row) => row['name'] === name)?.['setting'] ?? '');
  return setting('synchronous_standby_names') === names && setting('synchronous_commit') === s.synchronousCommit;
}
