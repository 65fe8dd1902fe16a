/**
 * A throwaway network for integration tests and benchmarks: one network namespace per host,
 * all wired to a bridge in a "switch" namespace, with processes (keepalived, hotstandby, probers,
 * captures) run inside the hosts, link cuts, loss and delay, and observers for the VIP.
 *
 *   const lab = await Lab.create({ hosts: ['a', 'b', 'client'] });
 *   try { … } finally { await lab.destroy(); }
 *
 * Everything is removed by destroy(), by the exit and signal handlers if a test process ends
 * without it, and by the next Lab.create after a process was killed outright (SIGKILL).
 */
import { HttpProber } from './http-prober.js';
import type { HttpClientConfig } from './http-client-process.js';
import { randomInt } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Capture, tcpdumpCommand, type CaptureOptions } from './capture.js';
import { packageRoot } from './environment.js';
import { validateImpairment, type Impairment } from './impairment.js';
import { KeepalivedInstance, keepalivedCheckCommand, keepalivedPaths, keepalivedRunCommand } from './keepalived.js';
import { LabProcess } from './lab-process.js';
import {
  BRIDGE,
  HOST_INTERFACE,
  LAB_DIR_PREFIX,
  MAX_LAB_ID,
  MIN_LAB_ID,
  SWITCH_ROLE,
  hostIpv4,
  hostIpv6,
  hostMac,
  namespaceName,
  parseNamespaceName,
  switchInterfaces,
  validateHostNames,
  vipIpv4,
  vipIpv6,
} from './naming.js';
import { listNamespaces, removeNamespace, removeNamespaceSync, sweepStaleLabs } from './namespaces.js';
import { ensureReaper } from './reaper.js';
import { KEPT_MARKER, sweepStaleDirs } from './stale-dirs.js';
import { nodeEntryCommand } from './node-entry.js';
import { Prober, type ProberOptions } from './prober.js';
import type { ProberConfig } from './prober-process.js';
import { Relay, type RelayStats } from './relay.js';
import type { RelayConfig } from './relay-process.js';
import { inNamespace, run, type CommandResult, type RunOptions } from './shell.js';
import {
  addRelayPorts,
  attachToBridge,
  bridgePortOf,
  createHost,
  createSwitch,
  detachFromBridge,
  setHostPeer,
  type HostPlan,
} from './topology.js';

export interface LabOptions {
  /** Host names: a lowercase letter and up to 11 letters or digits; 'switch' is reserved. */
  hosts: readonly string[];
  /** Global IPv6 addresses (and link-local) on the hosts; default true. */
  ipv6?: boolean;
  /** Seed of the impairment relays' random numbers; default fixed per lab id. */
  seed?: number;
  /**
   * Segmentation offload kept on the hosts' links, as a server's NIC has it (TCP hands the veth
   * frames of up to 64 KiB, one per send, and the receiver gets them whole); default false: one
   * segment per frame, which the impairment relays need. A lab with offloads cannot be impaired.
   */
  offloads?: boolean;
  /** Keep the lab directory (logs, configs, captures) after destroy; default: env HS_LAB_KEEP=1. */
  keepFiles?: boolean;
  /**
   * Start this process's reaper (reaper.ts: removes its labs if it dies without cleaning up);
   * default true. false leaves that to the next Lab.create's sweep (the sweep's own tests).
   */
  reaper?: boolean;
}

export interface LabHost {
  name: string;
  /** The host's network namespace (for `ip netns exec`). */
  ns: string;
  /** Its one interface towards the switch (the same name in every host). */
  iface: string;
  ipv4: string;
  /** Undefined when the lab was created with ipv6: false. */
  ipv6: string | undefined;
  linkLocal: string | undefined;
  mac: string;
}

export interface CutOptions {
  /**
   * true (default): the switch side goes down, so the host sees carrier loss on its interface —
   * a cable pulled at the host, which keepalived and hotstandby notice as interface down.
   * false: the host stays linked up but nothing passes — a failure further away (a dead switch
   * port), noticed only through missing adverts.
   */
  carrier?: boolean;
}

export type ImpairmentDirection = 'from-host' | 'to-host' | 'both';

export interface ImpairmentOptions extends Impairment {
  /** Which frames are impaired; default 'from-host' (what the host sends, like netem on its eth0). */
  direction?: ImpairmentDirection;
}

