/**
 * A group of resources following one VRRP instance or sync group, driven towards the role the
 * daemon gives it (setRole). One worker runs one operation at a time, choosing each from
 * plan.ts; a role that changes mid-operation is simply the goal of the next step (coalesced), and
 * a promote overtaken by a loss of mastership is aborted. Monitors run on their own timers
 * between operations (an operation that needs the resource aborts a running monitor first).
 *
 * What the group does to the instances (penalty) and whether they may hold their VIPs
 * (VipGate) are reported to the daemon through ports; the group never touches VRRP itself.
 * Pure of I/O apart from the drivers and ports: Clock and Timers are injected.
 */
import type { FenceAction, ResourceConfig } from '../config/resource-model.js';
import { initialHysteresis, stepHysteresis, type HysteresisState } from '../check/hysteresis.js';
import type { Clock, Logger, Timers } from '../ports/index.js';
import { INITIAL_LAG_ALARM, stepLagAlarm, type LagAlarmState } from './lag-alarm.js';
import { messageOf, runOperation, type OperationResult } from './operation.js';
import { groupPenalty, nextStep, vipsAllowed, vipsGated, type GroupPenalty, type Phase, type OperationStep, type SlotView } from './plan.js';
import type { Eligibility, ResourceDriver, ResourceOperation, ResourceRole } from './resource.js';

/** Whether the followed instances may put up (and announce) their VIPs. */
export interface VipGate {
  /** Allowed: VIPs wanted by a master go up now; not allowed: they wait (VRRP still removes them). */
  set(allowed: boolean): void;
  /** Resolves once the VIP requests made so far are done. */
  settled(): Promise<void>;
}

/** Carries out a fence action (a command) for a resource whose stop failed; rejects when it failed. */
export type FenceRunner = (action: Extract<FenceAction, { kind: 'command' }>, resource: string, signal: AbortSignal) => Promise<void>;

export interface ResourceEvent {
  resource: string;
  operation: ResourceOperation | 'fence' | 'health';
  result: OperationResult | 'changed';
  durationMs: number;
  message: string;
}

/** The lag alarm of a resource was raised or cleared (lag-alarm.ts). */
export interface LagAlarmEvent {
  resource: string;
  kind: string;
  alarm: 'raised' | 'cleared';
  message: string;
  /** The lag gauges of the sample that decided it (empty when no longer measured). */
  gauges: Record<string, number>;
}

export interface LastOperation {
  operation: ResourceOperation | 'fence';
  result: OperationResult;
  durationMs: number;
  /** Monotonic ms. */
  at: number;
  error?: string;
}

/** One resource as status, the API and metrics show it. */
export interface ResourceStatus {
  name: string;
  kind: string;
  /** "instance VI_1" / "sync group G". */
  follows: string;
  /** The role the group is driving its resources to. */
  role: ResourceRole;
  phase: Phase;
  /** The operation running now. */
  running?: ResourceOperation | 'fence';
  lastOperation?: LastOperation & { agoMs: number };
  /** After rise/fall; null before the first monitor since the resource started. */
  healthy: boolean | null;
  monitorDetail?: string;
  lastMonitorAgoMs?: number;
  eligibility: Eligibility | null;
  gauges: Record<string, number>;
  /** A failure holding the node FAULT, and how long before a retry. */
  hold?: { reason: string; remainingMs: number };
  vip: ResourceConfig['vip'];
  /** Operations run so far, by "operation:result". */
  operations: Record<string, number>;
  detail?: Readonly<Record<string, unknown>>;
  /** With `lagAlarm` configured: whether it is raised, and what its last change said. */
  lagAlarm?: { raised: boolean; message?: string; changedAgoMs?: number };
}

export interface GroupMember {
  config: ResourceConfig;
  driver: ResourceDriver;
  log: Logger;
}

export interface GroupDeps {
  clock: Clock;
  timers: Timers;
  log: Logger;
  gate: VipGate;
  fence: FenceRunner;
  onEvent(event: ResourceEvent): void;
  /** A lag alarm was raised or cleared. */
  onLagAlarm?(event: LagAlarmEvent): void;
  /** The penalty changed (the daemon re-applies tracking of the followed instances). */
  onPenalty(penalty: GroupPenalty): void;
  /** A monitor saw the peer's copy active (MonitorResult.peerActive): VIPs kept as a refuser may go. */
  onPeerActive?(): void;
}

