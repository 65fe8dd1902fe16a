/** Shared pieces of the lab integration tests: keepalived.conf text and running hotstandby daemons. */
import { readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { waitFor, type Lab, type LabProcess } from '../../src/lab/index.js';
import { packageRoot } from '../../src/lab/environment.js';
import type { DaemonStatus } from '../../src/api/control-api.js';
import type { ResourceStatus } from '../../src/resources/group.js';
import { controlSocketPath, getJson } from '../../src/api/control-socket.js';
import { ipPacketOf } from '../../src/pcap/captured-packet.js';
import { LINKTYPE_ETHERNET } from '../../src/pcap/capture-record.js';
import { readCapture } from '../../src/pcap/read-capture.js';
import { VRRP_PROTOCOL, type Advert } from '../../src/vrrp/advert.js';
import { parseIp } from '../../src/vrrp/ip-address.js';
import { validateAdvert } from '../../src/vrrp/validate.js';
import { sessionOf } from '../../src/daemon/process-priority.js';

export interface InstanceSpec {
  priority: number;
  version: 2 | 3;
  /** keepalived's advert_int, seconds (fractions with v3). */
  advertInt: number;
  vips: string[];
  vrid?: number;
  authPass?: string;
  nopreempt?: boolean;
  unicastSource?: string;
  unicastPeers?: string[];
  name?: string;
}

/** keepalived.conf text (the same text runs keepalived and `hotstandby run --keepalived-conf`). */
export function keepalivedConf(spec: InstanceSpec): string {
  const lines = [
    'global_defs {',
    '  vrrp_garp_master_delay 1',
    '}',
    `vrrp_instance ${spec.name ?? 'VI_1'} {`,
    '  state BACKUP',
    '  interface eth0',
    `  virtual_router_id ${spec.vrid ?? 51}`,
    `  priority ${spec.priority}`,
    `  advert_int ${spec.advertInt}`,
    `  version ${spec.version}`,
  ];
  if (spec.nopreempt) lines.push('  nopreempt');
  if (spec.authPass !== undefined) lines.push('  authentication {', '    auth_type PASS', `    auth_pass ${spec.authPass}`, '  }');
  if (spec.unicastSource !== undefined) lines.push(`  unicast_src_ip ${spec.unicastSource}`);
  if (spec.unicastPeers !== undefined) lines.push('  unicast_peer {', ...spec.unicastPeers.map((p) => `    ${p}`), '  }');
  lines.push('  virtual_ipaddress {', ...spec.vips.map((v) => `    ${v}`), '  }', '}');
  return `${lines.join('\n')}\n`;
}

export interface StatusInstance {
  name: string;
  vrid: number;
  interface: string;
  state: 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT';
  priority: number;
  effectivePriority: number;
  vips: string[];
  masterAddress: string | null;
  drops: Record<string, number>;
}

/** A hotstandby daemon in a lab host, with its own runtime directory. */
export class HotstandbyNode {
  readonly process: LabProcess;
  readonly runtimeDir: string;
  readonly configFile: string;

  constructor(
    private readonly lab: Lab,
    readonly host: string,
    conf: string,
    name = `hs-${host}`,
  ) {
    this.runtimeDir = join(lab.dir, `${name}-run`);
    this.configFile = lab.writeFile(`${name}.conf`, conf);
    this.process = lab.startDaemon(host, ['run', '--keepalived-conf', this.configFile, '--runtime-dir', this.runtimeDir, '--log-format', 'json']);
  }

  /** Replaces the daemon's configuration file (then `hotstandby reload` or SIGHUP applies it). */
  rewriteConfig(conf: string): void {
    writeFileSync(this.configFile, conf);
  }

  async status(): Promise<StatusInstance[]> {
    const result = await this.lab.exec(this.host, [
      process.execPath,
      join(packageRoot(), 'bin', 'hotstandby'),
      'status',
      '--runtime-dir',
      this.runtimeDir,
      '--json',
    ]);
    return (JSON.parse(result.stdout) as { instances: StatusInstance[] }).instances;
  }

  /**
   * The daemon's full status straight from its control socket (a unix socket path, reachable from
   * any namespace): also what `status --json` leaves out, such as drops no instance claims.
   */
  async controlStatus(): Promise<DaemonStatus> {
    return (await getJson(controlSocketPath(this.runtimeDir), '/v1/status')) as DaemonStatus;
  }

  /** State of the first instance, or undefined while the daemon does not answer yet. */
  async state(): Promise<string | undefined> {
    try {
      return (await this.status())[0]?.state;
    } catch {
      return undefined;
    }
  }

  async stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.process.stop('SIGTERM');
  }
}

