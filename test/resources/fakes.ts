/** Fake drivers, gate and config for the resource core's tests: every call is recorded. */
import type { ResourceConfig } from '../../src/config/resource-model.js';
import type { GroupDeps, ResourceEvent, VipGate } from '../../src/resources/group.js';
import type { GroupPenalty } from '../../src/resources/plan.js';
import type { MonitorResult, OperationContext, ResourceDriver, ResourceOperation } from '../../src/resources/resource.js';
import type { Logger } from '../../src/ports/index.js';
import { FakeTime } from '../support/fake-time.js';

export const quietLog: Logger = { log: () => undefined, child: () => quietLog };

/** How one call of an operation behaves: succeed or fail after `ms` of fake time, or hang until aborted. */
export type Behaviour = { ok: boolean; ms?: number } | 'hang' | 'hang-ignoring-signal';

export class FakeDriver implements ResourceDriver {
  readonly kind = 'fake';
  active = false;
  running = false;
  busy: string | undefined;
  /** Next behaviours per operation (then `ok` after 10 ms). */
  readonly script: Partial<Record<ResourceOperation, Behaviour[]>> = {};
  monitorResult: MonitorResult = { healthy: true };
  overlaps = 0;

  constructor(
    readonly name: string,
    private readonly time: FakeTime,
    private readonly calls: string[],
    private readonly onCall?: (driver: FakeDriver, op: ResourceOperation) => void,
  ) {}

  start(ctx: OperationContext) {
    return this.op('start', ctx, () => (this.running = true));
  }
  promote(ctx: OperationContext) {
    // A promote may half happen: the resource counts as active as soon as it begins.
    this.active = true;
    return this.op('promote', ctx, () => undefined);
  }
  demote(ctx: OperationContext) {
    return this.op('demote', ctx, () => (this.active = false));
  }
  stop(ctx: OperationContext) {
    return this.op('stop', ctx, () => {
      this.active = false;
      this.running = false;
    });
  }
  async monitor(ctx: OperationContext): Promise<MonitorResult> {
    await this.op('monitor', ctx, () => undefined);
    return this.monitorResult;
  }

  /** What a fence does to it. */
  fenced(): void {
    this.active = false;
    this.running = false;
  }

  private op(op: ResourceOperation, ctx: OperationContext, effect: () => void): Promise<void> {
    // FAKE_TRACE=1: monitors too, and when each call began.
    if (process.env.FAKE_TRACE) this.calls.push(`${this.name}:${op}@${this.time.now()}`);
    else if (op !== 'monitor') this.calls.push(`${this.name}:${op}`);
    if (this.busy !== undefined) {
      this.overlaps++;
      this.calls.push(`OVERLAP ${this.name}:${op} during ${this.busy}`);
    }
    this.onCall?.(this, op);
    this.busy = op;
    const behaviour = this.script[op]?.shift() ?? { ok: true, ms: 10 };
    return new Promise<void>((resolve, reject) => {
      const finish = (ok: boolean, why: string) => {
        if (this.busy === op) this.busy = undefined;
        if (ok) {
          effect();
          resolve();
        } else reject(new Error(why));
      };
      if (behaviour === 'hang' || behaviour === 'hang-ignoring-signal') {
        if (behaviour === 'hang') ctx.signal.addEventListener('abort', () => finish(false, 'aborted'), { once: true });
        return;
      }
      const cancel = this.time.at(this.time.now() + (behaviour.ms ?? 10), () => finish(behaviour.ok, `${op} failed (scripted)`));
      ctx.signal.addEventListener('abort', () => {
        cancel();
        finish(false, 'aborted');
      }, { once: true });
    });
  }
}

export class FakeGate implements VipGate {
  allowed: boolean | undefined;
  readonly history: boolean[] = [];
  constructor(private readonly onSet?: (allowed: boolean) => void) {}
  set(allowed: boolean): void {
    this.allowed = allowed;
    this.history.push(allowed);
    this.onSet?.(allowed);
  }
  settled(): Promise<void> {
    return Promise.resolve();
  }
}

export function resourceConfig(name: string, overrides: Partial<ResourceConfig> = {}): ResourceConfig {
  return {
    name,
    kind: 'fake',
    follows: { instance: 'VI_1' },
    vip: 'after-promote',
    timeoutsMs: { start: 1000, promote: 1000, demote: 1000, stop: 1000, monitor: 500 },
    monitorIntervalMs: 1000,
    fall: 1,
    rise: 1,
    onMonitorFailure: { fault: true },
    veto: { fault: true },
    onStopFailure: { kind: 'fault' },
    retryAfterMs: 5000,
    settings: {},
    source: { file: 'test', line: 1 },
    ...overrides,
  };
}

export interface Recorder {
  events: ResourceEvent[];
  penalties: GroupPenalty[];
  fences: string[];
  deps: GroupDeps;
}

/** onFence: a fence that works cuts the resource off (the fake driver becomes inactive). */
export function groupDeps(time: FakeTime, gate: VipGate, fenceOk = true, onFence?: (resource: string) => void): Recorder {
  const events: ResourceEvent[] = [];
  const penalties: GroupPenalty[] = [];
  const fences: string[] = [];
  return {
    events,
    penalties,
    fences,
    deps: {
      clock: time,
      timers: time,
      log: quietLog,
      gate,
      fence: async (action, resource) => {
        fences.push(`${resource}:${action.command.join(' ')}`);
        if (!fenceOk) throw new Error('fence failed (scripted)');
        onFence?.(resource);
      },
      onEvent: (e) => events.push(e),
      onPenalty: (p) => penalties.push(p),
    },
  };
}

/** Lets promises settle, then advances fake time in steps until `ms` have passed. */
export async function run(time: FakeTime, ms: number, step = 5): Promise<void> {
  const end = time.now() + ms;
  for (;;) {
    for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
    if (time.now() >= end) return;
    time.advanceTo(Math.min(end, time.now() + step));
  }
}