interface Slot {
  member: GroupMember;
  phase: Phase;
  hold?: { reason: string; until: number };
  fenced?: boolean;
  hysteresis?: HysteresisState;
  monitorDetail?: string;
  /** The last monitor said the service is certainly down (MonitorResult.serviceDown). */
  serviceDown?: boolean;
  lastMonitorAt?: number;
  eligibility?: Eligibility;
  gauges: Record<string, number>;
  lagAlarm: LagAlarmState;
  last?: LastOperation;
  counts: Record<string, number>;
  running?: ResourceOperation | 'fence';
  /** Bumped at every phase change: a monitor result from before it is discarded. */
  generation: number;
  monitor?: { abort: AbortController; done: Promise<void> };
  cancelMonitorTimer?: () => void;
  /** monitorNow() came while a round ran: the next round starts right after it. */
  monitorAgain?: boolean;
}

export class ResourceGroup {
  private readonly slots: Slot[];
  private role: ResourceRole = 'backup';
  private worker: Promise<void> | undefined;
  private current: { slot: Slot; step: OperationStep; abort: AbortController } | undefined;
  private cancelWake: (() => void) | undefined;
  private gateOpen: boolean | undefined;
  private penalty: GroupPenalty = { fault: undefined, offset: 0 };
  private closed = false;
  private started = false;

  constructor(
    /** "instance VI_1" / "sync group G". */
    readonly follows: string,
    members: readonly GroupMember[],
    private readonly deps: GroupDeps,
  ) {
    this.slots = members.map((member) => ({ member, phase: 'down', gauges: {}, lagAlarm: INITIAL_LAG_ALARM, counts: {}, generation: 0 }));
    this.penalty = groupPenalty(this.views());
    this.syncGate();
  }

  get names(): string[] {
    return this.slots.map((s) => s.member.config.name);
  }

  /**
   * Starts the resources (backup shape) and their monitors; the role follows with setRole. Until
   * then the group only records its role: a group rebuilt by a reload must not run an operation
   * (its start) while the group it replaces is still stopping the same resources.
   */
  start(): void {
    this.started = true;
    this.kick();
  }

  /** The role to reach: from the followed instance's VRRP state. */
  setRole(role: ResourceRole): void {
    if (this.closed) return;
    if (role !== this.role) {
      this.deps.log.log('info', `resources follow ${role}`, { resources: this.names });
      this.role = role;
      const running = this.current;
      if (running && running.step.kind === 'promote' && role !== 'master') running.abort.abort(new Error(`mastership lost (now ${role}) while promoting`));
    }
    this.syncGate();
    this.kick();
  }

  get targetRole(): ResourceRole {
    return this.role;
  }

  /** What the resources do to the followed instances now. */
  currentPenalty(): GroupPenalty {
    return this.penalty;
  }

  /** Resolves when the worker has nothing left to do now (tests, stop). */
  async idle(): Promise<void> {
    while (this.worker) await this.worker;
  }

  /**
   * Demotes and stops every resource (reverse order), then closes the drivers. Resolves once
   * done, or once only retries are left (a stuck stop: its fence has run).
   */
  async stop(): Promise<void> {
    this.setRole('stopped');
    await this.idle();
    this.closed = true;
    this.cancelWake?.();
    for (const slot of this.slots) {
      slot.cancelMonitorTimer?.();
      slot.monitor?.abort.abort(new Error('daemon stopping'));
      await slot.monitor?.done;
    }
    for (const slot of this.slots) {
      try {
        await slot.member.driver.close?.();
      } catch (err) {
        slot.member.log.log('warn', 'closing the driver failed', { error: messageOf(err) });
      }
    }
  }

  /** The drivers with their resource's name, for kind-specific views (e.g. health endpoints). */
  drivers(): Array<{ name: string; kind: string; driver: ResourceDriver }> {
    return this.slots.map((s) => ({ name: s.member.config.name, kind: s.member.config.kind, driver: s.member.driver }));
  }

  status(): ResourceStatus[] {
    const now = this.deps.clock.now();
    return this.slots.map((slot) => {
      const { config, driver } = slot.member;
      const detail = describeSafely(driver);
      return {
        name: config.name,
        kind: config.kind,
        follows: this.follows,
        role: this.role,
        phase: slot.phase,
        ...(slot.running ? { running: slot.running } : {}),
        ...(slot.last ? { lastOperation: { ...slot.last, agoMs: now - slot.last.at } } : {}),
        healthy: slot.hysteresis === undefined ? null : slot.hysteresis.healthy,
        ...(slot.monitorDetail !== undefined ? { monitorDetail: slot.monitorDetail } : {}),
        ...(slot.lastMonitorAt !== undefined ? { lastMonitorAgoMs: now - slot.lastMonitorAt } : {}),
        eligibility: slot.eligibility ?? null,
        gauges: { ...slot.gauges },
        ...(slot.hold ? { hold: { reason: slot.hold.reason, remainingMs: Math.max(0, slot.hold.until - now) } } : {}),
        vip: config.vip,
        operations: { ...slot.counts },
        ...(detail ? { detail } : {}),
        ...(config.lagAlarm ? { lagAlarm: lagAlarmStatus(slot.lagAlarm, now) } : {}),
      };
    });
  }