export interface SpawnOptions {
  /** Label for logs and messages; default the command's name. */
  name?: string;
  stdin?: 'ignore' | 'pipe';
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /** Its own session (setsid), as systemd starts a service; see LabProcessOptions. */
  ownSession?: boolean;
}

interface HostState {
  host: LabHost;
  relay: Relay | undefined;
  cut: { carrier: boolean } | undefined;
}

/** Lab ids and namespaces of labs on this machine, to choose an unused id. */
async function usedLabIds(): Promise<Set<number>> {
  const ids = new Set<number>();
  for (const name of await listNamespaces()) {
    const owner = parseNamespaceName(name);
    if (owner) ids.add(owner.labId);
  }
  return ids;
}

function normaliseAddress(address: string): string {
  if (!address.includes(':')) return address;
  try {
    return new URL(`http://[${address}]/`).hostname.slice(1, -1);
  } catch {
    return address.toLowerCase();
  }
}

export class Lab {
  readonly id: number;
  /** Work directory: logs, configs, captures. */
  readonly dir: string;
  readonly switchNs: string;
  readonly ipv6: boolean;

  private readonly hostStates = new Map<string, HostState>();
  private readonly processes = new Set<LabProcess>();
  private readonly fileNames = new Map<string, number>();
  private readonly namespaces: string[] = [];
  private readonly seed: number;
  private readonly offloads: boolean;
  private readonly keepFiles: boolean;
  private destroyed = false;

