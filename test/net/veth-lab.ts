/**
 * Two network namespaces joined by a veth pair, for the root-only socket tests. A Node process
 * lives in one namespace, so each side's work runs as a child (`ip netns exec NS node fixture`)
 * that prints JSON lines: optionally {"ready":true} once listening, then one result object.
 * Addresses: 10.99.0.1/24 + fd00:99::1/64 on side a, .2 / ::2 on side b.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export interface LabSide {
  ns: string;
  ifname: string;
  ifindex: number;
  mac: string;
  ipv4: string;
  ipv6: string;
  linkLocal: string;
}

export interface RunningFixture {
  /** Resolves on the child's {"ready":true} line. */
  ready: Promise<void>;
  /** Resolves with the child's last JSON object once it exits 0; rejects otherwise. */
  result: Promise<Record<string, unknown>>;
  kill(): void;
}

export interface VethLab {
  a: LabSide;
  b: LabSide;
  start(side: LabSide, fixture: string, args: Record<string, unknown>, options?: { strace?: string }): RunningFixture;
  run(side: LabSide, fixture: string, args: Record<string, unknown>): Promise<Record<string, unknown>>;
  /** `ip` in a side's namespace, returning stdout. */
  ip(side: LabSide, ...args: string[]): string;
  destroy(): void;
}

export function isRoot(): boolean {
  return process.getuid?.() === 0;
}

function sh(command: string, args: string[]): string {
  return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function deleteNamespace(ns: string): void {
  try {
    sh('ip', ['netns', 'del', ns]);
  } catch {
    // Already gone.
  }
}

async function waitFor(what: string, condition: () => boolean, deadlineMs = 10_000): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!condition()) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function createVethLab(tag: string): Promise<VethLab> {
  const base = `hsnet-${tag}-${process.pid}`;
  const names = { a: `${base}-a`, b: `${base}-b` };
  const destroy = (): void => {
    deleteNamespace(names.a);
    deleteNamespace(names.b);
  };
  try {
    for (const ns of [names.a, names.b]) {
      sh('ip', ['netns', 'add', ns]);
      sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      // No duplicate address detection: addresses are usable at once and never tentative.
      sh('ip', ['netns', 'exec', ns, 'sysctl', '-qw', 'net.ipv6.conf.all.accept_dad=0', 'net.ipv6.conf.default.accept_dad=0']);
    }
    // Distinct interface indexes, so a test can tell which side's index it got.
    sh('ip', ['link', 'add', 'va', 'netns', names.a, 'index', '11', 'address', '02:99:00:00:00:01', 'type', 'veth',
      'peer', 'name', 'vb', 'netns', names.b, 'index', '22', 'address', '02:99:00:00:00:02']);
    const sides: LabSide[] = [];
    for (const [ns, ifname, host] of [[names.a, 'va', 1], [names.b, 'vb', 2]] as const) {
      sh('ip', ['-n', ns, 'addr', 'add', `10.99.0.${host}/24`, 'dev', ifname]);
      sh('ip', ['-n', ns, 'addr', 'add', `fd00:99::${host}/64`, 'dev', ifname, 'nodad']);
      sh('ip', ['-n', ns, 'link', 'set', ifname, 'up']);
      const link = JSON.parse(sh('ip', ['-n', ns, '-j', 'link', 'show', ifname]))[0] as { ifindex: number; address: string };
      sides.push({ ns, ifname, ifindex: link.ifindex, mac: link.address, ipv4: `10.99.0.${host}`, ipv6: `fd00:99::${host}`, linkLocal: '' });
    }
    for (const side of sides) {
      const linkLocal = (): string => {
        const out = JSON.parse(sh('ip', ['-n', side.ns, '-j', '-6', 'addr', 'show', 'dev', side.ifname, 'scope', 'link']));
        const info = (out[0]?.addr_info ?? []) as { local: string; tentative?: boolean }[];
        return info.find((a) => typeof a.local === 'string' && a.tentative !== true)?.local ?? '';
      };
      await waitFor(`a link-local address on ${side.ifname}`, () => linkLocal() !== '');
      side.linkLocal = linkLocal();
      await waitFor(`carrier on ${side.ifname}`, () => sh('ip', ['-n', side.ns, 'link', 'show', side.ifname]).includes('LOWER_UP'));
    }
    const [a, b] = sides as [LabSide, LabSide];
    const start: VethLab['start'] = (side, fixture, args, options) => startFixture(side.ns, fixture, args, options?.strace);
    return {
      a,
      b,
      start,
      run: (side, fixture, args) => start(side, fixture, args).result,
      ip: (side, ...args) => sh('ip', ['-n', side.ns, ...args]),
      destroy,
    };
  } catch (error) {
    destroy();
    throw error;
  }
}

function startFixture(ns: string, fixture: string, args: Record<string, unknown>, strace?: string): RunningFixture {
  const script = fileURLToPath(new URL(`./fixtures/${fixture}.js`, import.meta.url));
  const node = [process.execPath, script, JSON.stringify(args)];
  const command = strace === undefined ? node : ['strace', '-f', '-c', '-o', strace, ...node];
  const child = spawn('ip', ['netns', 'exec', ns, ...command], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk;
  });
  let last: Record<string, unknown> | undefined;
  let markReady: () => void = () => {};
  let failReady: (error: Error) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    failReady = reject;
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      return;
    }
    if (typeof parsed !== 'object' || parsed === null) return;
    if ((parsed as { ready?: unknown }).ready === true) markReady();
    else last = parsed as Record<string, unknown>;
  });
  const result = new Promise<Record<string, unknown>>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0 && last !== undefined) resolve(last);
      else reject(new Error(`Fixture ${fixture} in ${ns} ended with ${signal ?? `code ${code}`}: ${stderr.trim()}`));
    });
  });
  result.catch((error: Error) => failReady(error));
  return { ready, result, kill: () => child.kill() };
}
