/**
 * The running daemon as the operator sees it: its instances and checks, the event log, and the
 * actions (reload, maintenance, GARP). It connects the parts — feeding link and check changes to
 * the tracking policy (src/vrrp/tracking.ts) and transitions to the sync-group policy
 * (src/vrrp/sync-group.ts), and applying a reload — and takes everything real (instances,
 * checks) from factories the composition root provides.
 */
import type { DaemonStatus } from '../api/control-api.js';
import {
  ConflictError,
  UnknownInstanceError,
  type CheckStatus,
  type DaemonControl,
  type EventRecord,
  type ReloadResult,
} from '../api/daemon-control.js';
import type { CheckSet } from '../check/check-set.js';
import type { CheckConfig } from '../config/check-model.js';
import { ConfigError } from '../config/config-error.js';
import type { HotstandbyConfig, InstanceConfig, LoadedConfig, SyncGroupConfig } from '../config/model.js';
import type { DropReason } from '../vrrp/drop-reason.js';
import type { EventLog } from './event-log.js';
import type { InstanceRunner, TransitionRecord } from './instance-runner.js';
import type { Logger } from '../ports/index.js';
import { planReload } from './reload-plan.js';
import { followTransition, groupFaults, type MemberView, type SyncGroupSpec, unanimousState } from '../vrrp/sync-group.js';
import { trackingChanges } from '../vrrp/tracking.js';
import type { ResourceStatus } from '../resources/group.js';

/** One instance with what it needs torn down. */
export interface ManagedInstance {
  runner: InstanceRunner;
  /** Resolves when its VIP requests are done. */
  settled(): Promise<void>;
  /** Detaches it from the shared sockets (after stop). */
  dispose(): void;
}

export interface ControllerDeps {
  log: Logger;
  events: EventLog;
  /** Builds an instance (not started); onTransition must be routed to controller.transitioned. */
  buildInstance(config: InstanceConfig): ManagedInstance;
  buildChecks(configs: readonly CheckConfig[]): CheckSet;
  loadConfig(): Promise<LoadedConfig>;
  /** Whether a link is up (with carrier), by interface name. */
  linkUp(name: string): boolean;
  unmatchedDrops(): Record<string, Record<DropReason, number>>;
  /** Notify hooks for groups (instances' hooks are run by the composition root's transition handler). */
  groupChanged(group: SyncGroupConfig, state: 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP'): void;
  /**
   * Checks a loaded configuration against what the file alone cannot tell (the host's interfaces
   * and addresses, script security, global settings) before anything changes; throws to refuse
   * the reload with its message.
   */
  prepareReload?(next: HotstandbyConfig, current: HotstandbyConfig): Promise<ReloadPreparation>;
  /** Role-following resources (src/resources/): what they do to an instance, and their status. */
  resources?: {
    penaltyFor(instance: string): { offset: number; fault: string | undefined; serviceDown?: boolean };
    status(): ResourceStatus[];
    /** Why no peer could take over the resources following `instance` now ("resource 'db': …"); empty = nothing known against it. */
    handoverBlockers?(instance: string): string[];
  };
}

/** A reload found acceptable by prepareReload. */
export interface ReloadPreparation {
  /** Instances to rebuild although their configuration is unchanged, with why (the host changed under them). */
  rebuild: ReadonlyMap<string, string>;
  /** Changed global settings, as they are applied. */
  changes: string[];
  /** Switches the daemon-wide settings over; called once old instances are gone, before new ones are built. */
  commit(): void;
}

export class Controller implements DaemonControl {
  private current: HotstandbyConfig;
  private readonly instances = new Map<string, ManagedInstance>();
  private checkSet: CheckSet;
  private reloading: Promise<ReloadResult> | undefined;
  private stopped = false;
  private readonly startedAt = new Date().toISOString();

  constructor(
    config: HotstandbyConfig,
    private readonly deps: ControllerDeps,
  ) {
    this.current = config;
    this.checkSet = this.startChecks(config.checks);
    for (const instance of config.instances) this.instances.set(instance.name, deps.buildInstance(instance));
  }

