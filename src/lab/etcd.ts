/**
 * An etcd 3.4 cluster in lab hosts (Debian's etcd-server: the `etcd` binary), one member per
 * host on its lab address: the witness of the PostgreSQL pair (issue 11 §3) and Patroni's DCS in
 * the bench. A cluster forms in about a second; a cut link (or bridge port isolation) then
 * partitions members for real.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Lab } from './lab.js';
import type { LabProcess } from './lab-process.js';
import { waitFor } from './wait-for.js';

export const ETCD_CLIENT_PORT = 2379;
export const ETCD_PEER_PORT = 2380;

export interface EtcdMemberSpec {
  readonly name: string;
  readonly ip: string;
}

export interface EtcdTuning {
  /** Default 100 ms (etcd's default). */
  readonly heartbeatMs?: number;
  /** Default 1000 ms (etcd's default; 500 was too tight on a loaded machine: spurious elections). */
  readonly electionMs?: number;
}

export const clientUrl = (ip: string): string => `http://${ip}:${ETCD_CLIENT_PORT}`;

/** The etcd command line of one member of a static cluster (pure). */
export function etcdCommand(
  member: EtcdMemberSpec,
  members: readonly EtcdMemberSpec[],
  dataDir: string,
  clusterToken: string,
  tuning: EtcdTuning = {},
): string[] {
  const peer = (ip: string): string => `http://${ip}:${ETCD_PEER_PORT}`;
  return [
    'etcd',
    '--name', member.name,
    '--data-dir', dataDir,
    '--listen-peer-urls', peer(member.ip),
    '--initial-advertise-peer-urls', peer(member.ip),
    '--listen-client-urls', `${clientUrl(member.ip)},http://127.0.0.1:${ETCD_CLIENT_PORT}`,
    '--advertise-client-urls', clientUrl(member.ip),
    '--initial-cluster', members.map((m) => `${m.name}=${peer(m.ip)}`).join(','),
    '--initial-cluster-state', 'new',
    '--initial-cluster-token', clusterToken,
    '--heartbeat-interval', String(tuning.heartbeatMs ?? 100),
    '--election-timeout', String(tuning.electionMs ?? 1000),
    '--enable-v2=true', // Patroni 3.0.2 speaks v2 or v3; the witness only the v3 gateway
    '--log-level', 'info', // elections and leader changes are info lines (failover timelines: pgfail/timeline.ts)
    '--logger', 'zap',
  ];
}

interface Member {
  readonly spec: EtcdMemberSpec;
  process: LabProcess;
  readonly dataDir: string;
  readonly command: readonly string[];
}

export class EtcdCluster {
  private constructor(
    private readonly lab: Lab,
    private readonly members: ReadonlyMap<string, Member>,
  ) {}

  /** Every member process's log so far, oldest first (a restarted member writes a new one). */
  logFiles(): Array<{ host: string; path: string }> {
    return [...this.logs];
  }

  private readonly logs: Array<{ host: string; path: string }> = [];

  /** Starts one member in each of `hosts` and waits until the cluster answers a linearizable read. */
  static async start(lab: Lab, hosts: readonly string[], tuning: EtcdTuning = {}): Promise<EtcdCluster> {
    const specs = hosts.map((host) => ({ name: host, ip: lab.host(host).ipv4 }));
    const token = `hs-lab-${lab.id}-${process.pid}`;
    const members = new Map<string, Member>();
    for (const spec of specs) {
      const dataDir = join(lab.dir, `etcd-${spec.name}`);
      mkdirSync(dataDir, { recursive: true, mode: 0o700 });
      const command = etcdCommand(spec, specs, dataDir, token, tuning);
      members.set(spec.name, { spec, dataDir, command, process: lab.spawn(spec.name, command, { name: `etcd-${spec.name}`, ownSession: true }) });
    }
    const cluster = new EtcdCluster(lab, members);
    for (const [host, member] of members) cluster.logs.push({ host, path: member.process.logPath });
    for (const host of hosts) {
      await waitFor(async () => (await cluster.health(host)) === true, {
        description: `etcd member ${host} healthy (quorum reached)`,
        timeoutMs: 30_000,
        intervalMs: 200,
      });
    }
    return cluster;
  }

  /** The client URL of each member, in the order given at start. */
  endpoints(hosts?: readonly string[]): string[] {
    const names = hosts ?? [...this.members.keys()];
    return names.map((name) => clientUrl(this.member(name).spec.ip));
  }

  /** Whether the member in `host` serves a linearizable read (it is part of a quorum). */
  async health(host: string): Promise<boolean> {
    try {
      const url = `${clientUrl(this.member(host).spec.ip)}/health`;
      const script = `fetch(${JSON.stringify(url)}, { signal: AbortSignal.timeout(2000) }).then((r) => r.text()).then((t) => process.stdout.write(t))`;
      const { stdout } = await this.lab.exec(host, [process.execPath, '-e', script], { timeoutMs: 5000 });
      return (JSON.parse(stdout) as { health?: string }).health === 'true';
    } catch {
      return false;
    }
  }

  /** The member's pid in `host` while it runs (killed with the rest of a node at once: a power-off). */
  pid(host: string): number | undefined {
    const { process } = this.member(host);
    return process.running ? process.pid : undefined;
  }

  /** kill -9 of the member in `host` (a power-off). */
  async kill(host: string): Promise<void> {
    await this.member(host).process.stop('SIGKILL');
  }

  /** Starts the member in `host` again on its data directory (it rejoins the cluster). */
  restart(host: string): void {
    const member = this.member(host);
    if (member.process.running) return;
    member.process = this.lab.spawn(host, member.command, { name: `etcd-${host}`, ownSession: true });
    this.logs.push({ host, path: member.process.logPath });
  }

  async stop(): Promise<void> {
    await Promise.all([...this.members.values()].map((m) => m.process.stop('SIGTERM', { timeoutMs: 5000 })));
  }

  private member(name: string) {
    const member = this.members.get(name);
    if (member === undefined) throw new RangeError(`No etcd member in host '${name}'`);
    return member;
  }
}