  // ---- the worker ----

  private kick(): void {
    if (this.worker || this.closed || !this.started) return;
    this.worker = this.work().finally(() => {
      this.worker = undefined;
    });
  }

  private async work(): Promise<void> {
    for (;;) {
      this.clearExpiredHolds();
      this.update();
      const step = nextStep(this.views(), this.role, this.deps.clock.now());
      if (step.kind === 'idle') {
        // A hold that ends without an operation (a resource already back in shape) still has to lift the FAULT.
        const now = this.deps.clock.now();
        const holds = this.slots.flatMap((s) => (s.hold && s.hold.until > now ? [s.hold.until] : []));
        if (holds.length > 0) this.wakeAt(Math.min(...holds));
        return;
      }
      if (step.kind === 'wait') {
        this.wakeAt(step.until);
        return;
      }
      const slot = this.slots[step.index]!;
      // A before-promote resource is promoted once the VIPs are up (and if still master then).
      if (step.kind === 'promote' && slot.member.config.vip === 'before-promote') {
        await this.deps.gate.settled();
        if (this.role !== 'master') continue;
      }
      await this.perform(slot, step);
    }
  }

  private async perform(slot: Slot, step: OperationStep): Promise<void> {
    const operation = step.kind;
    // Reserved before any await, so that a monitor timer firing meanwhile leaves the resource alone.
    const abort = new AbortController();
    this.current = { slot, step, abort };
    slot.running = operation;
    await this.stopMonitor(slot);
    const { config, driver, log } = slot.member;
    const opLog = log.child({ operation });
    const timeoutMs = operation === 'fence' ? config.timeoutsMs.stop : config.timeoutsMs[operation];
    const fence = config.onStopFailure;
    const outcome = await runOperation({ operation, timeoutMs, clock: this.deps.clock, timers: this.deps.timers, log: opLog, cancel: abort.signal }, (ctx) => {
      if (operation !== 'fence') return driver[operation](ctx);
      if (fence.kind === 'command') return this.deps.fence(fence, config.name, ctx.signal);
      return Promise.reject(new Error('fence action is FAULT: staying FAULT until a stop succeeds'));
    });
    this.current = undefined;
    slot.running = undefined;
    const now = this.deps.clock.now();
    slot.last = { operation, result: outcome.result, durationMs: outcome.durationMs, at: now, ...(outcome.error !== undefined ? { error: outcome.error } : {}) };
    const ok = outcome.result === 'ok';
    const counted = `${operation}:${outcome.result}`;
    slot.counts[counted] = (slot.counts[counted] ?? 0) + 1;
    const hold = (what: string): { reason: string; until: number } => ({ reason: `${what} ${outcomeText(outcome.result)}: ${outcome.error ?? ''}`.trim(), until: now + config.retryAfterMs });
    switch (operation) {
      case 'start':
        if (ok) this.setPhase(slot, 'standby', undefined);
        else slot.hold = hold('start');
        break;
      case 'promote':
        // A failed promote may have half happened: demoted like an active resource, promoted again
        // (promote is idempotent) if still master once the hold is over. One aborted because
        // mastership was lost is no failure of the resource: no hold.
        this.setPhase(slot, ok ? 'active' : 'partial', ok || outcome.result === 'aborted' ? undefined : hold('promote'));
        break;
      case 'demote':
        // A hold from a failed promote outlives the demote: the node stays out for retryAfter.
        this.setPhase(slot, ok ? 'standby' : 'dirty', ok ? slot.hold : hold('demote'));
        break;
      case 'stop':
        if (ok) this.setPhase(slot, 'down', slot.phase === 'stuck' || slot.phase === 'dirty' ? slot.hold && { ...slot.hold, until: now } : undefined);
        else {
          this.setPhase(slot, 'stuck', hold('stop'));
          slot.fenced = false;
        }
        break;
      case 'fence':
        slot.fenced = true;
        // Fenced: as good as stopped; started again after retryAfter (FAULT until then).
        if (ok) this.setPhase(slot, 'down', { reason: `stop failed, fenced by ${describeFence(fence)}`, until: now + config.retryAfterMs });
        break;
    }
    const message = `${operation} ${outcomeText(outcome.result)} in ${Math.round(outcome.durationMs)} ms${outcome.error ? `: ${outcome.error}` : ''}`;
    opLog.log(ok ? 'info' : 'error', message, { durationMs: outcome.durationMs });
    this.deps.onEvent({ resource: config.name, operation, result: outcome.result, durationMs: outcome.durationMs, message });
    if (ok && operation !== 'fence' && slot.phase !== 'down') this.scheduleMonitor(slot, now);
  }