/**
 * A hotstandby daemon in a lab host run from a YAML file (`<host>.yaml` in the lab directory,
 * written by the test), restartable, read through its control socket: the resource tests' node.
 */
export class YamlDaemonNode {
  process!: LabProcess;
  readonly runtimeDir: string;
  readonly yamlFile: string;

  constructor(
    readonly lab: Lab,
    readonly host: string,
  ) {
    this.runtimeDir = join(lab.dir, `hs-${host}-run`);
    this.yamlFile = join(lab.dir, `${host}.yaml`);
  }

  start(): LabProcess {
    this.process = this.lab.startDaemon(this.host, ['run', '--config', this.yamlFile, '--runtime-dir', this.runtimeDir, '--log-format', 'json']);
    return this.process;
  }

  /** State of the first instance, or undefined while the daemon does not answer. */
  async state(): Promise<string | undefined> {
    try {
      return ((await getJson(controlSocketPath(this.runtimeDir), '/v1/status')) as { instances: Array<{ state: string }> }).instances[0]?.state;
    } catch {
      return undefined;
    }
  }

  async resources(): Promise<ResourceStatus[]> {
    return ((await getJson(controlSocketPath(this.runtimeDir), '/v1/resources')) as { resources: ResourceStatus[] }).resources;
  }

  /** The first resource, or undefined while the daemon does not answer. */
  async resource(): Promise<ResourceStatus | undefined> {
    try {
      return (await this.resources())[0];
    } catch {
      return undefined;
    }
  }
}

/** The hosts holding `vip`, as a sorted comma-joined string ('' when none). */
export async function holders(lab: Lab, vip: string): Promise<string> {
  return (await lab.vipHolder(vip)).sort().join(',');
}

/** The states a daemon entered, in order, from the "FROM → TO" lines of its JSON log. */
/** States entered, in order, from the daemon's JSON log (only `instance`'s when given). */
export async function transitionsOf(node: HotstandbyNode, instance?: string): Promise<string[]> {
  const states: string[] = [];
  for (const line of (await node.process.readLog()).split('\n')) {
    if (!line.startsWith('{')) continue;
    let record: { msg?: unknown; instance?: unknown };
    try {
      record = JSON.parse(line) as { msg?: unknown; instance?: unknown };
    } catch {
      continue;
    }
    if (instance !== undefined && record.instance !== instance) continue;
    const match = typeof record.msg === 'string' ? /^(INIT|BACKUP|MASTER|FAULT) → (INIT|BACKUP|MASTER|FAULT)$/.exec(record.msg) : null;
    if (match) states.push(match[2] as string);
  }
  return states;
}

/** One VRRP packet of a capture file, decoded by the project's own pcap reader and validator. */
export interface CapturedAdvert {
  /** Seconds since the epoch. */
  time: number;
  /** Ethernet destination address (lowercase, colons); undefined for other link types. */
  destinationMac: string | undefined;
  source: string;
  destination: string;
  ttl: number;
  /** "ok" or the drop reason of the receive checks that need no instance configuration. */
  verdict: string;
  /** Undefined when the packet is too broken to decode. */
  advert: Advert | undefined;
}

