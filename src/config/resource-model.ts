/**
 * Role-following resources in the validated configuration (issue 11 §1): the settings every
 * kind shares, read by the core; the kind's own keys are validated by the kind
 * (src/resources/resource.ts, ResourceKind.parse) into `settings`. Durations are ms.
 */
import type { LagAlarmConfig } from '../resources/lag-alarm.js';
import type { ResourceFollows, ResourceOperation, VipOrder } from '../resources/resource.js';
import type { SourceLocation } from './model.js';

/** What happens when the monitor fails (after `fall` failures in a row) or eligibility is false. */
export type ResourcePenalty = { readonly fault: true } | { readonly weight: number };

/** What happens when stop fails after a failed demote: the fence action. */
export type FenceAction =
  /** Stay FAULT (priority 0 in adverts, VIPs away) and retry the stop every retryAfter until one succeeds. */
  | { readonly kind: 'fault' }
  /** Run a command (e.g. a power switch, `sg_persist` preempt, a STONITH agent); FAULT until it succeeds. */
  | { readonly kind: 'command'; readonly command: readonly string[]; readonly user?: string; readonly group?: string };

export interface ResourceConfig {
  /** Unique among resources. */
  readonly name: string;
  /** The registered kind's name. */
  readonly kind: string;
  /** The instance or sync group it follows (checked to exist). */
  readonly follows: ResourceFollows;
  /** Whether the followed instances' VIPs go up before or after this resource's promotion. */
  readonly vip: VipOrder;
  readonly timeoutsMs: Readonly<Record<ResourceOperation, number>>;
  readonly monitorIntervalMs: number;
  /** Failures in a row that make the monitor fail, successes in a row that make it healthy again. */
  readonly fall: number;
  readonly rise: number;
  readonly onMonitorFailure: ResourcePenalty;
  /** Eligibility false: FAULT, or a (negative) weight on the followed instances' priority. */
  readonly veto: ResourcePenalty;
  /** A failed or timed-out stop (after a failed demote). A failed demote always leads to stop. */
  readonly onStopFailure: FenceAction;
  /**
   * After a failed start or promote, how long the node stays FAULT (once the resource is back in
   * the standby shape) before it may be elected again; also how often a failed stop is retried.
   */
  readonly retryAfterMs: number;
  /** Raise a `replication-lag` event when the lag_seconds / lag_bytes gauges stay over a threshold. */
  readonly lagAlarm?: LagAlarmConfig;
  /** The kind's own settings, as its parse() returned them. */
  readonly settings: unknown;
  readonly source: SourceLocation;
}
