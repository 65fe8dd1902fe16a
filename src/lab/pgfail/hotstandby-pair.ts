/**
 * The pair under test: two hotstandby daemons (VRRP v3 at advert_int 0.1 s, nopreempt) with a
 * `postgresql` resource each (src/resources/postgresql), optionally with the etcd witness (three
 * members: both database hosts and the witness host). The keepalived.conf is the same on both
 * nodes; the resource comes from a YAML file naming it (keepalivedConf).
 *
 * The first node's resource initialises its cluster (`bootstrap: initdb`); the lab then adds a
 * pg_hba line trusting the lab subnet, so the checker's clients reach it through the VIP. The
 * second node starts with an empty data directory and clones from the first (pg_hba included),
 * as a new standby does.
 */
import { join } from 'node:path';
import type { Lab } from '../lab.js';
import type { LabProcess } from '../lab-process.js';
import { packageRoot } from '../environment.js';
import { clientUrl, EtcdCluster } from '../etcd.js';
import { readFile, writeFile } from 'node:fs/promises';
import { asPostgres, pgBinary, postgresDir, subnetOf } from '../postgresql.js';
import { waitFor } from '../wait-for.js';
import { CommandError } from '../shell.js';
import { setTimeout as sleep } from 'node:timers/promises';
import { nodeEntryCommand } from '../node-entry.js';
import type { WitnessOperationConfig, WitnessOutcome } from '../witness-client.js';
import type { FailoverCluster } from './cluster.js';
import { pairSettled } from './node-state.js';
import { livePostmaster, signalPids, treeWithout } from './processes.js';

export const REPLICATION_PASSWORD = 'lab-replication';
/** The witness record's key in the lab's etcd. */
export const WITNESS_KEY = '/hotstandby/lab/db';
const WITNESS_CLIENT = new URL('../witness-client.js', import.meta.url).href;
export const SUPERUSER_PASSWORD = 'lab-superuser';

export interface HotstandbyPairOptions {
  /** Use the etcd witness (members on both hosts and `witnessHost`). */
  readonly witness?: boolean;
  readonly witnessHost?: string;
  /** Package root to run bin/hotstandby from (the benchmark's snapshot); default this package. */
  readonly root?: string;
  /** VRRP advert_int, seconds (default 0.1). */
  readonly advertInt?: number;
}

export function pairKeepalivedConf(vip: string, advertInt: number): string {
  return `vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 71
    priority 100
    nopreempt
    advert_int ${advertInt}
    version 3
    virtual_ipaddress {
        ${vip}/24
    }
}
`;
}

/** The YAML of one node: the keepalived.conf plus the postgresql resource (pure). */
export function pairYaml(options: {
  keepalivedConf: string;
  host: string;
  peer: { name: string; ip: string };
  base: string;
  etcdEndpoints?: readonly string[];
  initdb: boolean;
}): string {
  const lines = [
    `keepalivedConf: ${options.keepalivedConf}`,
    'resources:',
    '  db:',
    '    kind: postgresql',
    '    follows: VI_1',
    `    dataDir: ${join(options.base, 'data')}`,
    `    socketDir: ${options.base}`,
    `    nodeName: ${options.host}`,
    `    peer: { name: ${options.peer.name}, host: ${options.peer.ip} }`,
    `    replicationPassword: ${REPLICATION_PASSWORD}`,
    `    superuserPassword: ${SUPERUSER_PASSWORD}`,
    `    bootstrap: ${options.initdb ? 'initdb' : 'clone'}`,
    '    monitorInterval: 200ms',
  ];
  if (options.etcdEndpoints !== undefined) {
    lines.push(`    witness: { etcd: [${options.etcdEndpoints.join(', ')}], key: ${WITNESS_KEY} }`, '    degradeToAsyncAfter: 300ms');
  }
  return `${lines.join('\n')}\n`;
}