/** Every VRRP packet (IP protocol 112) in a pcap / pcapng file, in capture order. */
export async function capturedAdverts(path: string): Promise<CapturedAdvert[]> {
  const adverts: CapturedAdvert[] = [];
  for (const record of readCapture(await readFile(path))) {
    const ip = ipPacketOf(record);
    if (!ip.ok || ip.packet.protocol !== VRRP_PROTOCOL) continue;
    const { source, destination, ttl, family, payload } = ip.packet;
    const verdict = validateAdvert(payload, { family, source: parseIp(source).bytes, destination: parseIp(destination).bytes, ttl });
    adverts.push({
      time: record.time,
      destinationMac:
        record.linkType === LINKTYPE_ETHERNET && record.data.length >= 6 ? [...record.data.subarray(0, 6)].map((b) => b.toString(16).padStart(2, '0')).join(':') : undefined,
      source,
      destination,
      ttl,
      verdict: verdict.ok ? 'ok' : verdict.reason,
      advert: verdict.advert,
    });
  }
  return adverts;
}

/**
 * Runs a test's body; when it fails, the tail of every lab process log (daemons, keepalived,
 * tcpdump) goes to the test's diagnostics, since the lab directory is gone after destroy().
 */
export async function withLabLogs(t: TestContext, lab: Lab, body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (error) {
    const logs = await lab.logs().catch((e: unknown) => `(no logs: ${String(e)})`);
    // One diagnostic per line: the reporter escapes newlines inside a diagnostic.
    for (const line of logs.split('\n')) t.diagnostic(line);
    throw error;
  }
}

/** The session id of a running process (proc(5)), read as the daemon reads its own. */
export function sessionOfPid(pid: number): number {
  return sessionOf(readFileSync(`/proc/${pid}/stat`, 'utf8'));
}

/** Gratuitous ARPs (requests with sender = target = `vip`) in a capture, by sender MAC, with their times. */
export async function gratuitousArps(path: string, vip: string): Promise<Array<{ time: number; mac: string }>> {
  const ip = Buffer.from(vip.split('.').map(Number));
  const found: Array<{ time: number; mac: string }> = [];
  for (const record of readCapture(await readFile(path))) {
    const frame = record.data;
    if (frame.length < 42 || frame.readUInt16BE(12) !== 0x0806 || frame.readUInt16BE(20) !== 1) continue;
    if (!frame.subarray(28, 32).equals(ip) || !frame.subarray(38, 42).equals(ip)) continue;
    found.push({ time: record.time, mac: [...frame.subarray(22, 28)].map((b) => b.toString(16).padStart(2, '0')).join(':') });
  }
  return found;
}

/**
 * A hotstandby pair on the lab's first VIP of `family` at advert_int 0.1 s, settled: a (priority
 * 150) master with the VIP, b (100) backup, and the client's neighbour entry on a.
 */
export async function settledPair(lab: Lab, family: 4 | 6 = 4): Promise<{ vip: string; a: HotstandbyNode; b: HotstandbyNode }> {
  const vip = family === 4 ? lab.vip4(0) : lab.vip6(0);
  // advert_int 0.1 s; the support config sets vrrp_garp_master_delay 1, so the lower-priority
  // GARPs come as 5 at once and 5 more after 1 s (keepalived's defaults follow those settings).
  const spec = { version: 3 as const, advertInt: 0.1, vips: [`${vip}/${family === 4 ? 24 : 64}`] };
  const a = new HotstandbyNode(lab, 'a', keepalivedConf({ ...spec, priority: 150 }));
  const b = new HotstandbyNode(lab, 'b', keepalivedConf({ ...spec, priority: 100 }));
  await waitFor(async () => (await holders(lab, vip)) === 'a', { description: 'VIP on a', timeoutMs: 15_000 });
  await waitFor(async () => (await b.state()) === 'BACKUP', { description: 'b is BACKUP' });
  await lab.exec('client', ['ping', `-${family}`, '-c', '1', '-W', '2', vip]);
  assert.equal((await lab.neighbour('client', vip))?.mac, lab.host('a').mac, 'the client starts on a');
  return { vip, a, b };
}
