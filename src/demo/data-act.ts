/**
 * `hotstandby demo`, the data act (issue 11): a PostgreSQL 15 pair with the postgresql resource
 * (synchronous replication), a row written through the VIP, then the master dies (kill -9 of
 * hotstandby and PostgreSQL together) and the same row is read through the VIP from the node
 * that took over. Shown only where PostgreSQL 15 is installed; elsewhere it says so and why.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { postgresqlUnavailableReason } from '../lab/environment.js';
import { Lab, preciseNow, waitFor } from '../lab/index.js';
import { HotstandbyPair } from '../lab/pgfail/hotstandby-pair.js';
import { signalPids } from '../lab/pgfail/processes.js';
import { waitSettled } from '../lab/pgfail/run.js';
import { PG_PORT, pgBinary } from '../lab/postgresql.js';
import { processTree } from '../lab/process-tree.js';
import type { Display } from './display.js';

export interface DataActResult {
  /** undefined when the act could not run here (PostgreSQL not installed). */
  readonly ok: boolean | undefined;
  readonly skipped?: string;
  /** From the master's death to the row read through the VIP, ms. */
  readonly readAfterMs?: number;
}

const CLIENT = 'client';

async function sqlThroughVip(lab: Lab, vip: string, sql: string): Promise<string> {
  const argv = ['env', 'PGCONNECT_TIMEOUT=1', pgBinary('psql'), '-X', '-q', '-At', '-h', vip, '-p', String(PG_PORT), '-U', 'postgres', '-d', 'postgres', '-c', sql];
  return (await lab.exec(CLIENT, argv, { timeoutMs: 8000 })).stdout.trim();
}

export async function runDataAct(display: Display): Promise<DataActResult> {
  const reason = postgresqlUnavailableReason();
  if (reason !== undefined) {
    display.say(`data act skipped: ${reason}. With PostgreSQL 15 installed, the demo also shows a row written before the master dies read through the VIP after it.`);
    return { ok: undefined, skipped: reason };
  }
  display.say('\ndata act: PostgreSQL 15 on a and b, the postgresql resource, synchronous replication (a commit returns once b has it)');
  const lab = await Lab.create({ hosts: ['a', 'b', CLIENT], ipv6: false });
  try {
    const pair = new HotstandbyPair(lab, ['a', 'b']);
    await pair.start();
    const master = await waitSettled(pair, 120_000);
    const other = pair.hosts.find((h) => h !== master) as string;
    display.say(`  ${master} is the primary and holds the VIP ${pair.vip}; ${other} streams from it`);
    await sqlThroughVip(lab, pair.vip, 'CREATE TABLE IF NOT EXISTS demo (id serial PRIMARY KEY, note text, at timestamptz DEFAULT now())');
    const id = await sqlThroughVip(lab, pair.vip, "INSERT INTO demo (note) VALUES ('written before the master dies') RETURNING id");
    display.say(`  wrote row ${id} through the VIP: the commit was acknowledged`);
    const pids = [...pair.daemonPids(master), ...processTree(pair.postmasterPid(master) ?? -1)];
    const diedAt = preciseNow();
    signalPids(pids, 'SIGKILL');
    display.say(`  kill -9 of hotstandby and PostgreSQL on ${master} (the master dies)`);
    const note = await waitFor(async () => {
      try {
        const node = String.raw`regexp_replace(current_setting('data_directory'), '^.*/pg-([^/]+)/[^/]+$', '\1')`;
        return await sqlThroughVip(lab, pair.vip, `SELECT note || '" (served by the primary on ' || ${node} || ')' FROM demo WHERE id = ${Number(id)} AND NOT pg_is_in_recovery()`) || undefined;
      } catch {
        await sleep(50);
        return undefined;
      }
    }, { description: 'the row read through the VIP', timeoutMs: 60_000, intervalMs: 100 });
    const readAfterMs = preciseNow() - diedAt;
    display.say(`  read through the VIP ${(readAfterMs / 1000).toFixed(2)} s later: row ${id} "${note}`);
    return { ok: note.startsWith('written before the master dies'), readAfterMs };
  } catch (error) {
    display.say(`data act failed: ${(error as Error).message}\n${await lab.logs(40).catch(() => '')}`);
    return { ok: false };
  } finally {
    await lab.destroy();
  }
}