interface Node {
  readonly host: string;
  readonly base: string;
  readonly dataDir: string;
  readonly yamlFile: string;
  readonly runtimeDir: string;
  daemon: LabProcess | undefined;
  /** Every daemon log of this node, oldest first (one per start). */
  readonly daemonLogs: string[];
}

export class HotstandbyPair implements FailoverCluster {
  readonly label: string;
  readonly canSwitchOver = true;
  readonly vip: string;
  private etcd: EtcdCluster | undefined;
  private readonly nodes = new Map<string, Node>();
  private readonly root: string;

  constructor(
    readonly lab: Lab,
    readonly hosts: readonly [string, string],
    private readonly options: HotstandbyPairOptions = {},
  ) {
    this.vip = lab.vip4(0);
    this.label = options.witness ? 'hotstandby+etcd' : 'hotstandby';
    this.root = options.root ?? packageRoot();
  }

  async start(): Promise<void> {
    let endpoints: string[] | undefined;
    if (this.options.witness) {
      const members = [...this.hosts, this.options.witnessHost ?? 'w'];
      this.etcd = await EtcdCluster.start(this.lab, members);
      endpoints = members.map((h) => clientUrl(this.lab.host(h).ipv4));
    }
    const conf = this.lab.writeFile('pair-keepalived.conf', pairKeepalivedConf(this.vip, this.options.advertInt ?? 0.1));
    for (const [i, host] of this.hosts.entries()) {
      const peer = this.hosts[1 - i] as string;
      const base = postgresDir(this.lab, `pg-${host}`);
      const yaml = pairYaml({ keepalivedConf: conf, host, peer: { name: peer, ip: this.lab.host(peer).ipv4 }, base, initdb: i === 0, ...(endpoints ? { etcdEndpoints: endpoints } : {}) });
      const yamlFile = this.lab.writeFile(`hs-${host}.yaml`, yaml);
      this.nodes.set(host, { host, base, dataDir: join(base, 'data'), yamlFile, runtimeDir: join(this.lab.dir, `hs-${host}-run`), daemon: undefined, daemonLogs: [] });
    }
    this.startDaemon(this.hosts[0]);
    await waitFor(async () => {
      const primary = (await this.localSql(this.hosts[0], 'SELECT pg_is_in_recovery()').catch(() => '')) === 'f';
      return primary && (await this.lab.vipHolder(this.vip)).includes(this.hosts[0]);
    }, { description: `${this.hosts[0]} primary with the VIP`, timeoutMs: 60_000, intervalMs: 300 }).catch(async (error: Error) => {
      throw new Error(`${error.message}\n${(await this.daemonLog(this.hosts[0])).split('\n').slice(-15).join('\n')}`);
    });
    await this.trustLabSubnet(this.hosts[0]);
    this.startDaemon(this.hosts[1]);
  }

  /**
   * Settled as pairSettled says, and with the witness also once the record names the streaming
   * standby: until then the standby may not be promoted, and a fault (or a switchover, which then
   * finds no node to hand over to) would leave the pair without a primary for a reason of the
   * harness's making.
   */
  async settled(): Promise<{ primary: string } | { reason: string }> {
    const state = await pairSettled(this.lab, this.hosts, this.vip);
    if (!('primary' in state)) return state;
    const standby = this.hosts.find((h) => h !== state.primary) as string;
    // The standby's daemon must know too: our query can see it streaming synchronously a monitor
    // round before the daemon does, and a primary killed in that window leaves a standby that
    // cannot prove it holds every commit, so it rightly refuses to take over (seen in the demo).
    const unready = await this.standbyDaemonNotEligible(standby);
    if (unready !== undefined) return { reason: unready };
    if (this.etcd === undefined) return state;
    const config: WitnessOperationConfig = { endpoints: this.etcd.endpoints(), key: WITNESS_KEY, op: 'read', requestTimeoutMs: 2000 };
    const outcome = await this.lab.exec(this.options.witnessHost ?? 'w', nodeEntryCommand(WITNESS_CLIENT, 'witnessOperation', config), { timeoutMs: 15_000 })
      .then(({ stdout }) => JSON.parse(stdout) as WitnessOutcome, (error: Error) => ({ ok: false, error: error.message }) as WitnessOutcome);
    if (!outcome.ok) return { reason: `witness record unreadable: ${outcome.error.slice(0, 160)}` };
    const record = outcome.record;
    if (record?.primary !== state.primary || record.syncStandby !== standby) {
      return { reason: `the witness record ${JSON.stringify(record ?? null)} does not yet name ${state.primary} primary and ${standby} its synchronous standby` };
    }
    return state;
  }

