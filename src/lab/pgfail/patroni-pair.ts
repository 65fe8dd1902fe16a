/**
 * The baseline: Debian's Patroni 3.0.2 with etcd 3.4 (three members: both database hosts and the
 * witness host), PostgreSQL 15, in the same lab as the hotstandby pair. Patroni has no VIP of its
 * own; the usual recipe puts keepalived in front, each node's VRRP instance tracking Patroni's
 * REST `GET /primary` (200 only on the leader), so the VIP follows Patroni's leader. Synchronous
 * mode is on (`synchronous_mode: true`), the comparison with hotstandby's default; the TTL is the
 * smallest Patroni is commonly run with (20 s; loop_wait 2 s, retry_timeout 9 s:
 * loop_wait + 2 × retry_timeout ≤ ttl, as Patroni's docs require).
 */
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import type { Lab } from '../lab.js';
import type { LabProcess } from '../lab-process.js';
import type { KeepalivedInstance } from '../keepalived.js';
import { EtcdCluster, ETCD_CLIENT_PORT } from '../etcd.js';
import { POSTGRESQL_BIN } from '../environment.js';
import { asPostgres, PG_PORT, postgresDir, subnetOf } from '../postgresql.js';
import { waitFor } from '../wait-for.js';
import type { FailoverCluster } from './cluster.js';
import { nodeState, pairSettled } from './node-state.js';
import { livePostmaster, signalPids, treeWithout } from './processes.js';

export const PATRONI_REST_PORT = 8008;

export interface PatroniTiming {
  readonly ttl: number;
  readonly loopWait: number;
  readonly retryTimeout: number;
}

export const PATRONI_FAST: PatroniTiming = { ttl: 20, loopWait: 2, retryTimeout: 9 };

