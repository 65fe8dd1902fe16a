/**
 * What an instance's tracking means for it, as a pure function of the link and check states it
 * follows: which fault sources are set and which priority offsets apply (instance-core.ts sums
 * and clamps them).
 *
 * keepalived's track_interface rule: a tracked interface with weight 0 that is down puts the
 * instance in FAULT; with a weight, a negative weight applies while it is down and a positive
 * one while it is up. Checks follow check/priority.ts (vrrp_script, track_file, process rules).
 */
import { contributionOf, type TrackedCheckState } from '../check/priority.js';
import type { InstanceConfig } from '../config/model.js';

export interface TrackedOutcome {
  /** What the tracked interfaces add to the configured priority. */
  offset: number;
  /** Why the instance must be in FAULT, or undefined. */
  fault: string | undefined;
  /** The fault is only that a service behind the VIPs is certainly down (kept-vips.ts). */
  serviceDown?: boolean;
}

export function trackedInterfaces(instance: InstanceConfig, isUp: (name: string) => boolean): TrackedOutcome {
  let offset = 0;
  const down: string[] = [];
  for (const track of instance.trackInterfaces) {
    const up = isUp(track.name);
    if (track.weight === 0) {
      if (!up) down.push(track.name);
    } else if (up === track.weight > 0) {
      offset += track.weight;
    }
  }
  return { offset, fault: down.length > 0 ? `tracked interface ${down.join(', ')} down` : undefined };
}

/** A tracked check as tracking sees it: its state and its own weight (a reference may override it). */
export interface TrackedCheckView {
  state: TrackedCheckState;
  weight: number;
}

/** One fault source (set or clear) or priority offset that tracking decides for an instance. */
export type TrackingChange = { type: 'fault'; source: string; reason: string | undefined; serviceDown?: boolean } | { type: 'offset'; source: string; offset: number };

/**
 * Link state, tracked interfaces and tracked checks → faults and priority offsets, in the order
 * to apply them: the offsets before the checks' fault, so an instance that recovers from a
 * failed check comes back with its new priority.
 */
export function trackingChanges(
  config: InstanceConfig,
  linkUp: (name: string) => boolean,
  checkNamed: (name: string) => TrackedCheckView | undefined,
  /** What role-following resources do to the instance (src/resources/plan.ts groupPenalty); none without resources. */
  resources?: TrackedOutcome,
): TrackingChange[] {
  const interfaces = trackedInterfaces(config, linkUp);
  let offset = 0;
  const faults: string[] = [];
  for (const ref of config.trackChecks) {
    const check = checkNamed(ref.name);
    if (!check) continue;
    const contribution = contributionOf(ref.weight ?? check.weight, check.state);
    offset += contribution.delta;
    if (contribution.fault !== undefined) faults.push(contribution.fault);
  }
  return [
    // keepalived's dont_track_primary (trackPrimary false): the own interface is not a fault.
    { type: 'fault', source: 'link', reason: !config.trackPrimary || linkUp(config.interface) ? undefined : `${config.interface} is down` },
    { type: 'fault', source: 'track_interface', reason: interfaces.fault },
    { type: 'offset', source: 'track_interface', offset: interfaces.offset },
    { type: 'offset', source: 'checks', offset },
    { type: 'fault', source: 'checks', reason: faults.length > 0 ? faults.join('; ') : undefined },
    ...(resources
      ? [
          { type: 'offset', source: 'resources', offset: resources.offset } as const,
          { type: 'fault', source: 'resources', reason: resources.fault, ...(resources.fault !== undefined && resources.serviceDown === true ? { serviceDown: true } : {}) } as const,
        ]
      : []),
  ];
}