  private readonly exitListener = (): void => this.destroySync();
  private readonly signalListener = (signal: NodeJS.Signals): void => {
    this.destroySync();
    // Our listener replaced the default action; when nobody else handles the signal, end as it asked.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };

  private constructor(id: number, options: LabOptions) {
    this.id = id;
    this.ipv6 = options.ipv6 ?? true;
    this.offloads = options.offloads ?? false;
    this.seed = options.seed ?? id * 7919;
    this.keepFiles = options.keepFiles ?? process.env.HS_LAB_KEEP === '1';
    this.switchNs = namespaceName(process.pid, id, SWITCH_ROLE);
    this.dir = mkdtempSync(join(tmpdir(), `${LAB_DIR_PREFIX}${process.pid}-${id}-`));
    // Kept for reading after this process ends: the next lab's sweep must leave it.
    if (this.keepFiles) writeFileSync(join(this.dir, KEPT_MARKER), '');
  }

  /** Builds a lab. Sweeps leftovers of dead processes first; cleans up after itself if it fails. */
  static async create(options: LabOptions): Promise<Lab> {
    validateHostNames(options.hosts);
    await sweepStaleLabs();
    // After the namespaces: their processes (a PostgreSQL writing its data directory) are gone now.
    sweepStaleDirs(LAB_DIR_PREFIX);
    const used = await usedLabIds();
    const free: number[] = [];
    for (let id = MIN_LAB_ID; id <= MAX_LAB_ID; id++) if (!used.has(id)) free.push(id);
    if (free.length === 0) throw new RangeError(`All ${MAX_LAB_ID} lab ids are in use`);
    const lab = new Lab(free[randomInt(free.length)] as number, options);
    lab.registerCleanup();
    if (options.reaper ?? true) ensureReaper();
    try {
      await lab.build(options.hosts);
    } catch (error) {
      await lab.destroy().catch(() => {
        /* the build error is the one worth reporting */
      });
      throw error;
    }
    return lab;
  }

  private async build(hostNames: readonly string[]): Promise<void> {
    this.namespaces.push(this.switchNs);
    await createSwitch(this.switchNs);
    const plans: HostPlan[] = hostNames.map((name, index) => ({
      name,
      ns: namespaceName(process.pid, this.id, name),
      mac: hostMac(this.id, index),
      ipv4: hostIpv4(this.id, index),
      ipv6: this.ipv6 ? hostIpv6(this.id, index) : undefined,
    }));
    this.namespaces.push(...plans.map((plan) => plan.ns));
    const linkLocals = await Promise.all(plans.map((plan) => createHost(plan, this.switchNs, this.offloads)));
    plans.forEach((plan, index) => {
      const host: LabHost = Object.freeze({
        name: plan.name,
        ns: plan.ns,
        iface: HOST_INTERFACE,
        ipv4: plan.ipv4,
        ipv6: plan.ipv6,
        linkLocal: linkLocals[index],
        mac: plan.mac,
      });
      this.hostStates.set(plan.name, { host, relay: undefined, cut: undefined });
    });
  }

  // ── hosts and addresses ──────────────────────────────────────────────────────────────────

  host(name: string): LabHost {
    return this.state(name).host;
  }

  hosts(): LabHost[] {
    return [...this.hostStates.values()].map((state) => state.host);
  }

  /** An unused IPv4 address of the lab subnet for a virtual address (n = 0…99). */
  vip4(n = 0): string {
    return vipIpv4(this.id, n);
  }

  /** An unused IPv6 address of the lab subnet for a virtual address (n = 0…99). */
  vip6(n = 0): string {
    return vipIpv6(this.id, n);
  }

  // ── running things ───────────────────────────────────────────────────────────────────────

  /** Runs a command in a host (or 'switch') to completion; throws CommandError with stderr. */
  exec(host: string, command: readonly string[], options?: RunOptions): Promise<CommandResult> {
    return run(inNamespace(this.namespaceOf(host), command), options);
  }

  /** Starts a long-running process in a host (or 'switch'); it is killed at the latest by destroy(). */
  spawn(host: string, command: readonly string[], options: SpawnOptions = {}): LabProcess {
    this.assertLive();
    const name = options.name ?? `${host}-${(command[0] ?? 'process').split('/').pop()}`;
    const child = new LabProcess({
      name,
      ns: this.namespaceOf(host),
      command,
      logPath: this.uniquePath(`${name}.log`),
      stdin: options.stdin,
      env: options.env,
      cwd: options.cwd,
      ownSession: options.ownSession,
    });
    this.processes.add(child);
    return child;
  }

  /** Writes a file into the lab directory (configs for daemons); returns its path. */
  writeFile(name: string, text: string): string {
    const path = this.uniquePath(name);
    writeFileSync(path, text);
    return path;
  }

  /**
   * Runs keepalived 2.2.7 with `config` in `host`, in its own session as systemd starts it (the
   * footing of startDaemon), and rejects with keepalived's words on a bad config.
   */
  async startKeepalived(host: string, config: string, options: { name?: string } = {}): Promise<KeepalivedInstance> {
    const name = options.name ?? `keepalived-${host}`;
    const dir = this.uniquePath(name);
    mkdirSync(dir);
    const paths = keepalivedPaths(dir);
    writeFileSync(paths.config, config);
    try {
      await this.exec(host, keepalivedCheckCommand(paths));
    } catch (error) {
      throw new Error(`keepalived rejects the config for ${host} (${paths.config}): ${(error as Error).message}`);
    }
    return new KeepalivedInstance(this.spawn(host, keepalivedRunCommand(paths), { name, ownSession: true }), dir, paths);
  }

  /**
   * Runs `node bin/hotstandby …args` in `host`, from the repository root (or `options.root`, the
   * benchmark's snapshot), in its own session as systemd would (its session's autogroup gets the
   * daemon's priority: process-priority.ts).
   */
  startDaemon(host: string, args: readonly string[], options: SpawnOptions & { root?: string } = {}): LabProcess {
    const root = options.root ?? packageRoot();
    return this.spawn(host, [process.execPath, join(root, 'bin', 'hotstandby'), ...args], {
      name: options.name ?? `hotstandby-${host}`,
      cwd: options.cwd ?? root,
      env: options.env,
      stdin: options.stdin,
      ownSession: true,
    });
  }

  // ── faults ───────────────────────────────────────────────────────────────────────────────

  /** Cuts the host off the switch (see CutOptions for the two kinds). */
  async cutLink(host: string, options: CutOptions = {}): Promise<void> {
    const state = this.state(host);
    if (state.cut) throw new Error(`The link of host '${host}' is already cut`);
    const carrier = options.carrier ?? true;
    if (carrier) await setHostPeer(this.switchNs, host, false);
    else await detachFromBridge(this.switchNs, bridgePortOf(host, state.relay !== undefined));
    state.cut = { carrier };
  }

  /** Undoes cutLink; does nothing when the link is not cut. */
  async healLink(host: string): Promise<void> {
    const state = this.state(host);
    if (!state.cut) return;
    if (state.cut.carrier) await setHostPeer(this.switchNs, host, true);
    else await attachToBridge(this.switchNs, bridgePortOf(host, state.relay !== undefined));
    state.cut = undefined;
  }

  /**
   * Loss, delay and jitter on the host's link, by a userspace relay (this kernel has no netem;
   * see README.md). The first call puts the relay in the path; later calls change the settings;
   * `setImpairment(host, {})` makes it a plain wire again.
   */
  async setImpairment(host: string, impairment: ImpairmentOptions): Promise<void> {
    const state = this.state(host);
    if (this.offloads) throw new Error(`Cannot impair ${host}: the lab keeps segmentation offload on its links (offloads: true), and the relay handles only single-segment frames`);
    const direction = impairment.direction ?? 'from-host';
    if (!['from-host', 'to-host', 'both'].includes(direction)) {
      throw new TypeError(`Impairment direction '${String(direction)}' is not 'from-host', 'to-host' or 'both'`);
    }
    const settings = validateImpairment(impairment);
    const none = validateImpairment({});
    const fromHost = direction === 'to-host' ? none : settings;
    const toHost = direction === 'from-host' ? none : settings;
    if (!state.relay) state.relay = await this.insertRelay(state, fromHost, toHost);
    else await state.relay.apply(fromHost, toHost);
  }

  /** Frame counters of the host's relay (undefined when the host was never impaired). */
  async impairmentStats(host: string): Promise<RelayStats | undefined> {
    return this.state(host).relay?.stats();
  }

  private async insertRelay(state: HostState, fromHost: Impairment, toHost: Impairment): Promise<Relay> {
    const name = state.host.name;
    const names = switchInterfaces(name);
    await addRelayPorts(this.switchNs, name);
    const config: RelayConfig = {
      hostSide: names.hostPeer,
      switchSide: names.relayPeer,
      seed: (this.seed + this.hosts().findIndex((h) => h.name === name)) >>> 0,
      fromHost,
      toHost,
    };
    const child = this.spawn(SWITCH_ROLE, nodeEntryCommand(new URL('./relay-process.js', import.meta.url).href, 'runRelay', config), {
      name: `relay-${name}`,
      stdin: 'pipe',
    });
    const relay = await new Relay(child).ready();
    // Swap the bridge port: from here on the host's frames pass through the relay.
    // A host cut without carrier loss stays off the bridge.
    await detachFromBridge(this.switchNs, names.hostPeer);
    if (!state.cut || state.cut.carrier) await attachToBridge(this.switchNs, names.bridgePort);
    return relay;
  }

  // ── observers ────────────────────────────────────────────────────────────────────────────

  /** Names of the hosts that have `address` on an interface (normally zero or one). */
  async vipHolder(address: string): Promise<string[]> {
    const wanted = normaliseAddress(address);
    const holders = await Promise.all(
      this.hosts().map(async (host) => {
        const { stdout } = await run(['ip', '-n', host.ns, '-o', 'addr', 'show']);
        const found = stdout.split('\n').some((line) => {
          const match = /\sinet6?\s+([0-9a-fA-F.:]+)\//.exec(line);
          return match !== null && normaliseAddress(match[1] as string) === wanted;
        });
        return found ? host.name : undefined;
      }),
    );
    return holders.filter((name): name is string => name !== undefined);
  }

  /** The MAC address `host` has in its neighbour table for `address`, or undefined (none, or unresolved). */
  async arpEntry(host: string, address: string): Promise<string | undefined> {
    return (await this.neighbour(host, address))?.mac;
  }

  /** The neighbour entry with its state (REACHABLE, STALE, FAILED, …), or undefined when there is none. */
  async neighbour(host: string, address: string): Promise<{ mac: string | undefined; state: string } | undefined> {
    const { stdout } = await run(['ip', '-n', this.namespaceOf(host), 'neigh', 'show', 'to', address, 'dev', HOST_INTERFACE]);
    const line = stdout.split('\n').find((l) => l.trim().length > 0);
    if (!line) return undefined;
    const mac = /lladdr ([0-9a-f:]{17})/.exec(line)?.[1];
    const state = line.trim().split(/\s+/).pop() ?? '';
    return { mac, state };
  }

  /**
   * Pings `target` from `host` at a steady interval until stop(), which reports losses and the
   * longest outage. Resolves once the first reply has come back.
   */
  async startProber(host: string, target: string, options: ProberOptions = {}): Promise<Prober> {
    const family = target.includes(':') ? 6 : 4;
    const config: ProberConfig = {
      target,
      family,
      intervalMs: options.intervalMs ?? 10,
      drainMs: options.drainMs ?? 1000,
      scopeInterface: family === 6 && target.toLowerCase().startsWith('fe80:') ? HOST_INTERFACE : undefined,
    };
    const child = this.spawn(host, nodeEntryCommand(new URL('./prober-process.js', import.meta.url).href, 'runProber', config), {
      name: `prober-${host}`,
      stdin: 'pipe',
    });
    return new Prober(target, child).started(options.firstReplyTimeoutMs ?? 15_000);
  }

  /**
   * A client in `host` that GETs `url` every intervalMs on fresh connections, not waiting for
   * answers (see http-client-process.ts); the web services answer "node NAME".
   */
  startHttpProber(host: string, url: string, options: { intervalMs?: number; timeoutMs?: number; maxMs?: number } = {}): HttpProber {
    const config: HttpClientConfig = {
      url,
      intervalMs: options.intervalMs ?? 20,
      timeoutMs: options.timeoutMs ?? 500,
      maxMs: options.maxMs,
    };
    const child = this.spawn(host, nodeEntryCommand(new URL('./http-client-process.js', import.meta.url).href, 'runHttpClient', config), {
      name: `http-prober-${host}`,
      // The lab directory marks the process as this lab's (for the checks that nothing is left).
      cwd: this.dir,
    });
    return new HttpProber(child);
  }

  /** Starts tcpdump in `host` (or 'switch', on the bridge) and resolves once it is listening. */
  async capture(host: string, filter = '', options: CaptureOptions = {}): Promise<Capture> {
    const name = options.name ?? `capture-${host}`;
    const path = this.uniquePath(`${name}.pcap`);
    const iface = options.iface ?? (host === SWITCH_ROLE ? BRIDGE : HOST_INTERFACE);
    const child = this.spawn(host, tcpdumpCommand(iface, path, filter), { name });
    return new Capture(path, child).ready();
  }

  /** Tail of every process log, for a failing test's diagnostics. */
  async logs(maxLinesEach = 40): Promise<string> {
    const parts: string[] = [];
    for (const child of this.processes) {
      const text = await child.readLog().catch(() => '(no log)');
      parts.push(`── ${child.name} (${child.logPath})\n${text.split('\n').slice(-maxLinesEach).join('\n')}`);
    }
    return parts.join('\n');
  }

  // ── teardown ─────────────────────────────────────────────────────────────────────────────

  /** Kills every process and removes every namespace (and the directory unless keepFiles). */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    this.destroyed = true;
    const errors: unknown[] = [];
    await Promise.all([...this.processes].map((child) => child.stop('SIGKILL', { timeoutMs: 5000 }).catch((e) => errors.push(e))));
    await Promise.all(this.namespaces.map((ns) => removeNamespace(ns).catch((e) => errors.push(e))));
    if (!this.keepFiles) rmSync(this.dir, { recursive: true, force: true });
    this.unregisterCleanup();
    if (errors.length > 0) throw new AggregateError(errors, `Lab ${this.id} was not completely removed`);
  }

