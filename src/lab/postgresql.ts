/**
 * PostgreSQL 15 (Debian's postgresql-15) in lab hosts, for the failover checker's own tests and
 * the Patroni baseline: data directories owned by `postgres` under the lab directory, the server
 * run as `postgres` in the host's namespace, psql through the node's own socket directory (the
 * filesystem is shared by every namespace: /var/run/postgresql would make two lab nodes on port
 * 5432 collide on the socket's lock file), and the postmaster's pid for kill -9 / SIGSTOP faults.
 * The hotstandby pair itself gets its PostgreSQL from the postgresql resource, not from here.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { POSTGRESQL_BIN } from './environment.js';
import type { Lab } from './lab.js';
import type { LabProcess } from './lab-process.js';
import { waitFor } from './wait-for.js';

export const PG_PORT = 5432;

/** The argv that runs `argv` as the postgres user (the server refuses to run as root). */
export function asPostgres(argv: readonly string[]): string[] {
  return ['setpriv', '--reuid=postgres', '--regid=postgres', '--init-groups', '--', ...argv];
}

export const pgBinary = (name: string): string => join(POSTGRESQL_BIN, name);

function postgresIds(): { uid: number; gid: number } {
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'));
  const fields = line?.split(':');
  if (!fields) throw new Error('No postgres user in /etc/passwd (install postgresql-15)');
  return { uid: Number(fields[2]), gid: Number(fields[3]) };
}

/** A directory in the lab directory owned by postgres (mode 0700), the lab directory made traversable. */
export function postgresDir(lab: Lab, name: string): string {
  chmodSync(lab.dir, 0o711);
  const dir = join(lab.dir, name);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { uid, gid } = postgresIds();
  chownSync(dir, uid, gid);
  return dir;
}

/** Settings every lab node gets: small, replication-ready, its own socket directory. */
export function labSettings(clusterName: string, socketDir: string): string {
  return [
    "listen_addresses = '*'",
    `port = ${PG_PORT}`,
    `unix_socket_directories = '${socketDir}'`,
    `cluster_name = '${clusterName}'`,
    'max_connections = 60',
    'shared_buffers = 16MB',
    'wal_level = replica',
    'max_wal_senders = 8',
    'max_replication_slots = 8',
    'wal_log_hints = on',
    'hot_standby = on',
    'wal_keep_size = 64MB',
    'logging_collector = off',
    '',
  ].join('\n');
}

/** pg_hba lines trusting the lab subnet (a lab has no secrets; real pairs use scram). */
export function labHba(subnet: string): string {
  return [
    'local all all trust',
    'local replication all trust',
    `host all all ${subnet} trust`,
    `host replication all ${subnet} trust`,
    '',
  ].join('\n');
}

export class LabPostgres {
  process: LabProcess | undefined;

  constructor(
    private readonly lab: Lab,
    readonly host: string,
    readonly dataDir: string,
    readonly socketDir: string,
  ) {}

  /** initdb, then the lab's settings and pg_hba appended. */
  static async init(lab: Lab, host: string, clusterName: string): Promise<LabPostgres> {
    const base = postgresDir(lab, `pg-${host}`);
    const dataDir = join(base, 'data');
    const socketDir = base;
    await lab.exec(host, asPostgres([pgBinary('initdb'), '-D', dataDir, '-U', 'postgres', '--auth=trust', '--no-sync', '-E', 'UTF8']), { timeoutMs: 120_000 });
    await appendFile(join(dataDir, 'postgresql.conf'), labSettings(clusterName, socketDir));
    await appendFile(join(dataDir, 'pg_hba.conf'), labHba(subnetOf(lab.host(host).ipv4)));
    return new LabPostgres(lab, host, dataDir, socketDir);
  }

  /** A streaming standby of `primary` (pg_basebackup -R), not started yet. */
  static async cloneFrom(lab: Lab, host: string, primary: LabPostgres, clusterName: string): Promise<LabPostgres> {
    const base = postgresDir(lab, `pg-${host}`);
    const dataDir = join(base, 'data');
    await lab.exec(host, asPostgres([pgBinary('pg_basebackup'), '-h', lab.host(primary.host).ipv4, '-p', String(PG_PORT), '-U', 'postgres', '-D', dataDir, '-R', '-X', 'stream', '--no-sync']), { timeoutMs: 120_000 });
    // Later lines win: this node's own name and socket directory over the primary's copied ones.
    await appendFile(join(dataDir, 'postgresql.conf'), labSettings(clusterName, base));
    return new LabPostgres(lab, host, dataDir, base);
  }

  /** Starts the server and waits until it accepts connections. */
  async start(): Promise<void> {
    this.process = this.lab.spawn(this.host, asPostgres([pgBinary('postgres'), '-D', this.dataDir]), { name: `postgres-${this.host}` });
    await waitFor(async () => (await this.sql('SELECT 1').catch(() => '')) === '1', {
      description: `PostgreSQL in ${this.host} accepting connections`,
      timeoutMs: 60_000,
      intervalMs: 200,
    });
  }

  /** Runs SQL with psql over the node's socket; resolves with the unaligned, tuples-only output. */
  async sql(text: string, timeoutMs = 10_000): Promise<string> {
    const { stdout } = await this.lab.exec(
      this.host,
      asPostgres([pgBinary('psql'), '-X', '-h', this.socketDir, '-p', String(PG_PORT), '-U', 'postgres', '-d', 'postgres', '-At', '-v', 'ON_ERROR_STOP=1', '-c', text]),
      { timeoutMs },
    );
    return stdout.trim();
  }

  /** The postmaster's pid from postmaster.pid, or undefined when it is not running. */
  postmasterPid(): number | undefined {
    return postmasterPidOf(this.dataDir);
  }
}

/** The pid in a data directory's postmaster.pid (first line), or undefined. */
export function postmasterPidOf(dataDir: string): number | undefined {
  const file = join(dataDir, 'postmaster.pid');
  if (!existsSync(file)) return undefined;
  const pid = Number(readFileSync(file, 'utf8').split('\n')[0]);
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** 10.99.7.1 → 10.99.7.0/24 (the lab's subnets are /24). */
export function subnetOf(ipv4: string): string {
  return `${ipv4.split('.').slice(0, 3).join('.')}.0/24`;
}
