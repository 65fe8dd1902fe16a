/**
 * The write-throughput cost of synchronous replication in this lab (issue 11 §4), apart from
 * any HA tool: a PostgreSQL 15 primary with a streaming standby, the same writers through the
 * primary's address for a window with the standby asynchronous, then for a window with it named
 * in synchronous_standby_names (every commit waits for the standby's flush).
 */
import type { Lab } from '../lab.js';
import { preciseNow } from '../request-outcome.js';
import { waitFor } from '../wait-for.js';
import { writeThroughput } from '../jepsen/timings.js';
import { Workload } from '../jepsen/workload.js';
import { LabPostgres, PG_PORT } from '../postgresql.js';
import { setTimeout as sleep } from 'node:timers/promises';

export interface SyncCost {
  readonly asyncWritesPerSecond: number;
  readonly syncWritesPerSecond: number;
  /** 1 − sync / async. */
  readonly cost: number;
  readonly writers: number;
  readonly windowSeconds: number;
}

/** Needs hosts `primary`, `standby` and `client` in the lab, nothing running in them yet. */
export async function measureSyncCost(lab: Lab, hosts: { primary: string; standby: string; client: string }, options: { writers: number; windowSeconds: number }): Promise<SyncCost> {
  const primary = await LabPostgres.init(lab, hosts.primary, `node-${hosts.primary}`);
  await primary.start();
  const standby = await LabPostgres.cloneFrom(lab, hosts.standby, primary, `node-${hosts.standby}`);
  await standby.start();
  await waitFor(async () => (await primary.sql(`SELECT state FROM pg_stat_replication WHERE application_name = 'node-${hosts.standby}'`)) === 'streaming', {
    description: 'the standby streaming', timeoutMs: 60_000, intervalMs: 200,
  });
  const workload = await Workload.start(lab, hosts.client, {
    host: lab.host(hosts.primary).ipv4, port: PG_PORT, user: 'postgres', database: 'postgres', run: 'cost', writers: options.writers,
  });
  const window = async (): Promise<number> => {
    await workload.acknowledged(100);
    const from = preciseNow();
    await sleep(options.windowSeconds * 1000);
    return writeThroughput(workload.history, from, preciseNow());
  };
  try {
    const asyncRate = await window();
    await primary.sql(`ALTER SYSTEM SET synchronous_standby_names = '"node-${hosts.standby}"'`); // quoted: a name with '-'
    await primary.sql('SELECT pg_reload_conf()');
    await waitFor(async () => (await primary.sql(`SELECT sync_state FROM pg_stat_replication WHERE application_name = 'node-${hosts.standby}'`)) === 'sync', {
      description: 'the standby synchronous', timeoutMs: 30_000, intervalMs: 200,
    });
    const syncRate = await window();
    return { asyncWritesPerSecond: asyncRate, syncWritesPerSecond: syncRate, cost: 1 - syncRate / asyncRate, writers: options.writers, windowSeconds: options.windowSeconds };
  } finally {
    await workload.stop();
    await standby.process?.stop();
    await primary.process?.stop();
  }
}
