/** Shared pieces of the lab integration tests: keepalived.conf text and running hotstandby daemons. */
import { join } from 'node:path';
import type { Lab, LabProcess } from '../lab/index.js';
import { packageRoot } from '../lab/environment.js';

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

  constructor(
    private readonly lab: Lab,
    readonly host: string,
    conf: string,
    name = `hs-${host}`,
  ) {
    this.runtimeDir = join(lab.dir, `${name}-run`);
    const file = lab.writeFile(`${name}.conf`, conf);
    this.process = lab.startDaemon(host, ['run', '--keepalived-conf', file, '--runtime-dir', this.runtimeDir, '--log-format', 'json']);
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

/** The hosts holding `vip`, as a sorted comma-joined string ('' when none). */
export async function holders(lab: Lab, vip: string): Promise<string> {
  return (await lab.vipHolder(vip)).sort().join(',');
}
