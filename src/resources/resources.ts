/**
 * The resources subsystem: one ResourceGroup per instance or sync group that resources follow,
 * built from the configuration with each kind's driver. The daemon tells it of VRRP transitions
 * (roleChanged) and asks it what the resources do to an instance (penaltyFor: faults and
 * weights, applied with the tracked checks'), and it gates the instances' VIPs through the
 * VipGate port. Reload: groups whose resources are unchanged keep running; changed ones are
 * rebuilt while their instance is not MASTER, and the reload is refused while it is.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { ConfigError } from '../config/config-error.js';
import type { HotstandbyConfig, InstanceConfig } from '../config/model.js';
import type { ResourceConfig } from '../config/resource-model.js';
import { followsText } from '../config/validate-resources.js';
import type { Clock, Logger, Timers } from '../ports/index.js';
import type { ChildPriority } from '../util/child-priority.js';
import type { VrrpState } from '../vrrp/state-machine.js';
import { ResourceGroup, type FenceRunner, type LagAlarmEvent, type ResourceEvent, type ResourceStatus, type VipGate } from './group.js';
import type { GroupPenalty } from './plan.js';
import type { ResourceKinds } from './registry.js';
import type { ResourceDriver, ResourceFollows, ResourceHost, ResourceRole, ResourceVip } from './resource.js';

/** What the subsystem reads of a running instance. */
export interface InstanceFacts {
  state: VrrpState;
  /** The current master's address as this node knows it (its own when MASTER), or null. */
  masterAddress: string | null;
  /** FAULT with the VIPs kept as a refuser (src/vrrp/kept-vips.ts). */
  keptVips?: unknown;
}

export interface ResourcesDeps {
  clock: Clock;
  timers: Timers;
  log: Logger;
  kinds: ResourceKinds;
  /** Parent of each resource's state directory (`<runtime dir>/resources`). */
  stateRoot: string;
  /** What the programs resources start run at (src/util/child-priority.ts); default unchanged. */
  childPriority?: ChildPriority;
  /** The VIP gate of an instance, by name (kept across its rebuilds). */
  gate(instance: string): VipGate;
  fence: FenceRunner;
  onEvent(event: ResourceEvent & { follows: ResourceFollows }): void;
  /** A resource's lag alarm was raised or cleared. */
  onLagAlarm?(event: LagAlarmEvent & { follows: ResourceFollows }): void;
}

export type PenaltyListener = (instances: readonly string[]) => void;

interface Built {
  key: string;
  follows: ResourceFollows;
  configs: readonly ResourceConfig[];
  group: ResourceGroup;
}

/** A reload the resources accept, applied after the instances changed. */
export interface ResourcesReload {
  changes: string[];
  apply(): void;
}

export class Resources {
  private config: HotstandbyConfig;
  private groups = new Map<string, Built>();
  /** Stops of replaced groups still running: a new group for the same target waits for them. */
  private stopping = new Map<string, Promise<void>>();
  private started = false;
  /** The followed instances as last heard of (transitions); INIT before their first. */
  private readonly facts = new Map<string, () => InstanceFacts>();
  private readonly penaltyListeners = new Set<PenaltyListener>();
  private readonly peerActiveListeners = new Set<PenaltyListener>();

  private constructor(
    config: HotstandbyConfig,
    private readonly deps: ResourcesDeps,
  ) {
    this.config = config;
  }

  /** Checks each kind's settings against the host, creates the state directories, builds the groups (not started). */
  static async open(config: HotstandbyConfig, deps: ResourcesDeps): Promise<Resources> {
    const resources = new Resources(config, deps);
    const plans = groupsOf(config);
    for (const configs of plans.values()) await resources.prepareHost(configs);
    for (const [key, configs] of plans) resources.groups.set(key, resources.build(key, configs));
    return resources;
  }

  /** Starts every group in the backup shape; the roles follow from the transitions. */
  start(): void {
    this.started = true;
    for (const built of this.groups.values()) {
      built.group.start();
      built.group.setRole(this.roleOf(built.follows));
    }
  }

  /** The penalty on these instances changed: the daemon re-applies their tracking. */
  onPenaltyChange(listener: PenaltyListener): () => void {
    this.penaltyListeners.add(listener);
    return () => this.penaltyListeners.delete(listener);
  }

  /** A monitor of resources following these instances saw the peer's copy active (VIPs kept as a refuser may go). */
  onPeerActive(listener: PenaltyListener): () => void {
    this.peerActiveListeners.add(listener);
    return () => this.peerActiveListeners.delete(listener);
  }

  /**
   * A VRRP transition of `instance` (`facts` reads it from now on): the groups that follow it
   * (or its sync group) follow.
   */
  roleChanged(instance: string, facts: () => InstanceFacts): void {
    this.facts.set(instance, facts);
    for (const built of this.groups.values()) {
      if (this.instancesOf(built.follows).includes(instance)) built.group.setRole(this.roleOf(built.follows));
    }
  }