  start(): void {
    for (const managed of this.instances.values()) {
      this.applyTracking(managed.runner);
      managed.runner.start();
    }
    this.checkSet.start();
    this.deps.events.append({ type: 'daemon', message: `started with ${this.instances.size} instance(s)` });
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.checkSet.stop();
    for (const managed of this.instances.values()) managed.runner.stop();
    for (const group of this.current.syncGroups) this.deps.groupChanged(group, 'STOP');
    await Promise.all([...this.instances.values()].map(async (m) => {
      await m.runner.released();
      await m.settled();
    }));
    for (const managed of this.instances.values()) managed.dispose();
  }

  // ---- events from the parts ----

  /** Every instance transition, from the composition root: event log and sync groups. */
  transitioned(record: TransitionRecord): void {
    this.deps.events.append({
      type: 'transition',
      instance: record.instance,
      message: `${record.from} → ${record.to}: ${record.reason}`,
      fields: { from: record.from, to: record.to, reason: record.reason },
    });
    this.followSyncGroup(record);
    this.syncGroupFaults();
  }

  /** What resources do to these instances changed (a monitor, a veto, a failed operation). */
  resourcesChanged(instances: readonly string[]): void {
    // Resources stop after the instances: their last changes must not move a stopped instance.
    if (this.stopped) return;
    for (const name of instances) {
      const managed = this.instances.get(name);
      if (managed) this.applyTracking(managed.runner);
    }
    this.syncGroupFaults();
  }

  /** The resources following these instances see the peer's service active: VIPs kept as a refuser may go (kept-vips.ts). */
  peerActive(instances: readonly string[]): void {
    if (this.stopped) return;
    for (const name of instances) this.instances.get(name)?.runner.peerActive();
  }

  /** Links changed: instance faults and tracked interfaces. */
  linksChanged(): void {
    for (const managed of this.instances.values()) this.applyTracking(managed.runner);
    this.syncGroupFaults();
  }

  // ---- DaemonControl ----

  status(): DaemonStatus {
    return {
      pid: process.pid,
      startedAt: this.startedAt,
      instances: [...this.instances.values()].map((m) => m.runner.status()),
      unmatchedDrops: this.deps.unmatchedDrops(),
      ...(this.deps.resources ? { resources: this.deps.resources.status() } : {}),
    };
  }

  checks(): CheckStatus[] {
    return this.checkSet.statuses().map((s) => ({
      name: s.name,
      kind: s.kind,
      healthy: s.healthy,
      lastOk: s.lastOk,
      lastDetail: s.lastDetail,
      lastLatencyMs: s.lastLatencyMs,
      lastRunAt: s.lastRunAt,
      changedAt: s.changedAt,
      trackedBy: this.current.instances.flatMap((i) =>
        i.trackChecks.filter((t) => t.name === s.name).map((t) => ({ instance: i.name, weight: t.weight ?? this.checkWeight(s.name) })),
      ),
    }));
  }

  events(since?: number): EventRecord[] {
    return this.deps.events.since(since ?? 0);
  }

  subscribe(listener: (event: EventRecord) => void): () => void {
    return this.deps.events.subscribe(listener);
  }

  config(): HotstandbyConfig {
    return this.current;
  }

  reload(actor?: string): Promise<ReloadResult> {
    if (this.stopped) return Promise.reject(new ConflictError('The daemon is stopping'));
    // Serialised: a reload asked for while one runs waits for it, then reads the file again.
    const previous = this.reloading ?? Promise.resolve(undefined);
    const next = previous.then(() => this.reloadNow(actor));
    this.reloading = next.finally(() => {
      if (this.reloading === next) this.reloading = undefined;
    }) as Promise<ReloadResult>;
    return next;
  }

