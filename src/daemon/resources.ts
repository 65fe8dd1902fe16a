/**
 * The resources subsystem as the composition root builds it: the registered kinds, state
 * directories under the runtime directory, fence commands run like notify scripts, every
 * operation in the event log, and the VIP gates the instance factory applies.
 */
import type { HotstandbyConfig } from '../config/model.js';
import type { Clock, Logger, Timers } from '../ports/index.js';
import type { ChildPriority } from '../util/child-priority.js';
import { builtInKinds } from '../resources/kinds/index.js';
import { processRunner, runChecked } from '../resources/kinds/command.js';
import type { FenceRunner } from '../resources/group.js';
import { Resources } from '../resources/resources.js';
import { followsText } from '../config/validate-resources.js';
import type { EventLog } from './event-log.js';
import type { VipGates } from './vip-gate.js';

export interface ResourceWiring {
  clock: Clock;
  timers: Timers;
  log: Logger;
  events: Pick<EventLog, 'append'>;
  gates: VipGates;
  /** `<runtime dir>/resources`. */
  stateRoot: string;
  /** What resource programs and fence commands run at (src/util/child-priority.ts). */
  childPriority?: ChildPriority;
}

export function openResources(config: HotstandbyConfig, wiring: ResourceWiring): Promise<Resources> {
  const { clock, timers, log, events, gates, childPriority } = wiring;
  return Resources.open(config, {
    clock,
    timers,
    log: log.child({ subsystem: 'resources' }),
    kinds: builtInKinds(),
    stateRoot: wiring.stateRoot,
    ...(childPriority ? { childPriority } : {}),
    gate: (instance) => ({ set: (allowed) => gates.set(instance, allowed), settled: () => gates.settled(instance) }),
    fence: fenceCommand(clock, childPriority),
    onEvent: (event) =>
      events.append({
        type: 'resource',
        ...('instance' in event.follows ? { instance: event.follows.instance } : {}),
        message: `resource '${event.resource}' ${event.message}`,
        fields: { resource: event.resource, operation: event.operation, result: event.result, durationMs: Math.round(event.durationMs), follows: followsText(event.follows) },
      }),
    // One kind for raised and cleared (fields.alarm says which): a webhook filter on it gets both.
    onLagAlarm: (event) =>
      events.append({
        type: 'replication-lag',
        ...('instance' in event.follows ? { instance: event.follows.instance } : {}),
        message: `resource '${event.resource}' ${event.message}`,
        fields: { resource: event.resource, kind: event.kind, alarm: event.alarm, follows: followsText(event.follows), ...event.gauges },
      }),
  });
}

/** onStopFailure: { command }: run as its user (the script user rules), status 0 = fenced. */
function fenceCommand(clock: Clock, childPriority: ChildPriority | undefined): FenceRunner {
  return async (action, _resource, signal) => {
    const run = processRunner(clock, { ...(action.user !== undefined ? { user: action.user } : {}), ...(action.group !== undefined ? { group: action.group } : {}) }, childPriority);
    await runChecked(run, action.command, { signal });
  };
}
