/**
 * The policy of a resource group as pure functions of what the group knows (Patroni's shape:
 * read, decide, act): which operation comes next for the role it must reach, whether the
 * followed instances' VIPs may be up, and what the resources do to the instances' priority
 * (faults and weights, applied through the same named fault sources and offsets as tracked
 * checks: src/vrrp/tracking.ts).
 *
 * Order: promote in list order, demote and stop in reverse. Escalation: a failed demote → stop;
 * a failed stop → the fence action, then stop again every retryAfter.
 */
import type { ResourcePenalty } from '../config/resource-model.js';
import type { Eligibility, ResourceRole, VipOrder } from './resource.js';

/**
 * What a group knows of one resource:
 * - down: not running (never started, stopped, or fenced);
 * - standby: started or demoted (the backup shape);
 * - active: promoted;
 * - partial: a promote failed or timed out: it may be half active (demoted like an active one,
 *   promoted again if still master after the hold);
 * - dirty: a demote failed or timed out: it must be stopped;
 * - stuck: a stop failed or timed out: fence, retry the stop later; FAULT meanwhile.
 */
export type Phase = 'down' | 'standby' | 'active' | 'partial' | 'dirty' | 'stuck';

export interface SlotView {
  readonly name: string;
  readonly vip: VipOrder;
  readonly phase: Phase;
  /**
   * A start, promote or stop failed: FAULT while set; retried (start, stop) or promotable again
   * from `until` (ms, monotonic). The group clears it once the resource is back in a good phase
   * and `until` has passed.
   */
  readonly hold?: { readonly reason: string; readonly until: number };
  /** Stuck: the fence action has run for this failure (ran = true) and what it said. */
  readonly fenced?: boolean;
  /** After hysteresis; undefined before the first monitor since the resource started. */
  readonly healthy?: boolean;
  readonly monitorDetail?: string;
  /** The last monitor said the service is certainly down (MonitorResult.serviceDown). */
  readonly serviceDown?: boolean;
  readonly eligibility?: Eligibility;
  readonly onMonitorFailure: ResourcePenalty;
  readonly veto: ResourcePenalty;
}

/** An operation on the resource at `index`. */
export interface OperationStep {
  readonly kind: 'start' | 'promote' | 'demote' | 'stop' | 'fence';
  readonly index: number;
}

export type Step =
  | { readonly kind: 'idle' }
  /** Nothing to do before `until` (a hold or a retry). */
  | { readonly kind: 'wait'; readonly until: number }
  | OperationStep;

/** The next operation towards `role`, given every resource's phase, at `now`. */
export function nextStep(slots: readonly SlotView[], role: ResourceRole, now: number): Step {
  let wakeAt = Number.POSITIVE_INFINITY;
  const due = (slot: SlotView): boolean => {
    if (slot.hold === undefined || slot.hold.until <= now) return true;
    wakeAt = Math.min(wakeAt, slot.hold.until);
    return false;
  };
  // Fencing first, whatever the role: a resource that may still be active must go.
  for (let i = slots.length - 1; i >= 0; i--) {
    const slot = slots[i]!;
    if (slot.phase === 'dirty') return { kind: 'stop', index: i };
    if (slot.phase === 'stuck') {
      if (!slot.fenced) return { kind: 'fence', index: i };
      if (due(slot)) return { kind: 'stop', index: i };
    }
  }
  const reverse = [...slots.keys()].reverse();
  if (role !== 'master') {
    for (const i of reverse) if (slots[i]!.phase === 'active' || slots[i]!.phase === 'partial') return { kind: 'demote', index: i };
    if (role === 'stopped') {
      for (const i of reverse) if (slots[i]!.phase === 'standby') return { kind: 'stop', index: i };
      return finish(wakeAt);
    }
    for (const [i, slot] of slots.entries()) if (slot.phase === 'down' && due(slot)) return { kind: 'start', index: i };
    return finish(wakeAt);
  }
  // Master: nothing is promoted while any resource is held, stuck or dirty (the group is FAULT
  // then, and VRRP will take mastership away).
  for (const slot of slots) {
    if (slot.phase === 'stuck') return finish(wakeAt);
    if (slot.hold !== undefined && slot.hold.until > now) return { kind: 'wait', until: slot.hold.until };
  }
  for (const [i, slot] of slots.entries()) {
    if (slot.phase === 'down') return { kind: 'start', index: i };
    if (slot.phase === 'standby' || slot.phase === 'partial') return { kind: 'promote', index: i };
  }
  return finish(wakeAt);
}