  async setMaintenance(instance: string, on: boolean, actor?: string, options: { force?: boolean } = {}): Promise<void> {
    const managed = this.instances.get(instance);
    if (!managed) throw new UnknownInstanceError(instance);
    const force = options.force === true;
    const handsOver = on && managed.runner.state === 'MASTER' && !managed.runner.maintenance;
    // A hand-over nobody can take leaves no master (a PostgreSQL pair: no primary): refuse it
    // before anything changes when a resource already knows (the peer is not the synchronous standby).
    const blockers = handsOver && !force ? (this.deps.resources?.handoverBlockers?.(instance) ?? []) : [];
    if (blockers.length > 0) {
      const why = `no peer can take over ${instance}: ${blockers.join('; ')}`;
      this.deps.events.append({ type: 'maintenance', instance, message: `maintenance on refused${by(actor)}: ${why}`, ...actorFields(actor) });
      throw new ConflictError(`Maintenance refused, ${why}. Nothing changed; force hands over anyway (the instance may then have no master)`);
    }
    this.deps.events.append({ type: 'maintenance', instance, message: `maintenance ${on ? 'on' : 'off'}${force && handsOver ? ' (forced)' : ''}${by(actor)}`, ...actorFields(actor) });
    const outcome = await managed.runner.setMaintenance(on, force);
    if (outcome === 'no-peer') {
      const why = 'no peer took over after it left with priority 0 (none reachable, or each one FAULT or in maintenance)';
      this.deps.events.append({ type: 'maintenance', instance, message: `maintenance off: ${why}; ${instance} serves again` });
      throw new ConflictError(`Maintenance refused, ${why}: ${instance} is MASTER again and maintenance is off; force hands over anyway (the instance then has no master)`);
    }
  }

  sendGarp(instance: string, actor?: string): void {
    const managed = this.instances.get(instance);
    if (!managed) throw new UnknownInstanceError(instance);
    if (!managed.runner.sendGarp()) throw new ConflictError(`Instance '${instance}' is ${managed.runner.state}, only a master announces`);
    this.deps.events.append({ type: 'garp', instance, message: `gratuitous ARP / NA sent${by(actor)}`, ...actorFields(actor) });
  }

  // ---- feeding the policies ----

  private startChecks(configs: readonly CheckConfig[]): CheckSet {
    const set = this.deps.buildChecks(configs);
    for (const runner of set.all()) {
      runner.onResult(() => this.checkChanged(runner.name));
      runner.onChange((healthy, result) =>
        this.deps.events.append({ type: 'check', message: `check '${runner.name}' ${healthy ? 'healthy' : 'failed'}: ${result.detail}` }),
      );
    }
    return set;
  }

  private checkChanged(name: string): void {
    for (const managed of this.instances.values()) {
      if (managed.runner.config.trackChecks.some((t) => t.name === name)) this.applyTracking(managed.runner);
    }
    this.syncGroupFaults();
  }

  /** vrrp_sync_group faults (src/vrrp/sync-group.ts): a member's own fault holds the others in FAULT. */
  private syncGroupFaults(): void {
    for (const group of this.current.syncGroups) {
      for (const fault of groupFaults(group, this.membersOf(group))) {
        this.instances.get(fault.instance)?.runner.setFault(fault.source, fault.reason);
      }
    }
  }

  /** The members of a group as the sync-group policy sees them (a missing one as INIT). */
  private membersOf(group: SyncGroupSpec): MemberView[] {
    return group.instances.map((name) => {
      const runner = this.instances.get(name)?.runner;
      return { name, state: runner?.state ?? 'INIT', faultSources: runner?.faultSources() ?? [] };
    });
  }

  private checkWeight(name: string): number {
    return this.current.checks.find((c) => c.name === name)?.weight ?? 0;
  }

  /** Link state, tracked interfaces and tracked checks → faults and priority offsets (src/vrrp/tracking.ts). */
  private applyTracking(runner: InstanceRunner): void {
    const changes = trackingChanges(runner.config, (name) => this.deps.linkUp(name), (name) => {
      const check = this.checkSet.get(name);
      if (!check) return undefined;
      const status = check.status();
      const state = { name: status.name, kind: status.kind, healthy: status.healthy, ...(status.value !== undefined ? { value: status.value } : {}) };
      return { state, weight: check.config.weight };
    }, this.deps.resources?.penaltyFor(runner.name));
    for (const change of changes) {
      if (change.type === 'fault') runner.setFault(change.source, change.reason, change.serviceDown === true);
      else runner.setPriorityOffset(change.source, change.offset);
    }
  }

