/**
 * Where the etcd witness's raft leader sits. Every witness operation — the linearizable read and
 * the compare-and-swap of a takeover, the primary's allowAsync when its standby dies — needs a
 * leader. When the machine that dies also held the leader, the other members first wait out
 * their election timeout (etcd: --election-timeout, 1000 ms by default, each follower's drawn
 * in [1×, 2×) of it; raft §5.2, https://raft.github.io/raft.pdf) and elect a new one: measured
 * in the lab, ~0.9–1.0 s of a power-off's takeover went into the witness read alone while the
 * rest of the takeover took ~0.5 s (docs/postgresql-proof.md).
 *
 * So the primary keeps the leader off the two database hosts when it can: on a member that is on
 * neither (the witness host), else at least off its own host. A database host dying then never
 * takes the leader with it, except while a new leader is being placed. etcd's MoveLeader
 * (rpc.proto Maintenance.MoveLeader, `etcdctl move-leader`) is a raft leadership transfer
 * (raft thesis §3.10): the target catches up, then campaigns at once — no election timeout.
 *
 * A member is "on" a host when one of its peer or client URLs names one of the host's addresses.
 */
import { networkInterfaces } from 'node:os';
import type { EtcdGateway, EtcdMember } from './etcd-gateway.js';

export type LeaderChoice =
  | { readonly move: false; readonly reason: string }
  | {
    readonly move: true;
    readonly leader: EtcdMember;
    readonly target: EtcdMember;
    /** Where to move instead when `target` does not answer: the standby's member, only when the leader is on this host. */
    readonly fallback?: EtcdMember;
    readonly reason: string;
  };

/** The hosts (lower case, IPv6 without brackets) a member's URLs name. */
export function memberHosts(member: EtcdMember): Set<string> {
  const hosts = new Set<string>();
  for (const url of [...member.peerUrls, ...member.clientUrls]) {
    try {
      hosts.add(new URL(url).hostname.replace(/^\[|\]$/g, '').toLowerCase());
    } catch {
      // Not a URL: names no host.
    }
  }
  return hosts;
}

const on = (member: EtcdMember, hosts: ReadonlySet<string>): boolean => [...memberHosts(member)].some((h) => hosts.has(h));

/**
 * Pure: whether to move the leader, and to whom. `self`: this (the primary's) host's addresses;
 * `peer`: the standby's. The leader moves when it is on one of the database hosts and a member on
 * neither exists, or when it is on this host and another member exists at all; the target is a
 * member on neither host first, else the standby's. A leader on this host also gets the standby's
 * member as the fallback for a target that does not answer; a leader on the standby's host never
 * moves to this host (the primary's, the host whose death the placement is for).
 */
export function chooseLeader(members: readonly EtcdMember[], leaderId: string, self: ReadonlySet<string>, peer: ReadonlySet<string>): LeaderChoice {
  const leader = members.find((m) => m.id === leaderId);
  if (leader === undefined) return { move: false, reason: `the leader ${leaderId} is not among the ${members.length} members listed (an election under way)` };
  const onSelf = on(leader, self);
  const onPeer = !onSelf && on(leader, peer);
  if (!onSelf && !onPeer) return { move: false, reason: `the leader ${leader.name || leader.id} is on neither database host` };
  const others = members.filter((m) => m.id !== leader.id);
  const neither = others.find((m) => !on(m, self) && !on(m, peer));
  const standby = others.find((m) => on(m, peer) && !on(m, self));
  if (neither !== undefined) {
    return {
      move: true, leader, target: neither, ...(onSelf && standby !== undefined ? { fallback: standby } : {}),
      reason: `the leader ${leader.name || leader.id} is on ${onSelf ? 'this' : 'the standby\'s'} host; ${neither.name || neither.id} is on neither database host`,
    };
  }
  if (onPeer) return { move: false, reason: `the leader ${leader.name || leader.id} is on the standby's host and no member is on neither database host` };
  return standby === undefined
    ? { move: false, reason: `the leader ${leader.name || leader.id} is on this host and no other member was found` }
    : { move: true, leader, target: standby, reason: `the leader ${leader.name || leader.id} is on this host; ${standby.name || standby.id} is the standby's` };
}

/** This machine's (network namespace's) addresses, and its host name. */
export function localHosts(): Set<string> {
  const hosts = new Set<string>();
  for (const list of Object.values(networkInterfaces())) {
    for (const address of list ?? []) hosts.add(address.address.toLowerCase());
  }
  return hosts;
}

/**
 * Asks etcd where its leader is and moves it as chooseLeader says. The target must answer its
 * own status first (a transfer to a dead member would leave the leader refusing proposals until
 * the transfer times out). Resolves with what was done ("moved …") or why not; rejects when etcd
 * cannot be asked (the caller logs it and tries again later).
 */
export async function placeLeader(
  etcd: Pick<EtcdGateway, 'members' | 'status' | 'moveLeader'>,
  self: ReadonlySet<string>,
  peer: ReadonlySet<string>,
  signal?: AbortSignal,
): Promise<{ moved: boolean; said: string }> {
  const members = await etcd.members(signal);
  const asked = members.find((m) => on(m, self)) ?? members[0];
  if (asked === undefined || asked.clientUrls[0] === undefined) return { moved: false, said: 'no member with a client URL listed' };
  const { leaderId } = await etcd.status(asked.clientUrls[0], signal);
  const choice = chooseLeader(members, leaderId, self, peer);
  if (!choice.move) return { moved: false, said: choice.reason };
  const leaderUrl = choice.leader.clientUrls[0];
  if (leaderUrl === undefined) return { moved: false, said: `${choice.reason}, but the leader lists no client URL` };
  const refusal = await answersAsItself(etcd, choice.target, signal);
  if (refusal === undefined) {
    await etcd.moveLeader(leaderUrl, choice.target.id, signal);
    return { moved: true, said: `moved the etcd leader to ${choice.target.name || choice.target.id}: ${choice.reason}` };
  }
  // The witness host's member is down: off this host at least, to the standby's (a power-off of
  // this host then does not take the leader with it), until the next check finds it back.
  const fallback = choice.fallback;
  if (fallback === undefined) return { moved: false, said: `${choice.reason}, but ${refusal}` };
  const fallbackRefusal = await answersAsItself(etcd, fallback, signal);
  if (fallbackRefusal !== undefined) return { moved: false, said: `${choice.reason}, but ${refusal}, and ${fallbackRefusal}` };
  await etcd.moveLeader(leaderUrl, fallback.id, signal);
  return { moved: true, said: `moved the etcd leader to ${fallback.name || fallback.id}, the standby's member: ${choice.reason}, but ${refusal}` };
}

/** Undefined when the member answers its own status as itself; else why not (never throws but on abort). */
async function answersAsItself(etcd: Pick<EtcdGateway, 'status'>, member: EtcdMember, signal?: AbortSignal): Promise<string | undefined> {
  const url = member.clientUrls[0];
  if (url === undefined) return `${member.name || member.id} lists no client URL`;
  try {
    const status = await etcd.status(url, signal);
    return status.memberId === member.id ? undefined : `${url} answers as member ${status.memberId}`;
  } catch (error) {
    if (signal?.aborted === true) throw error;
    return `${member.name || member.id} (${url}) does not answer: ${(error as Error).message}`;
  }
}