  daemonPids(host: string): number[] {
    const node = this.node(host);
    return node.daemon?.running ? treeWithout(node.daemon.pid, livePostmaster(node.dataDir)) : [];
  }

  postmasterPid(host: string): number | undefined {
    return livePostmaster(this.node(host).dataDir);
  }

  async restartDaemon(host: string): Promise<void> {
    const node = this.node(host);
    if (node.daemon?.running) await node.daemon.exited;
    this.startDaemon(host);
  }

  async killNode(host: string, killed?: () => void): Promise<void> {
    const node = this.node(host);
    const etcd = this.etcd?.pid(host);
    signalPids([...treeWithout(node.daemon?.pid, undefined), ...treeWithout(livePostmaster(node.dataDir), undefined), ...(etcd === undefined ? [] : [etcd])], 'SIGKILL');
    killed?.();
    await node.daemon?.exited;
    await this.etcd?.kill(host);
  }

  async bootNode(host: string): Promise<void> {
    this.etcd?.restart(host);
    this.startDaemon(host);
  }

  async switchOver(primary: string): Promise<void> {
    await this.maintenance(primary, 'on');
  }

  async endSwitchOver(primary: string): Promise<void> {
    await this.maintenance(primary, 'off');
  }

  async stop(): Promise<void> {
    for (const node of this.nodes.values()) await node.daemon?.stop('SIGTERM', { timeoutMs: 30_000 });
    await this.etcd?.stop();
  }

  logFiles(): Array<{ host: string; source: 'daemon' | 'postgresql' | 'etcd'; path: string }> {
    return [
      ...[...this.nodes.values()].flatMap((node) => [
        ...node.daemonLogs.map((path) => ({ host: node.host, source: 'daemon' as const, path })),
        // The resource's server log (server.ts starts PostgreSQL with it).
        { host: node.host, source: 'postgresql' as const, path: join(node.dataDir, 'hotstandby-server.log') },
      ]),
      ...(this.etcd?.logFiles() ?? []).map((f) => ({ ...f, source: 'etcd' as const })),
    ];
  }

  /**
   * Per node: pg_controldata of its data directory (state, checkpoint, minimum recovery ending
   * location), the daemon's `status --json`, the WAL directory's listing and postgresql.auto.conf.
   */
  async snapshots(): Promise<Array<{ host: string; name: string; text: string }>> {
    const out: Array<{ host: string; name: string; text: string }> = [];
    const run = async (host: string, argv: string[]): Promise<string> => {
      try {
        const { stdout, stderr } = await this.lab.exec(host, argv, { timeoutMs: 15_000 });
        return `${stdout}${stderr}`;
      } catch (error) {
        return `failed: ${(error as Error).message}\n`;
      }
    };
    for (const node of this.nodes.values()) {
      out.push(
        { host: node.host, name: 'pg_controldata', text: await run(node.host, asPostgres([pgBinary('pg_controldata'), '-D', node.dataDir])) },
        { host: node.host, name: 'status', text: await run(node.host, [process.execPath, join(this.root, 'bin', 'hotstandby'), 'status', '--json', '--runtime-dir', node.runtimeDir]) },
        { host: node.host, name: 'pg_wal', text: await run(node.host, ['ls', '-la', '--time-style=full-iso', join(node.dataDir, 'pg_wal'), node.dataDir]) },
        { host: node.host, name: 'postgresql.auto.conf', text: await readFile(join(node.dataDir, 'postgresql.auto.conf'), 'utf8').catch((error: Error) => `unreadable: ${error.message}\n`) },
      );
    }
    return out;
  }