  /** vrrp_sync_group (src/vrrp/sync-group.ts): the other members follow; the group's hooks run when all agree. */
  private followSyncGroup(record: TransitionRecord): void {
    const group = this.current.syncGroups.find((g) => g.instances.includes(record.instance));
    if (!group) return;
    for (const follow of followTransition(group, record, this.membersOf(group))) {
      this.instances.get(follow.instance)?.runner.followGroup(follow.to, follow.reason);
    }
    const state = unanimousState(record.to, this.membersOf(group));
    if (state !== undefined) this.deps.groupChanged(group, state);
  }

  private async reloadNow(actor?: string): Promise<ReloadResult> {
    let loaded: LoadedConfig;
    let prepared: ReloadPreparation | undefined;
    try {
      loaded = await this.deps.loadConfig();
    } catch (err) {
      return this.refuseReload(err instanceof ConfigError ? err.message : `cannot read the configuration: ${(err as Error).message}`, actor);
    }
    try {
      prepared = await this.deps.prepareReload?.(loaded.config, this.current);
    } catch (err) {
      return this.refuseReload((err as Error).message, actor);
    }
    const plan = planReload(this.current, loaded.config, prepared?.rebuild);
    // Removed and replaced instances leave first (priority 0, VIPs released), so a VIP that
    // moved to another instance is free when that one starts.
    for (const name of [...plan.removed, ...plan.replaced]) {
      const managed = this.instances.get(name);
      if (!managed) continue;
      managed.runner.stop();
      await managed.runner.released();
      await managed.settled();
      managed.dispose();
      this.instances.delete(name);
    }
    // Unchanged checks keep running with their state: a failed check stays failed.
    if (plan.checksChanged) {
      this.checkSet.stop();
      this.checkSet = this.startChecks(loaded.config.checks);
    }
    this.current = loaded.config;
    prepared?.commit();
    for (const name of plan.updated) {
      const config = loaded.config.instances.find((i) => i.name === name);
      const managed = this.instances.get(name);
      if (config && managed) managed.runner.updateConfig(config);
    }
    for (const name of [...plan.replaced, ...plan.added]) {
      const config = loaded.config.instances.find((i) => i.name === name);
      if (!config) continue;
      const managed = this.deps.buildInstance(config);
      this.instances.set(name, managed);
      this.applyTracking(managed.runner);
      managed.runner.start();
    }
    for (const managed of this.instances.values()) this.applyTracking(managed.runner);
    this.checkSet.start();
    const changes = [...plan.describe(), ...(prepared?.changes ?? [])];
    const message = changes.length === 0 ? 'configuration unchanged' : `applied: ${changes.join('; ')}`;
    this.deps.events.append({ type: 'reload', message: `${message}${by(actor)}`, fields: { changes, ...actorFields(actor).fields } });
    this.deps.log.log('info', 'reloaded', { changes });
    for (const warning of loaded.warnings) this.deps.log.log('warn', `${warning.source.file}:${warning.source.line}: ${warning.message}`);
    return { ok: true, message, changes };
  }

  private refuseReload(message: string, actor?: string): ReloadResult {
    this.deps.events.append({ type: 'reload', message: `reload refused${by(actor)}: ${message}`, ...actorFields(actor) });
    this.deps.log.log('error', 'reload refused; the running configuration is unchanged', { error: message });
    return { ok: false, message, changes: [] };
  }
}

/** " by <actor>" for event messages of actions an operator asked for. */
function by(actor: string | undefined): string {
  return actor === undefined ? '' : ` by ${actor}`;
}

function actorFields(actor: string | undefined): { fields?: { actor: string } } {
  return actor === undefined ? {} : { fields: { actor } };
}