  private setPhase(slot: Slot, phase: Phase, hold: Slot['hold']): void {
    if (phase !== slot.phase) slot.generation++;
    slot.phase = phase;
    if (hold === undefined) delete slot.hold;
    else slot.hold = hold;
    if (phase === 'down') {
      delete slot.hysteresis;
      delete slot.serviceDown;
      delete slot.eligibility;
      slot.gauges = {};
      this.sampleLagAlarm(slot, undefined);
    }
    if (phase !== 'stuck') delete slot.fenced;
  }

  /** A hold ends once it has expired and the resource is back in the backup or master shape. */
  private clearExpiredHolds(): void {
    const now = this.deps.clock.now();
    for (const slot of this.slots) {
      if (slot.hold && slot.hold.until <= now && (slot.phase === 'standby' || slot.phase === 'active' || slot.phase === 'partial')) delete slot.hold;
    }
  }

  private wakeAt(until: number): void {
    this.cancelWake?.();
    this.cancelWake = this.deps.timers.at(until, () => {
      this.cancelWake = undefined;
      this.kick();
    });
  }

  /** Penalty and gate after anything changed. */
  private update(): void {
    const penalty = groupPenalty(this.views());
    if (penalty.fault !== this.penalty.fault || penalty.offset !== this.penalty.offset || penalty.serviceDown !== this.penalty.serviceDown) {
      this.penalty = penalty;
      this.deps.onPenalty(penalty);
    }
    this.syncGate();
  }

  private syncGate(): void {
    const allowed = vipsAllowed(this.views(), this.role);
    if (allowed === this.gateOpen) return;
    this.gateOpen = allowed;
    if (vipsGated(this.views())) this.deps.log.log('info', allowed ? 'VIPs allowed: resources promoted' : 'VIPs held back until the resources are promoted');
    this.deps.gate.set(allowed);
  }

  private views(): SlotView[] {
    return this.slots.map((slot) => ({
      name: slot.member.config.name,
      vip: slot.member.config.vip,
      phase: slot.phase,
      ...(slot.hold ? { hold: slot.hold } : {}),
      ...(slot.fenced !== undefined ? { fenced: slot.fenced } : {}),
      ...(slot.hysteresis ? { healthy: slot.hysteresis.healthy } : {}),
      ...(slot.monitorDetail !== undefined ? { monitorDetail: slot.monitorDetail } : {}),
      ...(slot.serviceDown ? { serviceDown: true } : {}),
      ...(slot.eligibility ? { eligibility: slot.eligibility } : {}),
      onMonitorFailure: slot.member.config.onMonitorFailure,
      veto: slot.member.config.veto,
    }));
  }

  // ---- monitors ----

  /**
   * A monitor round of resource `name` as soon as possible (ResourceHost.monitorNow): at once if
   * it waits for its timer, right after the current one if a round runs now (that round may have
   * looked before the failure). Not a member of this group: nothing.
   */
  monitorNow(name: string): void {
    const slot = this.slots.find((s) => s.member.config.name === name);
    if (slot === undefined || this.closed) return;
    if (slot.cancelMonitorTimer !== undefined) this.scheduleMonitor(slot, this.deps.clock.now());
    else slot.monitorAgain = true;
  }

  private scheduleMonitor(slot: Slot, at: number): void {
    slot.cancelMonitorTimer?.();
    if (this.closed) return;
    slot.cancelMonitorTimer = this.deps.timers.at(at, () => {
      slot.cancelMonitorTimer = undefined;
      this.runMonitor(slot);
    });
  }