  /** The daemon's log, for diagnostics. */
  async daemonLog(host: string): Promise<string> {
    return (await this.node(host).daemon?.readLog()) ?? '';
  }

  /** A pg_hba line for the checker's clients (before the others: first match wins), then a reload. */
  private async trustLabSubnet(host: string): Promise<void> {
    const hba = join(this.node(host).dataDir, 'pg_hba.conf');
    const text = await readFile(hba, 'utf8');
    const subnet = subnetOf(this.lab.host(host).ipv4);
    await writeFile(hba, `# hotstandby lab: the checker's clients, and either node streaming from the other\nhost all all ${subnet} trust\nhost replication all ${subnet} trust\n${text}`);
    await this.localSql(host, 'SELECT pg_reload_conf()');
  }

  /** SQL over the node's own socket as the postgres OS user (the resource's peer map lets it in). */
  private async localSql(host: string, sql: string): Promise<string> {
    const argv = asPostgres([pgBinary('psql'), '-X', '-At', '-h', this.node(host).base, '-U', 'postgres', '-d', 'postgres', '-c', sql]);
    return (await this.lab.exec(host, argv, { timeoutMs: 10_000 })).stdout.trim();
  }

  /** Why the standby's daemon does not yet report its resources eligible to take over, if so. */
  private async standbyDaemonNotEligible(host: string): Promise<string | undefined> {
    const argv = [process.execPath, join(this.root, 'bin', 'hotstandby'), 'status', '--json', '--runtime-dir', this.node(host).runtimeDir];
    try {
      const status = JSON.parse((await this.lab.exec(host, argv, { timeoutMs: 15_000 })).stdout) as { resources?: Array<{ name?: string; eligibility?: { eligible?: boolean; reason?: string } }> };
      const not = (status.resources ?? []).find((r) => r.eligibility?.eligible === false);
      return not === undefined ? undefined : `${host}'s daemon: ${not.name ?? 'a resource'} not yet eligible (${not.eligibility?.reason ?? 'no reason'})`;
    } catch (error) {
      return `${host}'s daemon status unreadable: ${(error as Error).message.split('\n')[0]?.slice(0, 160)}`;
    }
  }

  private async maintenance(host: string, on: 'on' | 'off'): Promise<void> {
    const node = this.node(host);
    const argv = [process.execPath, join(this.root, 'bin', 'hotstandby'), 'maintenance', on, '--runtime-dir', node.runtimeDir];
    // `maintenance on` returns once the peer has taken over; the rig waits for that itself. It is
    // refused while the primary does not yet see its standby as synchronous: the rig found the pair
    // settled by its own query, and the daemon's view is up to one monitor round older.
    const deadline = performance.now() + 10_000;
    for (;;) {
      try {
        await this.lab.exec(host, argv, { timeoutMs: 60_000 });
        return;
      } catch (error) {
        if (!(error instanceof CommandError) || !/Maintenance refused, no peer can take over/.test(error.stderr) || performance.now() > deadline) throw error;
        await sleep(250);
      }
    }
  }

  private startDaemon(host: string): void {
    const node = this.node(host);
    // In its own session, as systemd starts it: the daemon then raises its session's autogroup
    // too (docs/operations.md, Scheduling priority). Sharing the bench's session, its VRRP timers
    // competed with the writers and every other session on the machine as one autogroup, and ran
    // up to 745 ms late under load: a master silent past Master_Down_Interval loses the role.
    node.daemon = this.lab.startDaemon(host, ['run', '--config', node.yamlFile, '--runtime-dir', node.runtimeDir, '--log-format', 'json'], {
      name: `hotstandby-${host}`,
      root: this.root,
    });
    node.daemonLogs.push(node.daemon.logPath);
  }

  private node(host: string): Node {
    const node = this.nodes.get(host);
    if (node === undefined) throw new RangeError(`No hotstandby node in host '${host}'`);
    return node;
  }
}