function finish(wakeAt: number): Step {
  return Number.isFinite(wakeAt) ? { kind: 'wait', until: wakeAt } : { kind: 'idle' };
}

/**
 * Whether the followed instances may hold their VIPs (and announce them): always, when no
 * resource of the group wants its VIP after its promotion; otherwise only while master with
 * every after-promote resource active.
 */
export function vipsAllowed(slots: readonly SlotView[], role: ResourceRole): boolean {
  const after = slots.filter((s) => s.vip === 'after-promote');
  if (after.length === 0) return true;
  return role === 'master' && after.every((s) => s.phase === 'active' && s.hold === undefined);
}

/** Whether a group's VIPs are gated at all (some resource wants them after its promotion). */
export function vipsGated(slots: readonly Pick<SlotView, 'vip'>[]): boolean {
  return slots.some((s) => s.vip === 'after-promote');
}

export interface GroupPenalty {
  /** Why the followed instances must be FAULT, or undefined. */
  fault: string | undefined;
  /** Added to their priority (negative weights of failed monitors and vetoes). */
  offset: number;
  /**
   * The fault comes only from failed monitors (and the vetoes that follow) of resources whose
   * service is certainly down: a master keeps its VIPs as a refuser a while (src/vrrp/kept-vips.ts).
   */
  serviceDown?: boolean;
}

/**
 * What the group's resources do to the followed instances. FAULT while a resource is not yet
 * known to be usable (started and monitored once), is held after a failure, may still be active
 * after a failed demote or stop, or fails its monitor / vetoes with `fault`; weights otherwise.
 */
export function groupPenalty(slots: readonly SlotView[]): GroupPenalty {
  const faults: string[] = [];
  let offset = 0;
  let serviceDown = true;
  let down = false;
  const apply = (penalty: ResourcePenalty, reason: string): void => {
    if ('fault' in penalty) faults.push(reason);
    else offset += penalty.weight;
  };
  for (const slot of slots) {
    const before = faults.length;
    faultsOf(slot);
    if (faults.length === before) continue;
    // Only a failed monitor of a service certainly down (and a veto it brings) may keep the VIPs.
    if (slot.serviceDown === true && slot.healthy === false && slot.hold === undefined && (slot.phase === 'standby' || slot.phase === 'active' || slot.phase === 'partial')) down = true;
    else serviceDown = false;
  }
  const fault = faults.length > 0 ? faults.join('; ') : undefined;
  return { fault, offset, ...(fault !== undefined && serviceDown && down ? { serviceDown: true } : {}) };

  function faultsOf(slot: SlotView): void {
    const label = `resource '${slot.name}'`;
    if (slot.phase === 'stuck') faults.push(`${label}: stop failed${slot.hold ? ` (${slot.hold.reason})` : ''}`);
    else if (slot.phase === 'dirty') faults.push(`${label}: demote failed, stopping it`);
    else if (slot.hold !== undefined) faults.push(`${label}: ${slot.hold.reason}`);
    else if (slot.phase === 'down' || slot.healthy === undefined) faults.push(`${label} is starting`);
    else {
      if (!slot.healthy) apply(slot.onMonitorFailure, `${label} monitor failed${slot.monitorDetail ? `: ${slot.monitorDetail}` : ''}`);
      if (slot.eligibility?.eligible === false) apply(slot.veto, `${label} vetoes mastership: ${slot.eligibility.reason}`);
    }
  }
}
