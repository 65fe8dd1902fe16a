/**
 * A DaemonControl with scripted answers, for the API, metrics and CLI tests. Records what the
 * API asked of it and exposes its subscribers so tests can see a stream unsubscribe.
 */
import type { DaemonStatus } from '../../src/api/control-api.js';
import {
  UnknownInstanceError,
  type CheckStatus,
  type DaemonControl,
  type EventRecord,
  type ReloadResult,
} from '../../src/api/daemon-control.js';
import type { ReportedInstance } from '../../src/api/instance-view.js';
import type { HotstandbyConfig } from '../../src/config/model.js';
import { newDropCounters } from '../../src/vrrp/drop-reason.js';

export function fakeInstance(name: string, overrides: Partial<ReportedInstance> = {}): ReportedInstance {
  const drops = newDropCounters();
  return {
    name,
    vrid: 51,
    interface: 'eth0',
    family: 4,
    version: 2,
    state: 'BACKUP',
    priority: 100,
    effectivePriority: 100,
    vips: ['192.0.2.10/32'],
    masterAddress: '192.0.2.2',
    lastTransition: { instance: name, time: '2025-01-01T00:00:01.000Z', from: 'INIT', to: 'BACKUP', reason: 'startup' },
    counters: { advertsSent: 0, advertsReceived: 12, sendFailures: 0, transitions: 1, drops },
    drops,
    garpsSent: 0,
    vipClaims: 0,
    vipDefences: 0,
    ...overrides,
  };
}

export function fakeCheck(name: string, overrides: Partial<CheckStatus> = {}): CheckStatus {
  return {
    name,
    kind: 'exec',
    healthy: true,
    lastOk: true,
    lastDetail: 'exit 0',
    lastLatencyMs: 12,
    lastRunAt: '2025-01-01T00:00:02.000Z',
    changedAt: '2025-01-01T00:00:00.500Z',
    trackedBy: [],
    ...overrides,
  };
}

export class FakeDaemonControl implements DaemonControl {
  instances: ReportedInstance[] = [];
  checkList: CheckStatus[] = [];
  eventList: EventRecord[] = [];
  readonly listeners = new Set<(event: EventRecord) => void>();
  configValue: HotstandbyConfig = { global: {}, instances: [], checks: [], syncGroups: [] } as unknown as HotstandbyConfig;
  reloadAnswer: () => Promise<ReloadResult> = async () => ({ ok: true, message: 'Configuration reloaded', changes: [] });
  maintenanceCalls: Array<[string, boolean]> = [];
  maintenanceError: Error | undefined;
  garpCalls: string[] = [];
  /** Who each action named, in order (reload, maintenance, GARP). */
  actors: Array<string | undefined> = [];
  garpError: Error | undefined;
  unmatchedDrops: DaemonStatus['unmatchedDrops'] = {};
  /** Throws from status() when set (internal error tests). */
  statusError: Error | undefined;

  status(): DaemonStatus {
    if (this.statusError) throw this.statusError;
    return { pid: 4242, startedAt: '2025-01-01T00:00:00.000Z', instances: this.instances, unmatchedDrops: this.unmatchedDrops };
  }

  checks(): CheckStatus[] {
    return this.checkList;
  }

  events(since?: number): EventRecord[] {
    return this.eventList.filter((e) => e.seq > (since ?? 0));
  }

  subscribe(listener: (event: EventRecord) => void): () => void {
    const entry = (event: EventRecord) => listener(event);
    this.listeners.add(entry);
    return () => this.listeners.delete(entry);
  }

  /** Appends an event and tells the subscribers, as the daemon's event log does. */
  emit(type: EventRecord['type'], message: string, instance?: string): EventRecord {
    const event: EventRecord = {
      seq: this.eventList.length + 1,
      time: new Date(Date.UTC(2025, 0, 1, 0, 0, this.eventList.length)).toISOString(),
      type,
      ...(instance !== undefined ? { instance } : {}),
      message,
    };
    this.eventList.push(event);
    for (const listener of [...this.listeners]) listener(event);
    return event;
  }

  config(): HotstandbyConfig {
    return this.configValue;
  }

  reload(actor?: string): Promise<ReloadResult> {
    this.actors.push(actor);
    return this.reloadAnswer();
  }

  async setMaintenance(instance: string, on: boolean, actor?: string): Promise<void> {
    this.actors.push(actor);
    if (!this.instances.some((i) => i.name === instance)) throw new UnknownInstanceError(instance);
    if (this.maintenanceError) throw this.maintenanceError;
    this.maintenanceCalls.push([instance, on]);
    const target = this.instances.find((i) => i.name === instance);
    if (target) target.maintenance = on;
  }

  sendGarp(instance: string, actor?: string): void {
    this.actors.push(actor);
    if (!this.instances.some((i) => i.name === instance)) throw new UnknownInstanceError(instance);
    if (this.garpError) throw this.garpError;
    this.garpCalls.push(instance);
  }
}

/** Two instances, two checks, three events: enough for every view. */
export function populatedControl(): FakeDaemonControl {
  const control = new FakeDaemonControl();
  const drops = newDropCounters();
  drops['auth-password'] = 3;
  drops.ttl = 1;
  control.instances = [
    fakeInstance('web', {
      state: 'MASTER',
      priority: 150,
      effectivePriority: 130,
      masterAddress: '192.0.2.1',
      counters: { advertsSent: 40, advertsReceived: 2, sendFailures: 1, transitions: 2, drops },
      drops,
      garpsSent: 10,
      vipClaims: 7,
      vipDefences: 2,
    }),
    fakeInstance('db', { vrid: 52, interface: 'eth1', vips: ['198.51.100.20/24'], family: 4, version: 3 }),
  ];
  control.checkList = [
    fakeCheck('chk_haproxy', { trackedBy: [{ instance: 'web', weight: 0 }, { instance: 'db', weight: 0 }] }),
    fakeCheck('chk_api', {
      kind: 'http',
      healthy: false,
      lastOk: false,
      lastDetail: 'status 503',
      lastLatencyMs: 250,
      trackedBy: [{ instance: 'web', weight: -20 }],
    }),
  ];
  control.emit('daemon', 'hotstandby running');
  control.emit('transition', 'BACKUP → MASTER', 'web');
  control.emit('check', 'chk_api failed', undefined);
  return control;
}