  private destroySync(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.unregisterCleanup();
    for (const child of this.processes) child.killNow();
    for (const ns of this.namespaces) removeNamespaceSync(ns);
    if (!this.keepFiles) rmSync(this.dir, { recursive: true, force: true });
  }

  private registerCleanup(): void {
    process.on('exit', this.exitListener);
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, this.signalListener);
  }

  private unregisterCleanup(): void {
    process.off('exit', this.exitListener);
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(signal, this.signalListener);
  }

  // ── helpers ──────────────────────────────────────────────────────────────────────────────

  private state(name: string): HostState {
    const state = this.hostStates.get(name);
    if (!state) throw new TypeError(`Lab has no host '${name}' (hosts: ${[...this.hostStates.keys()].join(', ')})`);
    return state;
  }

  private namespaceOf(host: string): string {
    return host === SWITCH_ROLE ? this.switchNs : this.state(host).host.ns;
  }

  private assertLive(): void {
    if (this.destroyed) throw new Error(`Lab ${this.id} has been destroyed`);
  }

  /** A path in the lab directory that no earlier call returned (name, name-2, name-3, …). */
  private uniquePath(name: string): string {
    const count = (this.fileNames.get(name) ?? 0) + 1;
    this.fileNames.set(name, count);
    if (count === 1) return join(this.dir, name);
    const dot = name.lastIndexOf('.');
    return join(this.dir, dot > 0 ? `${name.slice(0, dot)}-${count}${name.slice(dot)}` : `${name}-${count}`);
  }
}