  /** What the resources do to `instance` now (tracking applies it with the checks'). */
  penaltyFor(instance: string): GroupPenalty {
    for (const built of this.groups.values()) {
      if (this.instancesOf(built.follows).includes(instance)) return built.group.currentPenalty();
    }
    return { fault: undefined, offset: 0 };
  }

  /**
   * Every running driver with its resource's name and kind, for kind-specific views the
   * composition root wires (PostgreSQL's health endpoints): narrow with the kind, then the
   * driver's own type.
   */
  drivers(): Array<{ name: string; kind: string; driver: ResourceDriver }> {
    return [...this.groups.values()].flatMap((b) => b.group.drivers());
  }

  status(): ResourceStatus[] {
    return [...this.groups.values()].flatMap((b) => b.group.status());
  }

  /**
   * Why no peer could take over the resources following `instance` now, one line per resource
   * that knows ("resource 'db': the peer is not streaming ..."); empty when none objects.
   */
  handoverBlockers(instance: string): string[] {
    const blockers: string[] = [];
    for (const built of this.groups.values()) {
      if (!this.instancesOf(built.follows).includes(instance)) continue;
      for (const { name, driver } of built.group.drivers()) {
        const why = driver.handoverBlocker?.();
        if (why !== undefined) blockers.push(`resource '${name}': ${why}`);
      }
    }
    return blockers;
  }

  /**
   * Checks a reload: groups whose resources changed are refused while their instance (or sync
   * group) is MASTER; the others are rebuilt on apply(). Throws ConfigError naming the resource.
   */
  async prepare(next: HotstandbyConfig): Promise<ResourcesReload> {
    const plans = groupsOf(next);
    const changes: string[] = [];
    const rebuild: Array<[string, readonly ResourceConfig[]]> = [];
    const remove: string[] = [];
    for (const [key, built] of this.groups) {
      const configs = plans.get(key);
      if (configs && sameResources(configs, built.configs)) continue;
      const names = built.configs.map((c) => c.name).join(', ');
      if (built.group.targetRole === 'master') {
        throw new ConfigError(
          `resources following ${followsText(built.follows)} (${names}) would change while it is MASTER: ` +
            'hand over first (maintenance on), reload, then maintenance off; the running configuration is unchanged',
          (configs ?? built.configs)[0]?.source,
          `resources.${(configs ?? built.configs)[0]?.name ?? ''}`,
        );
      }
      if (configs) rebuild.push([key, configs]);
      else remove.push(key);
      changes.push(configs ? `resources of ${followsText(built.follows)} rebuilt` : `resources of ${followsText(built.follows)} removed`);
    }
    for (const [key, configs] of plans) {
      if (this.groups.has(key)) continue;
      const follows = configs[0]!.follows;
      if (this.roleOf(follows, next) === 'master') {
        throw new ConfigError(`new resources following ${followsText(follows)} cannot be added while it is MASTER: hand over first (maintenance on)`, configs[0]!.source, `resources.${configs[0]!.name}`);
      }
      rebuild.push([key, configs]);
      changes.push(`resources of ${followsText(follows)} added`);
    }
    for (const [, configs] of rebuild) await this.prepareHost(configs);
    return {
      changes,
      apply: () => {
        this.config = next;
        for (const key of [...remove, ...rebuild.map(([k]) => k)]) this.retire(key);
        for (const [key, configs] of rebuild) {
          const built = this.build(key, configs);
          this.groups.set(key, built);
          const previous = this.stopping.get(key) ?? Promise.resolve();
          void previous.then(() => {
            if (!this.started || this.groups.get(key) !== built) return;
            built.group.start();
            built.group.setRole(this.roleOf(built.follows));
          });
        }
        this.penaltyChanged(this.config.instances.map((i) => i.name));
      },
    };
  }

  /** Demotes and stops every resource, in reverse order per group. */
  async close(): Promise<void> {
    await Promise.all([...this.groups.values()].map((b) => b.group.stop()));
    await Promise.all(this.stopping.values());
    this.groups.clear();
  }

  // ---- helpers ----

  private penaltyChanged(instances: readonly string[]): void {
    for (const listener of this.penaltyListeners) listener(instances);
  }

  private retire(key: string): void {
    const built = this.groups.get(key);
    if (!built) return;
    this.groups.delete(key);
    const stopped = built.group.stop().finally(() => {
      if (this.stopping.get(key) === stopped) this.stopping.delete(key);
    });
    this.stopping.set(key, stopped);
  }

