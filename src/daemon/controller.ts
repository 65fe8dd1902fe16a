/**
 * The running daemon as the operator sees it: its instances and checks, the event log, and the
 * actions (reload, maintenance, GARP). It owns the policy between the parts — how checks and
 * tracked interfaces move priorities, how sync groups move together, how a reload is applied —
 * and takes everything real (instances, checks) from factories the composition root provides.
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
import { contributionOf } from '../check/priority.js';
import type { CheckSet } from '../check/check-set.js';
import type { CheckConfig } from '../config/check-model.js';
import { ConfigError } from '../config/config-error.js';
import type { HotstandbyConfig, InstanceConfig, LoadedConfig, SyncGroupConfig } from '../config/model.js';
import type { DropReason } from '../vrrp/drop-reason.js';
import type { EventLog } from './event-log.js';
import type { InstanceRunner, TransitionRecord } from './instance-runner.js';
import type { Logger } from '../ports/index.js';
import { planReload } from './reload-plan.js';
import { trackedInterfaces } from './tracking.js';

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

  reload(): Promise<ReloadResult> {
    if (this.stopped) return Promise.reject(new ConflictError('The daemon is stopping'));
    // Serialised: a reload asked for while one runs waits for it, then reads the file again.
    const previous = this.reloading ?? Promise.resolve(undefined);
    const next = previous.then(() => this.reloadNow());
    this.reloading = next.finally(() => {
      if (this.reloading === next) this.reloading = undefined;
    }) as Promise<ReloadResult>;
    return next;
  }

  async setMaintenance(instance: string, on: boolean): Promise<void> {
    const managed = this.instances.get(instance);
    if (!managed) throw new UnknownInstanceError(instance);
    this.deps.events.append({ type: 'maintenance', instance, message: `maintenance ${on ? 'on' : 'off'}` });
    await managed.runner.setMaintenance(on);
  }

  sendGarp(instance: string): void {
    const managed = this.instances.get(instance);
    if (!managed) throw new UnknownInstanceError(instance);
    if (!managed.runner.sendGarp()) throw new ConflictError(`Instance '${instance}' is ${managed.runner.state}, only a master announces`);
  }

  // ---- policy ----

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

  /**
   * vrrp_sync_group faults: a member is held in FAULT while any other member has a fault of its
   * own (link, tracking, checks). Only own faults count, so a fault held through the group does
   * not echo back and keep the group down after the cause is gone.
   */
  private syncGroupFaults(): void {
    for (const group of this.current.syncGroups) {
      const source = `sync group ${group.name}`;
      const members = group.instances.flatMap((name) => {
        const runner = this.instances.get(name)?.runner;
        return runner ? [runner] : [];
      });
      const ownFault = (runner: InstanceRunner) => runner.faultSources().some((s) => s !== source);
      for (const member of members) {
        const cause = members.find((other) => other !== member && ownFault(other));
        member.setFault(source, cause ? `${cause.name} in sync group ${group.name} is in FAULT` : undefined);
      }
    }
  }

  private checkWeight(name: string): number {
    return this.current.checks.find((c) => c.name === name)?.weight ?? 0;
  }

  /** Link state, tracked interfaces and tracked checks → faults and priority offsets. */
  private applyTracking(runner: InstanceRunner): void {
    const config = runner.config;
    runner.setFault('link', this.deps.linkUp(config.interface) ? undefined : `${config.interface} is down`);
    const interfaces = trackedInterfaces(config, (name) => this.deps.linkUp(name));
    runner.setFault('track_interface', interfaces.fault);
    runner.setPriorityOffset('track_interface', interfaces.offset);
    let offset = 0;
    const faults: string[] = [];
    for (const ref of config.trackChecks) {
      const check = this.checkSet.get(ref.name);
      if (!check) continue;
      const status = check.status();
      const contribution = contributionOf(ref.weight ?? check.config.weight, {
        name: status.name,
        kind: status.kind,
        healthy: status.healthy,
        ...(status.value !== undefined ? { value: status.value } : {}),
      });
      offset += contribution.delta;
      if (contribution.fault !== undefined) faults.push(contribution.fault);
    }
    runner.setPriorityOffset('checks', offset);
    runner.setFault('checks', faults.length > 0 ? faults.join('; ') : undefined);
  }

  /**
   * vrrp_sync_group: members change state together. One member in FAULT holds the others in
   * FAULT; one becoming MASTER or BACKUP is followed by the others (keepalived's behaviour).
   */
  private followSyncGroup(record: TransitionRecord): void {
    const group = this.current.syncGroups.find((g) => g.instances.includes(record.instance));
    if (!group) return;
    const members = group.instances.flatMap((name) => {
      const m = this.instances.get(name);
      return m && name !== record.instance ? [m.runner] : [];
    });
    if (record.to === 'MASTER') for (const member of members) member.followGroup('MASTER', `sync group ${group.name}: ${record.instance} became MASTER`);
    if (record.to === 'BACKUP' && record.from === 'MASTER') {
      for (const member of members) member.followGroup('BACKUP', `sync group ${group.name}: ${record.instance} became BACKUP`);
    }
    if (record.to !== 'INIT' && group.instances.every((name) => this.instances.get(name)?.runner.state === record.to)) {
      this.deps.groupChanged(group, record.to);
    }
  }

  private async reloadNow(): Promise<ReloadResult> {
    let loaded: LoadedConfig;
    let prepared: ReloadPreparation | undefined;
    try {
      loaded = await this.deps.loadConfig();
    } catch (err) {
      return this.refuseReload(err instanceof ConfigError ? err.message : `cannot read the configuration: ${(err as Error).message}`);
    }
    try {
      prepared = await this.deps.prepareReload?.(loaded.config, this.current);
    } catch (err) {
      return this.refuseReload((err as Error).message);
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
    this.deps.events.append({ type: 'reload', message, fields: { changes } });
    this.deps.log.log('info', 'reloaded', { changes });
    for (const warning of loaded.warnings) this.deps.log.log('warn', `${warning.source.file}:${warning.source.line}: ${warning.message}`);
    return { ok: true, message, changes };
  }

  private refuseReload(message: string): ReloadResult {
    this.deps.events.append({ type: 'reload', message: `reload refused: ${message}` });
    this.deps.log.log('error', 'reload refused; the running configuration is unchanged', { error: message });
    return { ok: false, message, changes: [] };
  }
}
