/**
 * The `postgresql` kind's own settings (issue 11 §2): what the YAML section says, validated into a
 * frozen object with errors naming the key. Durations are ms.
 */
import { hostname } from 'node:os';
import type { ResourceHost, ResourceKindField, ResourceSettings } from '../resource.js';
import { parseWitnessSettings, WITNESS_FIELD, type WitnessSettings } from './witness-settings.js';

/** How a commit waits for the standby (PostgreSQL docs, "synchronous_commit", 20.5.1 / 27.2.8). */
export type SyncCommitLevel = 'on' | 'remote_apply';

export interface PostgresqlSettings {
  /** Directory with initdb, pg_ctl, pg_basebackup, pg_rewind, postgres. */
  readonly binDir: string;
  readonly dataDir: string;
  /** Where postgresql.conf / pg_hba.conf live when not in dataDir (Debian: /etc/postgresql/15/main). */
  readonly configDir?: string;
  readonly port: number;
  /** Directory of the server's unix socket (unix_socket_directories); the driver connects there. */
  readonly socketDir: string;
  /** The operating-system user that owns dataDir and runs the server and its tools. */
  readonly osUser: string;
  /** Database superuser for the local admin connection (unix socket) and for pg_rewind from the peer. */
  readonly superuser: string;
  readonly superuserPassword?: string;
  readonly replicationUser: string;
  readonly replicationPassword?: string;
  /** This node's name: its application_name on the primary, its slot name `hs_<name>`, the witness record. */
  readonly nodeName: string;
  readonly peer: { readonly name: string; readonly host?: string; readonly port: number };
  readonly synchronousCommit: SyncCommitLevel;
  /** Degrade to asynchronous when the standby is gone this long (needs a witness); undefined = never. */
  readonly degradeToAsyncAfterMs?: number;
  /** An empty dataDir with no primary to clone from may initdb (only on the node this is set on). */
  readonly bootstrapInitdb: boolean;
  /** listen_addresses written by `bootstrap: initdb` (an adopted cluster keeps its own). */
  readonly listenAddresses: string;
  /** How long pg_promote(wait) waits for the end of recovery. */
  readonly promoteWaitMs: number;
  /** A standby more than this far behind (replay) is not eligible to be promoted. */
  readonly maxLagBytes?: number;
  /** On a standby, make the WAL segment a promotion would create beforehand (wal-prealloc-keeper.ts). */
  readonly preallocateWal: boolean;
  /** wal_keep_size (MB) written for each node (copy.ts keptWal); 0 leaves PostgreSQL's own. */
  readonly walKeepMB: number;
  /** The etcd witness (witness-settings.ts); undefined = none. */
  readonly witness?: WitnessSettings;
}

export const POSTGRESQL_FIELDS: readonly ResourceKindField[] = [
  { key: 'dataDir', type: 'path', doc: 'The cluster\'s data directory (PGDATA), owned by osUser, mode 0700 or 0750.' },
  { key: 'configDir', type: 'path', doc: 'Where postgresql.conf and pg_hba.conf are when not in dataDir (Debian: /etc/postgresql/15/main).' },
  { key: 'binDir', type: 'path', default: '/usr/lib/postgresql/15/bin', doc: 'PostgreSQL\'s programs (pg_ctl, pg_basebackup, pg_rewind, initdb).' },
  { key: 'port', type: 'integer 1..65535', default: '5432', doc: 'The server\'s port, on this node and (unless peer.port) on the peer.' },
  { key: 'socketDir', type: 'path', default: '/var/run/postgresql', doc: 'unix_socket_directories: the daemon\'s local admin connection goes there.' },
  { key: 'osUser', type: 'string', default: 'postgres', doc: 'The system user that owns dataDir and runs the server and its tools.' },
  { key: 'superuser', type: 'string', default: 'postgres', doc: 'Database superuser for the local admin connection and for pg_rewind from the peer.' },
  { key: 'superuserPassword', type: 'string', doc: 'Its password (prefer a `local ... peer map=` line for the daemon and a password only for the peer\'s pg_rewind).' },
  { key: 'replicationUser', type: 'string', default: 'replicator', doc: 'The role with REPLICATION the standby streams and clones with.' },
  { key: 'replicationPassword', type: 'string', doc: 'Its password (written into primary_conninfo, in postgresql.auto.conf, mode 0600).' },
  { key: 'nodeName', type: 'string', default: 'the host name', doc: 'This node\'s application_name and slot name (hs_<name>); the peer lists it in synchronous_standby_names.' },
  { key: 'peer', type: 'mapping {name, host, port}', doc: 'The other node: its nodeName, its address (default: the followed instance\'s one unicast peer) and port.' },
  { key: 'synchronousCommit', type: 'on | remote_apply', default: 'on', doc: 'on: a commit returns once the standby flushed its WAL; remote_apply: once it is also visible there.' },
  { key: 'degradeToAsyncAfter', type: 'duration', doc: 'Let writes continue without the standby after this long, only with a witness that agrees (default: writes wait).' },
  { key: 'bootstrap', type: 'initdb | clone', default: 'clone', doc: 'What an empty dataDir does with no primary to clone from: wait (clone) or initdb (set on one node only).' },
  { key: 'listenAddresses', type: 'string', default: '*', doc: 'listen_addresses that `bootstrap: initdb` writes (an adopted cluster keeps its own).' },
  { key: 'promoteTimeout', type: 'duration', default: '30s', doc: 'pg_promote(wait) timeout.' },
  { key: 'maxLagBytes', type: 'integer', doc: 'A standby further behind than this (replayed WAL) may not be promoted.' },
  { key: 'walKeepMB', type: 'integer (MB)', default: '0', doc: 'wal_keep_size written into postgresql.auto.conf (it overrides postgresql.conf\'s); 0 leaves PostgreSQL\'s own. Not needed for a rewind (the peer\'s slot, made before the promotion, keeps that WAL), and pg_rewind copies every WAL file the new primary holds, so it makes each rejoin slower (docs/postgresql.md, "Rejoin").' },
  { key: 'preallocateWal', type: 'boolean', default: 'true', doc: 'On the standby, make the new timeline\'s next WAL segment before a promotion needs it (pg_promote then skips zero-filling and fsyncing 16 MB; docs/postgresql.md).' },
  WITNESS_FIELD,
];

