/**
 * keepalived's track_interface rule: a tracked interface with weight 0 that is down puts the
 * instance in FAULT; with a weight, a negative weight applies while it is down and a positive
 * one while it is up. The runner adds the offset to the priority and clamps it.
 */
import type { InstanceConfig } from '../config/model.js';

export interface TrackedOutcome {
  /** What the tracked interfaces add to the configured priority. */
  offset: number;
  /** Why the instance must be in FAULT, or undefined. */
  fault: string | undefined;
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