/** Patroni's YAML for one node (pure; JSON is YAML). */
export function patroniConfig(options: {
  host: string;
  ip: string;
  etcdHosts: readonly string[];
  dataDir: string;
  socketDir: string;
  subnet: string;
  timing: PatroniTiming;
}): string {
  const config = {
    scope: 'hslab',
    name: options.host,
    restapi: { listen: `${options.ip}:${PATRONI_REST_PORT}`, connect_address: `${options.ip}:${PATRONI_REST_PORT}` },
    etcd3: { hosts: options.etcdHosts.map((ip) => `${ip}:${ETCD_CLIENT_PORT}`) },
    bootstrap: {
      dcs: {
        ttl: options.timing.ttl,
        loop_wait: options.timing.loopWait,
        retry_timeout: options.timing.retryTimeout,
        maximum_lag_on_failover: 1048576,
        synchronous_mode: true,
        postgresql: {
          use_pg_rewind: true,
          use_slots: true,
          parameters: { wal_log_hints: 'on', max_connections: 60, shared_buffers: '16MB', wal_keep_size: '64MB', max_wal_senders: 8, max_replication_slots: 8 },
        },
      },
      initdb: [{ encoding: 'UTF8' }, { auth: 'trust' }],
    },
    postgresql: {
      listen: `0.0.0.0:${PG_PORT}`,
      connect_address: `${options.ip}:${PG_PORT}`,
      data_dir: options.dataDir,
      bin_dir: POSTGRESQL_BIN,
      pgpass: join(options.socketDir, 'pgpass'),
      authentication: {
        superuser: { username: 'postgres', password: 'lab' },
        replication: { username: 'replicator', password: 'lab' },
        rewind: { username: 'postgres', password: 'lab' },
      },
      parameters: { unix_socket_directories: options.socketDir },
      pg_hba: [
        'local all all trust',
        'local replication all trust',
        'host all all 127.0.0.1/32 trust',
        `host all all ${options.subnet} trust`,
        `host replication all ${options.subnet} trust`,
      ],
    },
    tags: { nofailover: false, noloadbalance: false, clonefrom: false, nosync: false },
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

/** keepalived.conf whose instance holds the VIP only where Patroni's `/primary` answers 200. */
export function keepalivedForPatroni(ip: string, vip: string): string {
  return `global_defs {
    vrrp_garp_master_delay 1
    script_user root
    enable_script_security
}
vrrp_script patroni_primary {
    script "/usr/bin/curl -sf -o /dev/null -m 1 http://${ip}:${PATRONI_REST_PORT}/primary"
    interval 1
    fall 1
    rise 1
}
vrrp_instance PG {
    state BACKUP
    interface eth0
    virtual_router_id 61
    priority 100
    nopreempt
    advert_int 0.1
    version 3
    track_script {
        patroni_primary
    }
    virtual_ipaddress {
        ${vip}/24
    }
}
`;
}

interface PatroniNode {
  readonly host: string;
  readonly dataDir: string;
  readonly configPath: string;
  patroni: LabProcess | undefined;
  keepalived: KeepalivedInstance | undefined;
  readonly keepalivedConf: string;
}

export class PatroniPair implements FailoverCluster {
  readonly label = 'patroni';
  readonly canSwitchOver = true;
  readonly vip: string;
  private etcd: EtcdCluster | undefined;
  private readonly nodes = new Map<string, PatroniNode>();

  constructor(
    readonly lab: Lab,
    readonly hosts: readonly [string, string],
    private readonly witnessHost: string,
    private readonly timing: PatroniTiming = PATRONI_FAST,
  ) {
    this.vip = lab.vip4(0);
  }

  async start(): Promise<void> {
    const etcdHosts = [...this.hosts, this.witnessHost];
    this.etcd = await EtcdCluster.start(this.lab, etcdHosts);
    for (const host of this.hosts) {
      const ip = this.lab.host(host).ipv4;
      const base = postgresDir(this.lab, `pg-${host}`);
      const dataDir = join(base, 'data');
      const configPath = join(base, 'patroni.yml');
      writeFileSync(configPath, patroniConfig({ host, ip, etcdHosts: etcdHosts.map((h) => this.lab.host(h).ipv4), dataDir, socketDir: base, subnet: subnetOf(ip), timing: this.timing }));
      this.nodes.set(host, { host, dataDir, configPath, patroni: undefined, keepalived: undefined, keepalivedConf: keepalivedForPatroni(ip, this.vip) });
    }
    // The first node bootstraps the cluster (initdb); the second clones it once it is the leader.
    await this.startPatroni(this.hosts[0]);
    await this.waitLeader(this.hosts[0]);
    await this.startPatroni(this.hosts[1]);
    for (const host of this.hosts) await this.startKeepalived(host);
  }

  settled(): Promise<{ primary: string } | { reason: string }> {
    return pairSettled(this.lab, this.hosts, this.vip);
  }

  daemonPids(host: string): number[] {
    const node = this.node(host);
    return node.patroni?.running ? treeWithout(node.patroni.pid, livePostmaster(node.dataDir)) : [];
  }

  keepalivedPid(host: string): number | undefined {
    const process = this.node(host).keepalived?.process;
    return process?.running ? process.pid : undefined;
  }

  etcdPid(host: string): number | undefined {
    return this.etcd?.pid(host);
  }

  postmasterPid(host: string): number | undefined {
    return livePostmaster(this.node(host).dataDir);
  }

  async restartDaemon(host: string): Promise<void> {
    await this.startPatroni(host);
  }

  async killNode(host: string, killed?: () => void): Promise<void> {
    const node = this.node(host);
    const postmaster = livePostmaster(node.dataDir);
    const keepalived = node.keepalived?.process.running ? treeWithout(node.keepalived.process.pid, undefined) : [];
    const etcd = this.etcd?.pid(host);
    signalPids([...treeWithout(node.patroni?.pid, undefined), ...treeWithout(postmaster, undefined), ...keepalived, ...(etcd === undefined ? [] : [etcd])], 'SIGKILL');
    killed?.();
    await node.patroni?.exited;
    if (node.keepalived) await node.keepalived.process.stop('SIGKILL');
    await this.etcd?.kill(host);
  }

  async bootNode(host: string): Promise<void> {
    this.etcd?.restart(host);
    await this.startPatroni(host);
    await this.startKeepalived(host);
  }

  async switchOver(primary: string): Promise<void> {
    const candidate = this.hosts.find((h) => h !== primary) as string;
    await this.lab.exec(primary, asPostgres(['patronictl', '-c', this.node(primary).configPath, 'switchover', '--leader', primary, '--candidate', candidate, '--force', 'hslab']), { timeoutMs: 60_000 });
  }

  async endSwitchOver(): Promise<void> {
    /* nothing left behind */
  }

  async stop(): Promise<void> {
    for (const node of this.nodes.values()) {
      await node.keepalived?.stop();
      await node.patroni?.stop('SIGTERM', { timeoutMs: 20_000 });
    }
    await this.etcd?.stop();
  }

  private async startPatroni(host: string): Promise<void> {
    const node = this.node(host);
    if (node.patroni?.running) return;
    // Its own session, as systemd starts it: the same footing as the hotstandby pair's daemons.
    node.patroni = this.lab.spawn(host, asPostgres(['patroni', node.configPath]), { name: `patroni-${host}`, ownSession: true });
  }

  private async startKeepalived(host: string): Promise<void> {
    const node = this.node(host);
    if (node.keepalived?.process.running) return;
    node.keepalived = await this.lab.startKeepalived(host, node.keepalivedConf, { name: `keepalived-${host}` });
  }

  private async waitLeader(host: string): Promise<void> {
    await waitFor(async () => {
      const state = await nodeState(this.lab, host);
      return state.up && !state.inRecovery;
    }, { description: `Patroni on ${host} bootstrapped the primary`, timeoutMs: 120_000, intervalMs: 500 });
  }

  private node(host: string): PatroniNode {
    const node = this.nodes.get(host);
    if (node === undefined) throw new RangeError(`No Patroni node in host '${host}'`);
    return node;
  }
}