  private runMonitor(slot: Slot): void {
    const { config, driver, log } = slot.member;
    const next = (): void => {
      const again = slot.monitorAgain === true;
      slot.monitorAgain = false;
      this.scheduleMonitor(slot, this.deps.clock.now() + (again ? 0 : config.monitorIntervalMs));
    };
    if (slot.running || slot.monitor || (slot.phase !== 'standby' && slot.phase !== 'active' && slot.phase !== 'partial')) {
      if (slot.phase !== 'down') next();
      return;
    }
    const abort = new AbortController();
    const generation = slot.generation;
    const done = (async () => {
      const outcome = await runOperation(
        { operation: 'monitor', timeoutMs: config.timeoutsMs.monitor, clock: this.deps.clock, timers: this.deps.timers, log: log.child({ operation: 'monitor' }), cancel: abort.signal },
        (ctx) => driver.monitor(ctx),
      );
      slot.monitor = undefined;
      if (outcome.result === 'aborted' || generation !== slot.generation || this.closed) return;
      this.monitored(slot, outcome.result === 'ok' ? outcome.value! : { healthy: false, detail: `monitor ${outcomeText(outcome.result)}: ${outcome.error ?? ''}`.trim() });
      next();
    })();
    slot.monitor = { abort, done };
  }

  private monitored(slot: Slot, result: { healthy: boolean; detail?: string; eligibility?: Eligibility; gauges?: Readonly<Record<string, number>>; serviceDown?: boolean; peerActive?: boolean }): void {
    const { config } = slot.member;
    const before = { healthy: slot.hysteresis?.healthy, eligible: slot.eligibility?.eligible };
    // The first result after a start is taken as it is; then rise / fall apply.
    slot.hysteresis = slot.hysteresis === undefined ? { healthy: result.healthy, streak: 0 } : stepHysteresis(slot.hysteresis ?? initialHysteresis(false), result.healthy, config.rise, config.fall);
    if (result.detail !== undefined) slot.monitorDetail = result.detail;
    else delete slot.monitorDetail;
    if (result.serviceDown === true) slot.serviceDown = true;
    else delete slot.serviceDown;
    slot.eligibility = result.eligibility ?? { eligible: true };
    slot.gauges = { ...(result.gauges ?? {}) };
    slot.lastMonitorAt = this.deps.clock.now();
    this.sampleLagAlarm(slot, slot.gauges);
    if (before.healthy !== slot.hysteresis.healthy || before.eligible !== slot.eligibility.eligible) {
      const eligibility = slot.eligibility.eligible ? 'eligible' : `not eligible (${slot.eligibility.reason})`;
      const message = `${slot.hysteresis.healthy ? 'healthy' : 'unhealthy'}, ${eligibility}${slot.monitorDetail ? `: ${slot.monitorDetail}` : ''}`;
      slot.member.log.log(slot.hysteresis.healthy && slot.eligibility.eligible ? 'info' : 'warn', message);
      this.deps.onEvent({ resource: config.name, operation: 'health', result: 'changed', durationMs: 0, message });
    }
    this.update();
    if (result.peerActive === true) this.deps.onPeerActive?.();
  }

  /** One sample for the lag alarm (undefined: nothing measured, e.g. the resource went down). */
  private sampleLagAlarm(slot: Slot, gauges: Record<string, number> | undefined): void {
    const { config, log } = slot.member;
    if (config.lagAlarm === undefined) return;
    const step = stepLagAlarm(config.lagAlarm, slot.lagAlarm, gauges, this.deps.clock.now());
    slot.lagAlarm = step.state;
    if (step.change === undefined) return;
    const message = step.state.message ?? '';
    log.log(step.change === 'raised' ? 'warn' : 'info', message);
    const lag = Object.fromEntries(Object.entries(gauges ?? {}).filter(([name]) => name.startsWith('lag_')));
    this.deps.onLagAlarm?.({ resource: config.name, kind: config.kind, alarm: step.change, message, gauges: lag });
  }

  private async stopMonitor(slot: Slot): Promise<void> {
    const running = slot.monitor;
    if (!running) return;
    running.abort.abort(new Error('an operation needs the resource'));
    await running.done;
  }
}

function lagAlarmStatus(state: LagAlarmState, now: number): NonNullable<ResourceStatus['lagAlarm']> {
  return {
    raised: state.raised,
    ...(state.message !== undefined ? { message: state.message } : {}),
    ...(state.changedAt !== undefined ? { changedAgoMs: now - state.changedAt } : {}),
  };
}

function outcomeText(result: OperationResult): string {
  return result === 'ok' ? 'succeeded' : result === 'timeout' ? 'timed out' : result;
}

function describeFence(action: FenceAction): string {
  return action.kind === 'command' ? `'${action.command.join(' ')}'` : 'FAULT';
}

function describeSafely(driver: ResourceDriver): Readonly<Record<string, unknown>> | undefined {
  try {
    return driver.describe?.();
  } catch {
    return undefined;
  }
}
