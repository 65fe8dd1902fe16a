/**
 * What the API shows of one instance: its status from the daemon, with the priority explained
 * (configured, effective, and what each tracked check adds) and the counters in one place.
 */
import type { InstanceConfig } from '../config/model.js';
import type { InstanceStatus, TransitionRecord } from '../daemon/instance-runner.js';
import type { DropReason } from '../vrrp/drop-reason.js';
import type { CheckStatus } from './daemon-control.js';

export interface CheckContribution {
  check: string;
  /** The weight this instance applies (its own override, else the check's). */
  weight: number;
  healthy: boolean;
  /**
   * Added to the priority now: a positive weight while healthy, a negative one while failed
   * (keepalived's vrrp_script rule); 0 otherwise. The daemon then clamps to 1..254.
   */
  contribution: number;
  /** A weight-0 check that failed holds the instance in FAULT. */
  faults: boolean;
}

export interface InstanceDetail {
  name: string;
  vrid: number;
  interface: string;
  family: 4 | 6;
  version: number;
  state: string;
  /** Planned switchover in force; null when the daemon does not say. */
  maintenance: boolean | null;
  priority: {
    configured: number;
    effective: number;
    checks: CheckContribution[];
    /** Tracked interfaces with their weights (0: FAULT while down), from the configuration. */
    interfaces: Array<{ name: string; weight: number }>;
    /** What moves the priority now, by source ("track_interface", "checks", ...). */
    offsets: Record<string, number>;
  };
  vips: string[];
  /** Configured unicast peers (empty: multicast), for who takes over when this node leaves. */
  peers: string[];
  /** Ourselves while master, else the master we last heard (null before any). */
  masterAddress: string | null;
  lastTransition: TransitionRecord | null;
  /** FAULT with the VIPs kept as a refuser (docs/resources.md "The kept VIP"); absent otherwise. */
  keptVips?: InstanceStatus['keptVips'];
  counters: {
    advertsSent: number;
    advertsReceived: number;
    sendFailures: number;
    transitions: number;
    garpsSent: number;
    /** Other MACs' claims on the VIPs (ARP, neighbour adverts) heard as master, and the announcements that answered them. */
    vipClaims: number;
    vipDefences: number;
    drops: Record<DropReason, number>;
  };
}

/** The status the daemon reports, plus what it may add later without breaking this shape. */
export type ReportedInstance = Omit<InstanceStatus, 'maintenance' | 'priorityOffsets'> & {
  maintenance?: boolean;
  priorityOffsets?: Record<string, number>;
};

export function checkContributions(instance: string, checks: readonly CheckStatus[]): CheckContribution[] {
  const out: CheckContribution[] = [];
  for (const check of checks) {
    for (const tracker of check.trackedBy) {
      if (tracker.instance !== instance) continue;
      const { weight } = tracker;
      const applies = (weight > 0 && check.healthy) || (weight < 0 && !check.healthy);
      out.push({
        check: check.name,
        weight,
        healthy: check.healthy,
        contribution: applies ? weight : 0,
        faults: weight === 0 && !check.healthy,
      });
    }
  }
  return out;
}

export function instanceDetail(status: ReportedInstance, checks: readonly CheckStatus[], config?: InstanceConfig): InstanceDetail {
  return {
    name: status.name,
    vrid: status.vrid,
    interface: status.interface,
    family: status.family,
    version: status.version,
    state: status.state,
    maintenance: status.maintenance ?? null,
    priority: {
      configured: status.priority,
      effective: status.effectivePriority,
      checks: checkContributions(status.name, checks),
      interfaces: (config?.trackInterfaces ?? []).map(({ name, weight }) => ({ name, weight })),
      offsets: { ...status.priorityOffsets },
    },
    vips: status.vips,
    peers: [...(config?.unicastPeers ?? [])],
    masterAddress: status.masterAddress,
    lastTransition: status.lastTransition,
    ...(status.keptVips !== undefined ? { keptVips: status.keptVips } : {}),
    counters: {
      advertsSent: status.counters.advertsSent,
      advertsReceived: status.counters.advertsReceived,
      sendFailures: status.counters.sendFailures,
      transitions: status.counters.transitions,
      garpsSent: status.garpsSent,
      vipClaims: status.vipClaims,
      vipDefences: status.vipDefences,
      drops: status.drops,
    },
  };
}
