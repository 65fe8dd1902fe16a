/**
 * The `postgresql` resource kind: its config reader, its start-up / check-config checks and its
 * driver factory. A witness (issue 11 §3) is supplied by the composition root through
 * `witnessFor`; without one the driver uses the null witness (two-node behaviour).
 */
import type { ResourceHost, ResourceKind } from '../resource.js';
import { PostgresqlDriver } from './driver.js';
import { PostgresqlConfigProblem, preflight } from './preflight.js';
import { parsePostgresqlSettings, peerHost, POSTGRESQL_FIELDS, type PostgresqlSettings } from './settings.js';
import type { PrimaryWitness } from './witness.js';

export interface PostgresqlKindOptions {
  /** The witness for one resource (etcd, hs-pgproof); undefined = none. */
  readonly witnessFor?: (settings: PostgresqlSettings, host: ResourceHost) => PrimaryWitness | undefined;
}

export function postgresqlKind(options: PostgresqlKindOptions = {}): ResourceKind<PostgresqlSettings> {
  return {
    kind: 'postgresql',
    doc: 'A PostgreSQL 15 cluster: the primary on the master, a synchronous streaming standby on the backup (docs/postgresql.md).',
    fields: POSTGRESQL_FIELDS,
    defaults: { vip: 'after-promote' },
    parse: parsePostgresqlSettings,
    async check(settings, host) {
      const peer = peerHost(settings, host);
      try {
        await preflight(settings, { ...(peer !== undefined ? { peerHost: peer } : {}), log: host.log, signal: AbortSignal.timeout(15_000) });
      } catch (error) {
        if (error instanceof PostgresqlConfigProblem) throw new Error(`resources.${host.name}.${error.key}: ${error.message}`);
        throw error;
      }
    },
    create(settings, host) {
      const witness = options.witnessFor?.(settings, host);
      return new PostgresqlDriver(settings, host, witness !== undefined ? { witness } : {});
    },
  };
}