  private build(key: string, configs: readonly ResourceConfig[]): Built {
    const follows = configs[0]!.follows;
    const label = followsText(follows);
    const log = this.deps.log.child({ follows: label });
    const members = configs.map((config) => {
      const kind = this.deps.kinds.get(config.kind);
      if (!kind) throw new ConfigError(`Unknown resource kind "${config.kind}"`, config.source, `resources.${config.name}.kind`);
      const host = this.hostFor(config);
      return { config, driver: kind.create(config.settings, host), log: host.log };
    });
    const instances = this.instancesOf(follows);
    const gates = instances.map((name) => this.deps.gate(name));
    const group = new ResourceGroup(label, members, {
      clock: this.deps.clock,
      timers: this.deps.timers,
      log,
      gate: {
        set: (allowed) => gates.forEach((g) => g.set(allowed)),
        settled: async () => {
          await Promise.all(gates.map((g) => g.settled()));
        },
      },
      fence: this.deps.fence,
      onEvent: (event) => this.deps.onEvent({ ...event, follows }),
      onLagAlarm: (event) => this.deps.onLagAlarm?.({ ...event, follows }),
      onPenalty: () => this.penaltyChanged(instances),
      onPeerActive: () => {
        for (const listener of this.peerActiveListeners) listener(instances);
      },
    });
    return { key, follows, configs, group };
  }

  private hostFor(config: ResourceConfig): ResourceHost {
    const log = this.deps.log.child({ resource: config.name, kind: config.kind });
    const global = this.config.global;
    return {
      name: config.name,
      follows: config.follows,
      vips: () => this.followedInstances(config.follows).flatMap((i) => i.vips.map((v): ResourceVip => ({ instance: i.name, address: v.address, prefixLength: v.prefixLength, family: v.family, device: v.device }))),
      peers: () => [...new Set(this.followedInstances(config.follows).flatMap((i) => i.unicastPeers))],
      masterAddress: () => {
        for (const name of this.instancesOf(config.follows)) {
          const facts = this.facts.get(name)?.();
          if (facts && facts.state !== 'MASTER' && facts.masterAddress) return facts.masterAddress;
        }
        return undefined;
      },
      vipsKept: () => this.instancesOf(config.follows).some((name) => this.facts.get(name)?.().keptVips !== undefined),
      monitorNow: () => {
        for (const built of this.groups.values()) built.group.monitorNow(config.name);
      },
      stateDir: stateDirOf(this.deps.stateRoot, config.name),
      ...(global.scriptUser !== undefined ? { scriptUser: { user: global.scriptUser, ...(global.scriptGroup !== undefined ? { group: global.scriptGroup } : {}) } } : {}),
      enforceScriptSecurity: global.enableScriptSecurity,
      clock: this.deps.clock,
      timers: this.deps.timers,
      log,
      ...(this.deps.childPriority ? { childPriority: this.deps.childPriority } : {}),
    };
  }

  /** The kinds' host checks and the state directories, before anything is built. */
  private async prepareHost(configs: readonly ResourceConfig[]): Promise<void> {
    for (const config of configs) {
      const kind = this.deps.kinds.get(config.kind);
      if (!kind) throw new ConfigError(`Unknown resource kind "${config.kind}"`, config.source, `resources.${config.name}.kind`);
      await mkdir(stateDirOf(this.deps.stateRoot, config.name), { recursive: true, mode: 0o700 });
      try {
        await kind.check?.(config.settings, this.hostFor(config));
      } catch (err) {
        if (err instanceof ConfigError && err.source) throw err;
        throw new ConfigError((err as Error).message, config.source, `resources.${config.name}`);
      }
    }
  }

  private followedInstances(follows: ResourceFollows, config = this.config): InstanceConfig[] {
    const names = this.instancesOf(follows, config);
    return config.instances.filter((i) => names.includes(i.name));
  }

  private instancesOf(follows: ResourceFollows, config = this.config): string[] {
    if ('instance' in follows) return [follows.instance];
    return config.syncGroups.find((g) => g.name === follows.syncGroup)?.instances ?? [];
  }

  /** MASTER when every followed instance is; FAULT when any is; BACKUP otherwise (INIT included). */
  private roleOf(follows: ResourceFollows, config = this.config): ResourceRole {
    const states = this.instancesOf(follows, config).map((name) => this.facts.get(name)?.().state ?? 'INIT');
    if (states.length > 0 && states.every((s) => s === 'MASTER')) return 'master';
    if (states.some((s) => s === 'FAULT')) return 'fault';
    return 'backup';
  }
}

/** The resources of a configuration by what they follow, in list order. */
function groupsOf(config: HotstandbyConfig): Map<string, ResourceConfig[]> {
  const groups = new Map<string, ResourceConfig[]>();
  for (const resource of config.resources ?? []) {
    const key = followsText(resource.follows);
    groups.set(key, [...(groups.get(key) ?? []), resource]);
  }
  return groups;
}

/** Equal but for where they were written. */
function sameResources(a: readonly ResourceConfig[], b: readonly ResourceConfig[]): boolean {
  const strip = (list: readonly ResourceConfig[]) => list.map(({ source: _source, ...rest }) => rest);
  return isDeepStrictEqual(strip(a), strip(b));
}

function stateDirOf(root: string, name: string): string {
  return path.join(root, name.replace(/[^A-Za-z0-9._-]/g, '_'));
}
