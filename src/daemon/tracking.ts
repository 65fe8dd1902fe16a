/**
 * keepalived's track_interface rule: a tracked interface with weight 0 that is down puts the
 * instance in FAULT; with a weight, a negative weight applies while it is down and a positive
 * one while it is up. The result is clamped by the runner (1..254; an owner stays 255).
 */
import type { InstanceConfig } from '../config/model.js';

export interface TrackedOutcome {
  priority: number;
  /** Why the instance must be in FAULT, or undefined. */
  fault: string | undefined;
}

export function trackedPriority(instance: InstanceConfig, isUp: (name: string) => boolean): TrackedOutcome {
  let priority = instance.priority;
  const down: string[] = [];
  for (const track of instance.trackInterfaces) {
    const up = isUp(track.name);
    if (track.weight === 0) {
      if (!up) down.push(track.name);
    } else if (up === track.weight > 0) {
      priority += track.weight;
    }
  }
  return { priority, fault: down.length > 0 ? `tracked interface ${down.join(', ')} down` : undefined };
}
