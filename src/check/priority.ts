/**
 * How tracked checks move an instance's priority (keepalived's vrrp_script / track_file rules):
 * - weight 0: a failed check puts the instance in FAULT;
 * - weight > 0: added while the check is healthy; weight < 0: added while it is failed;
 * - file checks: value × weight is added (each contribution limited to ±254); with weight 0 any
 *   non-zero value is a FAULT.
 * The sum is clamped to 1..254; an address owner's 255 never changes (faults still apply).
 */
import type { CheckKind } from '../config/check-model.js';

export const OWNER_PRIORITY = 255;
export const MIN_TRACKED_PRIORITY = 1;
export const MAX_TRACKED_PRIORITY = 254;

export interface TrackedCheckState {
  /** For fault reasons; optional so bare states can be table-tested. */
  name?: string;
  kind: CheckKind;
  healthy: boolean;
  /** File checks: the number read. */
  value?: number;
}

export interface TrackedCheck {
  weight: number;
  check: TrackedCheckState;
}

export interface Contribution {
  delta: number;
  /** Why this check puts the instance in FAULT, or undefined. */
  fault?: string;
}

export interface TrackedPriority {
  priority: number;
  faultReasons: string[];
}

export function contributionOf(weight: number, check: TrackedCheckState): Contribution {
  const label = check.name === undefined ? `${check.kind} check` : `${check.kind} check '${check.name}'`;
  if (check.kind === 'file') {
    const value = check.value ?? 0;
    if (weight === 0) return value !== 0 ? { delta: 0, fault: `${label} reads ${value} (weight 0)` } : { delta: 0 };
    return { delta: clamp(value * weight, -MAX_TRACKED_PRIORITY, MAX_TRACKED_PRIORITY) };
  }
  if (weight === 0) return check.healthy ? { delta: 0 } : { delta: 0, fault: `${label} failed` };
  return { delta: check.healthy === weight > 0 ? weight : 0 };
}

export function priorityOf(base: number, tracked: readonly TrackedCheck[]): TrackedPriority {
  let sum = 0;
  const faultReasons: string[] = [];
  for (const { weight, check } of tracked) {
    const { delta, fault } = contributionOf(weight, check);
    sum += delta;
    if (fault !== undefined) faultReasons.push(fault);
  }
  const priority = base === OWNER_PRIORITY ? OWNER_PRIORITY : clamp(base + sum, MIN_TRACKED_PRIORITY, MAX_TRACKED_PRIORITY);
  return { priority, faultReasons };
}

function clamp(value: number, low: number, high: number): number {
  return Math.min(high, Math.max(low, value));
}
