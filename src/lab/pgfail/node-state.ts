/**
 * What a PostgreSQL node of the pair says about itself, asked over TCP from inside its host with
 * psql (the lab's pg_hba trusts the lab subnet): primary or standby, and on a primary which
 * standbys stream from it and whether synchronously (pg_stat_replication,
 * https://www.postgresql.org/docs/15/monitoring-stats.html#MONITORING-PG-STAT-REPLICATION-VIEW).
 */
import type { Lab } from '../lab.js';
import { PG_PORT, pgBinary } from '../postgresql.js';

export interface Replica {
  /** application_name: the standby's name (cluster_name or Patroni's member name). */
  readonly name: string;
  readonly state: string;
  readonly syncState: string;
}

export type NodeState =
  | { readonly up: false; readonly error: string }
  | { readonly up: true; readonly inRecovery: boolean; readonly replicas: readonly Replica[] };

const QUERY = `SELECT pg_is_in_recovery(),
  coalesce((SELECT string_agg(application_name || ':' || state || ':' || sync_state, ',') FROM pg_stat_replication), '')`;

/** Parses psql's `-At -F '|'` output of QUERY (pure). */
export function parseNodeState(stdout: string): NodeState {
  const [recovery, replicas = ''] = stdout.trim().split('|');
  if (recovery !== 't' && recovery !== 'f') return { up: false, error: `unexpected answer: ${stdout.trim().slice(0, 80)}` };
  return {
    up: true,
    inRecovery: recovery === 't',
    replicas: replicas === ''
      ? []
      : replicas.split(',').map((entry) => {
          const [name = '', state = '', syncState = ''] = entry.split(':');
          return { name, state, syncState };
        }),
  };
}

export async function nodeState(lab: Lab, host: string, user = 'postgres'): Promise<NodeState> {
  try {
    const { stdout } = await lab.exec(
      host,
      ['env', 'PGCONNECT_TIMEOUT=2', pgBinary('psql'), '-X', '-h', lab.host(host).ipv4, '-p', String(PG_PORT), '-U', user, '-d', 'postgres', '-At', '-F', '|', '-c', QUERY],
      { timeoutMs: 8000 },
    );
    return parseNodeState(stdout);
  } catch (error) {
    return { up: false, error: (error as Error).message.split('\n')[0]?.slice(0, 160) ?? 'error' };
  }
}

/**
 * The pair's settled state from the VIP holders and both nodes' states (pure): exactly one host
 * holds the VIP, it is a primary, and the other host is a standby streaming from it
 * (synchronously when `requireSync`).
 */
export function settledState(
  hosts: readonly [string, string],
  vipHolders: readonly string[],
  states: Readonly<Record<string, NodeState>>,
  options: { requireSync: boolean; replicaName?: (host: string) => string },
): { primary: string } | { reason: string } {
  if (vipHolders.length !== 1) return { reason: `VIP on ${vipHolders.length === 0 ? 'no host' : vipHolders.join(',')}` };
  const primary = vipHolders[0] as string;
  const standby = hosts.find((h) => h !== primary);
  if (standby === undefined) return { reason: `VIP on ${primary}, not a database host` };
  const p = states[primary];
  const s = states[standby];
  if (!p?.up) return { reason: `${primary} (VIP holder) not answering: ${p?.up === false ? p.error : 'not asked'}` };
  if (p.inRecovery) return { reason: `${primary} holds the VIP but is in recovery` };
  if (!s?.up) return { reason: `${standby} not answering: ${s?.up === false ? s.error : 'not asked'}` };
  if (!s.inRecovery) return { reason: `${standby} is a primary too` };
  const name = options.replicaName?.(standby) ?? standby;
  const replica = p.replicas.find((r) => r.name === name);
  if (replica === undefined || replica.state !== 'streaming') return { reason: `${standby} not streaming from ${primary} (${p.replicas.map((r) => `${r.name} ${r.state}`).join(', ') || 'no replicas'})` };
  if (options.requireSync && replica.syncState !== 'sync') return { reason: `${standby} streams ${replica.syncState}, not sync` };
  return { primary };
}

/** Asks both nodes and the lab who holds `vip`, and applies settledState (synchronous standby required). */
export async function pairSettled(lab: Lab, hosts: readonly [string, string], vip: string): Promise<{ primary: string } | { reason: string }> {
  const holders = (await lab.vipHolder(vip)).filter((h) => hosts.includes(h));
  const states: Record<string, NodeState> = {};
  await Promise.all(hosts.map(async (host) => {
    states[host] = await nodeState(lab, host);
  }));
  return settledState(hosts, holders, states, { requireSync: true });
}
