/**
 * Runs the installed keepalived on a configuration inside a throwaway network namespace and
 * returns its configuration dump (`keepalived -d`), parsed into the instance fields we compare.
 * keepalived is stopped as soon as the dump is complete; the namespace only holds veth pairs
 * with 10.99.x.x addresses, and is always deleted.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const KEEPALIVED = '/usr/sbin/keepalived';

export function oracleUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root: runs keepalived in a network namespace';
  if (!existsSync(KEEPALIVED)) return `needs ${KEEPALIVED}`;
  return undefined;
}

export interface DumpedInstance {
  name: string;
  version: number;
  wantState: string;
  priority: number;
  advertIntervalMs: number;
  accept: boolean;
  preempt: boolean;
  preemptDelayMs: number;
  vips: string[];
  excludedVips: string[];
  unicastPeers: string[];
  trackInterfaces: string[];
  trackScripts: string[];
  /** "NAME, weight N" as keepalived prints tracked files and processes. */
  trackFiles: string[];
  trackProcesses: string[];
  garp: number[];
  authPass?: string;
}

function ip(args: string[]): void {
  const result = spawnSync('ip', args, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`ip ${args.join(' ')}: ${result.stderr}`);
}

/** keepalived's address line without the IPv6 lifetime notes it adds. */
function addressLine(line: string): string {
  return line.trim().replace(/ (deprecated|preferred_lft forever)$/, '');
}

export function parseDump(text: string): DumpedInstance[] {
  const instances: DumpedInstance[] = [];
  let current: DumpedInstance | undefined;
  let list: string[] | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/^\w{3} \w{3} +\d+ [\d:]+ \d{4}: /, '');
    // Every dump line is indented; the parent's and the VRRP child's log messages, which can land
    // between a list header and its entries, are not (one did, and emptied a VIP list).
    if (line !== '' && !line.startsWith(' ') && !line.startsWith('------<')) continue;
    if (line.startsWith('------<')) {
      current = undefined;
      list = undefined;
      continue;
    }
    const start = /^ VRRP Instance = (.+)$/.exec(line);
    if (start) {
      current = {
        name: start[1] as string,
        version: 0,
        wantState: '',
        priority: 0,
        advertIntervalMs: 0,
        accept: false,
        preempt: false,
        preemptDelayMs: 0,
        vips: [],
        excludedVips: [],
        unicastPeers: [],
        trackInterfaces: [],
        trackScripts: [],
        trackFiles: [],
        trackProcesses: [],
        garp: [0, 0, 0, 0],
      };
      instances.push(current);
      list = undefined;
      continue;
    }
    if (!current) continue;
    if (list && line.startsWith('     ')) {
      list.push(addressLine(line));
      continue;
    }
    list = undefined;
    const [key, value = ''] = line.trim().split(' = ') as [string, string | undefined];
    if (line.startsWith('   Virtual IP (')) list = current.vips;
    else if (line.startsWith('   Virtual IP Excluded')) list = current.excludedVips;
    else if (line.startsWith('   Unicast Peer')) list = current.unicastPeers;
    else if (line.startsWith('   Tracked interfaces')) list = current.trackInterfaces;
    else if (line.startsWith('   Tracked scripts')) list = current.trackScripts;
    else if (line.startsWith('   Tracked files')) list = current.trackFiles;
    else if (line.startsWith('   Tracked processes')) list = current.trackProcesses;
    else if (key === 'VRRP Version') current.version = Number(value);
    else if (key === 'Wantstate') current.wantState = value;
    else if (key === 'Priority') current.priority = Number(value);
    else if (key === 'Advert interval') current.advertIntervalMs = value.endsWith('milli-sec') ? parseInt(value, 10) : parseInt(value, 10) * 1000;
    else if (key === 'Accept') current.accept = value === 'enabled';
    else if (key === 'Preempt') current.preempt = value === 'enabled';
    else if (key === 'Preempt delay') current.preemptDelayMs = parseFloat(value) * 1000;
    else if (key === 'Password') current.authPass = value;
    else if (key === 'Gratuitous ARP delay') current.garp[0] = Number(value) * 1000;
    else if (key === 'Gratuitous ARP repeat') current.garp[1] = Number(value);
    else if (key === 'Gratuitous ARP refresh') current.garp[2] = Number(value) * 1000;
    else if (key === 'Gratuitous ARP refresh repeat') current.garp[3] = Number(value);
  }
  for (const instance of instances) instance.unicastPeers = instance.unicastPeers.map((p) => p.split(' ')[0] as string);
  return instances;
}

/** keepalived's dump of `configText`, parsed. */
export async function keepalivedDump(configText: string): Promise<DumpedInstance[]> {
  const namespace = `hsbcfg${process.pid}`;
  const dir = await mkdtemp(join(tmpdir(), 'hotstandby-oracle-'));
  ip(['netns', 'add', namespace]);
  try {
    ip(['-n', namespace, 'link', 'set', 'lo', 'up']);
    for (const [index, name] of ['eth0', 'eth1'].entries()) {
      ip(['-n', namespace, 'link', 'add', name, 'type', 'veth', 'peer', 'name', `peer${index}`]);
      ip(['-n', namespace, 'link', 'set', name, 'up']);
      ip(['-n', namespace, 'link', 'set', `peer${index}`, 'up']);
      ip(['-n', namespace, 'addr', 'add', `10.99.${index}.1/24`, 'dev', name]);
    }
    const configFile = join(dir, 'keepalived.conf');
    await writeFile(configFile, configText);
    const args = ['netns', 'exec', namespace, KEEPALIVED, '-n', '-l', '-D', '-d', '-P', '-G', '-f', configFile, '-p', join(dir, 'k.pid'), '-r', join(dir, 'v.pid')];
    const child = spawn('ip', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const done = new Promise<void>((resolve, reject) => {
      const deadline = setTimeout(() => reject(new Error(`keepalived gave no complete dump in 20 s:\n${output}`)), 20_000);
      const onData = (chunk: Buffer): void => {
        output += chunk.toString();
        if (output.includes('------< Interfaces >------')) {
          clearTimeout(deadline);
          resolve();
        }
      };
      child.stdout.on('data', onData);
      child.stderr.on('data', onData);
      child.on('exit', () => {
        clearTimeout(deadline);
        if (output.includes('------< Interfaces >------')) resolve();
        else reject(new Error(`keepalived exited before its dump:\n${output}`));
      });
    });
    try {
      await done;
    } finally {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
    }
    return parseDump(output);
  } finally {
    spawnSync('ip', ['netns', 'del', namespace]);
    await rm(dir, { recursive: true, force: true });
  }
}
