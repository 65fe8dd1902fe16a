/**
 * Two real PostgreSQL 15 clusters for the driver's tests, each with its own data, socket and state
 * directories under one temporary directory and its own port on 127.0.0.1. The driver runs in the
 * test's process (it cannot enter a network namespace), so both nodes share loopback; the
 * two-node VRRP lab with the daemon is hs-pgproof's harness.
 */
import { existsSync } from 'node:fs';
import { after, before } from 'node:test';
import { chmod, chown, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveScriptUser } from '../../../src/check/script-security.js';
import { silentLogger } from '../../../src/daemon/logger.js';
import type { Logger } from '../../../src/ports/index.js';
import { PostgresqlDriver, type PostgresqlDriverOptions } from '../../../src/resources/postgresql/driver.js';
import { childrenOf, postmasterPid } from '../../../src/resources/postgresql/server.js';
import { parsePostgresqlSettings, type PostgresqlSettings } from '../../../src/resources/postgresql/settings.js';
import type { OperationContext, ResourceHost } from '../../../src/resources/resource.js';
import { objectSettings } from './object-settings.js';

export const PG_BIN = '/usr/lib/postgresql/15/bin';

export function postgresSkipReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root: runs PostgreSQL clusters as the postgres user';
  if (!existsSync(join(PG_BIN, 'postgres'))) return `needs PostgreSQL 15 (${PG_BIN}/postgres; Debian package postgresql-15)`;
  return undefined;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

export interface PgNode {
  readonly name: string;
  readonly dir: string;
  readonly settings: PostgresqlSettings;
  readonly driver: PostgresqlDriver;
  readonly host: ResourceHost;
}

export const SUPERUSER_PASSWORD = 'su-secret';
export const REPLICATION_PASSWORD = 'rep-secret';

export async function makeBase(): Promise<string> {
  const base = await mkdtemp(join(tmpdir(), 'hs-pg-'));
  await chmod(base, 0o755);
  return base;
}

export async function makeNode(base: string, name: string, peerName: string, port: number, peerPort: number, extra: Record<string, unknown> = {}, options: PostgresqlDriverOptions = {}): Promise<PgNode> {
  const dir = join(base, name);
  const { uid, gid } = await resolveScriptUser('postgres');
  for (const sub of ['', 'sock', 'state']) await mkdir(join(dir, sub), { recursive: true });
  await chown(join(dir, 'sock'), uid, gid);
  await chmod(join(dir, 'state'), 0o700);
  const settings = parsePostgresqlSettings(objectSettings(`resources.${name}`, {
    dataDir: join(dir, 'data'),
    port,
    socketDir: join(dir, 'sock'),
    nodeName: name,
    peer: { name: peerName, host: '127.0.0.1', port: peerPort },
    superuserPassword: SUPERUSER_PASSWORD,
    replicationPassword: REPLICATION_PASSWORD,
    listenAddresses: '127.0.0.1',
    bootstrap: 'clone',
    promoteTimeout: '60s',
    ...extra,
  }));
  const host: ResourceHost = {
    name: 'db',
    follows: { instance: 'VI_1' },
    vips: () => [],
    peers: () => ['127.0.0.1'],
    masterAddress: () => undefined,
    stateDir: join(dir, 'state'),
    enforceScriptSecurity: true,
    clock: { now: () => performance.now() },
    timers: { at: (deadline, fn) => { const t = setTimeout(fn, Math.max(0, deadline - performance.now())); return () => clearTimeout(t); } },
    log: testLog,
  };
  return { name, dir, settings, host, driver: new PostgresqlDriver(settings, host, { peerTimeoutMs: 3_000, notStreamingRounds: 2, ...options }) };
}

/** HS_PG_DEBUG=1 prints the driver's log lines. */
export const testLog: Logger = process.env['HS_PG_DEBUG'] ? consoleLogger({}) : silentLogger;

function consoleLogger(fields: Record<string, unknown>): Logger {
  return {
    log: (level, message, more) => console.error(`[${level}] ${message} ${JSON.stringify({ ...fields, ...more })}`),
    child: (more) => consoleLogger({ ...fields, ...more }),
  };
}

/** An operation context with a timeout, as the core gives one. */
export function ctx(timeoutMs = 120_000, log: Logger = testLog): OperationContext {
  return { signal: AbortSignal.timeout(timeoutMs), log };
}

export async function removeBase(base: string, nodes: readonly PgNode[]): Promise<void> {
  for (const node of nodes) {
    await node.driver.stop(ctx(60_000)).catch(() => undefined);
    await node.driver.close().catch(() => undefined);
  }
  await rm(base, { recursive: true, force: true });
}

/** kill -9 of the node's postmaster and every child of it (a machine's death, as PostgreSQL sees it). */
export async function killCluster(node: PgNode): Promise<void> {
  const pid = await postmasterPid(node.settings.dataDir);
  if (pid === undefined) throw new Error(`${node.name}: PostgreSQL is not running`);
  for (const victim of [...childrenOf(pid), pid]) {
    try {
      process.kill(victim, 'SIGKILL');
    } catch {
      // Exited on its own meanwhile.
    }
  }
}

/**
 * Nodes a (bootstrap: initdb) and b of one pair, made in the calling suite's `before` and removed
 * in its `after`; read them through the returned object once the suite runs.
 */
export function pairFixture(options: PostgresqlDriverOptions = {}): { readonly a: PgNode; readonly b: PgNode } {
  let base = '';
  const nodes: { a?: PgNode; b?: PgNode } = {};
  before(async () => {
    base = await makeBase();
    const [pa, pb] = [await freePort(), await freePort()];
    nodes.a = await makeNode(base, 'a', 'b', pa, pb, { bootstrap: 'initdb' }, options);
    nodes.b = await makeNode(base, 'b', 'a', pb, pa, {}, options);
  });
  after(async () => {
    if (base !== '') await removeBase(base, [nodes.a, nodes.b].filter((n): n is PgNode => n !== undefined));
  });
  return {
    get a(): PgNode {
      if (nodes.a === undefined) throw new Error('pairFixture: node a is made in before()');
      return nodes.a;
    },
    get b(): PgNode {
      if (nodes.b === undefined) throw new Error('pairFixture: node b is made in before()');
      return nodes.b;
    },
  };
}

/** One monitor round of `node`: its result when eligible, else undefined (for waitFor). */
export async function eligibleNow(node: PgNode): Promise<Awaited<ReturnType<PgNode['driver']['monitor']>> | undefined> {
  const m = await node.driver.monitor(ctx(20_000));
  return m.eligibility?.eligible !== false ? m : undefined;
}
