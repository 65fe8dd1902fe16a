/**
 * vrrp_sync_group policy (keepalived's behaviour), pure: from the members' states and fault
 * sources to the events each member must be given. The controller feeds and carries out.
 *  - One member with a fault of its own holds every other member in FAULT (a fault source named
 *    after the group). Only own faults count, so a fault held through the group does not echo
 *    back and keep the group down after the cause is gone.
 *  - One member becoming MASTER takes the others to MASTER; one leaving MASTER for BACKUP takes
 *    the others to BACKUP.
 *  - The group's own state (for its notify hooks) is a state all members are in.
 */
import type { VrrpState } from './state-machine.js';

export interface SyncGroupSpec {
  name: string;
  instances: readonly string[];
}

/** A member as the policy sees it. */
export interface MemberView {
  name: string;
  state: VrrpState;
  faultSources: readonly string[];
}

export interface GroupFault {
  instance: string;
  source: string;
  reason: string | undefined;
}

export interface GroupFollow {
  instance: string;
  to: 'MASTER' | 'BACKUP';
  reason: string;
}

/** The fault source a group sets on its members. */
export function groupFaultSource(group: SyncGroupSpec): string {
  return `sync group ${group.name}`;
}

/** The group fault (set or clear) of every member. */
export function groupFaults(group: SyncGroupSpec, members: readonly MemberView[]): GroupFault[] {
  const source = groupFaultSource(group);
  const ownFault = (member: MemberView) => member.faultSources.some((s) => s !== source);
  return members.map((member) => {
    const cause = members.find((other) => other !== member && ownFault(other));
    return { instance: member.name, source, reason: cause ? `${cause.name} in sync group ${group.name} is in FAULT` : undefined };
  });
}

/** What the other members do when `instance` went `from` → `to`. */
export function followTransition(group: SyncGroupSpec, transition: { instance: string; from: VrrpState; to: VrrpState }, members: readonly MemberView[]): GroupFollow[] {
  const { instance, from, to } = transition;
  const follow = to === 'MASTER' || (to === 'BACKUP' && from === 'MASTER') ? to : undefined;
  if (follow === undefined) return [];
  return members
    .filter((m) => m.name !== instance)
    .map((m) => ({ instance: m.name, to: follow, reason: `sync group ${group.name}: ${instance} became ${follow}` }));
}

/** The group's state when every member is in `state` (INIT is never a group state). */
export function unanimousState(state: VrrpState, members: readonly MemberView[]): 'MASTER' | 'BACKUP' | 'FAULT' | undefined {
  if (state === 'INIT' || members.some((m) => m.state !== state)) return undefined;
  return state;
}