/** Reads the section; `host` supplies the default peer address. Throws settings.error(...) naming the key. */
export function parsePostgresqlSettings(s: ResourceSettings): PostgresqlSettings {
  const dataDir = s.requireString('dataDir');
  if (!dataDir.startsWith('/')) throw s.error('dataDir', `must be an absolute path, not "${dataDir}"`);
  const port = s.integer('port', { min: 1, max: 65535 }) ?? 5432;
  const peerSection = s.section('peer', ['name', 'host', 'port']);
  if (peerSection === undefined) throw s.error('peer', 'is required: { name: <the peer\'s nodeName>, host: <its address> }');
  const peerName = peerSection.requireString('name');
  checkNodeName(peerSection, 'name', peerName);
  const nodeName = s.string('nodeName') ?? hostname();
  checkNodeName(s, 'nodeName', nodeName);
  if (nodeName === peerName) throw s.error('peer', `name "${peerName}" is this node's own nodeName`);
  const sync = s.string('synchronousCommit') ?? 'on';
  if (sync !== 'on' && sync !== 'remote_apply') {
    throw s.error('synchronousCommit', `must be "on" or "remote_apply", not "${sync}" (weaker levels can lose acknowledged commits)`);
  }
  const bootstrap = s.string('bootstrap') ?? 'clone';
  if (bootstrap !== 'initdb' && bootstrap !== 'clone') throw s.error('bootstrap', `must be "initdb" or "clone", not "${bootstrap}"`);
  const maxLag = s.integer('maxLagBytes', { min: 0, max: Number.MAX_SAFE_INTEGER });
  const degrade = s.duration('degradeToAsyncAfter');
  const configDir = s.string('configDir');
  return Object.freeze({
    binDir: s.string('binDir') ?? '/usr/lib/postgresql/15/bin',
    dataDir,
    ...(configDir !== undefined ? { configDir } : {}),
    port,
    socketDir: s.string('socketDir') ?? '/var/run/postgresql',
    osUser: s.string('osUser') ?? 'postgres',
    superuser: s.string('superuser') ?? 'postgres',
    ...optional('superuserPassword', s.string('superuserPassword')),
    replicationUser: s.string('replicationUser') ?? 'replicator',
    ...optional('replicationPassword', s.string('replicationPassword')),
    nodeName,
    peer: Object.freeze({
      name: peerName,
      ...optional('host', peerSection.string('host')),
      port: peerSection.integer('port', { min: 1, max: 65535 }) ?? port,
    }),
    synchronousCommit: sync,
    ...optional('degradeToAsyncAfterMs', degrade),
    bootstrapInitdb: bootstrap === 'initdb',
    listenAddresses: s.string('listenAddresses') ?? '*',
    promoteWaitMs: s.duration('promoteTimeout') ?? 30_000,
    ...optional('maxLagBytes', maxLag),
    preallocateWal: s.boolean('preallocateWal') ?? true,
    walKeepMB: s.integer('walKeepMB', { min: 0, max: 1 << 30 }) ?? 0,
    ...optional('witness', parseWitnessSettings(s)),
  });
}

/** The peer's address: configured, or the followed instance's single unicast peer. */
export function peerHost(settings: PostgresqlSettings, host: Pick<ResourceHost, 'peers'>): string | undefined {
  if (settings.peer.host !== undefined) return settings.peer.host;
  const peers = host.peers();
  return peers.length === 1 ? peers[0] : undefined;
}

export { slotName } from './sql-names.js';

function checkNodeName(s: ResourceSettings, key: string, name: string): void {
  // application_name is limited to printable ASCII and NAMEDATALEN-1 bytes (PostgreSQL docs 20.11).
  if (!/^[A-Za-z0-9_.-]{1,63}$/.test(name)) {
    throw s.error(key, `"${name}" must be 1-63 letters, digits, ".", "_" or "-" (it becomes an application_name and a slot name)`);
  }
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
