/**
 * Whether this node may be promoted (issue 11 §2, "only the synchronous standby may be promoted;
 * never promote a node on an older timeline"): a pure function of what the driver observed. The
 * last observation of the peer counts while the peer cannot be reached, since a primary's death is
 * exactly when it stops answering; what the node learnt is kept on disk (Knowledge) so a restarted
 * daemon remembers it.
 */
import type { Eligibility } from '../resource.js';
import type { PrimaryRecord } from './witness.js';

/** The local server as inspected. */
export type LocalState =
  | { readonly kind: 'empty' }
  | { readonly kind: 'stopped'; readonly timeline: number; readonly wasStandby: boolean }
  /** refused: nothing listens (connection refused, no socket): the server is certainly down. */
  | { readonly kind: 'unreachable'; readonly error: string; readonly refused?: boolean }
  | { readonly kind: 'primary'; readonly timeline: number; readonly lsn: bigint }
  | {
      readonly kind: 'standby';
      readonly timeline: number;
      readonly streaming: boolean;
      readonly replayLsn: bigint;
      readonly receiveLsn: bigint;
    };

/** The peer as last seen from here (superuser connection to its address). */
export type PeerState =
  | { readonly kind: 'unreachable'; readonly error: string }
  | { readonly kind: 'standby'; readonly timeline: number }
  | {
      readonly kind: 'primary';
      readonly timeline: number;
      readonly lsn: bigint;
      /** pg_stat_replication.sync_state of this node's walsender there; undefined = not streaming. */
      readonly mySyncState?: string;
      /** pg_stat_replication.state of this node's walsender there ('streaming' or 'catchup'); undefined = not connected. */
      readonly myState?: string;
      readonly myReplayLsn?: bigint;
    };

/** What this node last knew for sure about its own data; persisted in the state directory. */
export interface Knowledge {
  /** 'primary': it was the primary; 'sync-standby': the primary confirmed it as synchronous and streaming. */
  readonly role: 'primary' | 'sync-standby' | 'behind';
  readonly timeline: number;
  /** The highest timeline seen on the peer. */
  readonly peerTimeline: number;
}

export interface EligibilityInput {
  readonly nodeName: string;
  readonly local: LocalState;
  readonly peer: PeerState;
  readonly knowledge?: Knowledge;
  /**
   * The witness record when a witness arbitrates (undefined = no record yet; 'unreachable' = the
   * read failed), and the witness's name for messages.
   */
  readonly witness?: { readonly record: PrimaryRecord | undefined | 'unreachable'; readonly description?: string };
  /**
   * The daemon made this node the primary and it serves as one. Such a primary stays eligible
   * while the witness cannot be read: it needs no record to keep serving (a standby can only be
   * promoted by a compare-and-swap on the record, and commits wait for the recorded standby), and
   * vetoing it would fence the only primary at every hiccup of the witness (a member rebooting).
   */
  readonly servingAsPrimary?: boolean;
  readonly busy?: string;
  readonly bootstrapInitdb: boolean;
  readonly maxLagBytes?: number;
}

const no = (reason: string): Eligibility => ({ eligible: false, reason });

export function decideEligibility(input: EligibilityInput): Eligibility {
  const { local, peer, knowledge, witness } = input;
  if (input.busy !== undefined) return no(`${input.busy} running`);
  const peerTimeline = Math.max(peer.kind === 'unreachable' ? 0 : peer.timeline, knowledge?.peerTimeline ?? 0);
  if (witness?.record === 'unreachable' && !(local.kind === 'primary' && input.servingAsPrimary === true)) {
    return no(`the witness (${witness.description ?? 'etcd'}) cannot be reached`);
  }
  if (witness?.record !== undefined && witness.record !== 'unreachable') {
    const { primary, syncStandby } = witness.record;
    // Another node won the record: this primary is superseded (its commits wait for a standby
    // that is now a primary) and must be fenced, whatever its timeline says.
    if (local.kind === 'primary' && primary !== input.nodeName) return no(`the witness names ${primary} as primary: this primary was superseded`);
    if (primary !== input.nodeName && syncStandby !== input.nodeName) {
      return no(`the witness names ${primary} as primary and ${syncStandby ?? 'no node'} as its synchronous standby`);
    }
  }
  switch (local.kind) {
    case 'empty':
      if (peer.kind === 'primary') return no('empty data directory: the initial copy has not started');
      if (!input.bootstrapInitdb) return no('empty data directory and no primary to clone from');
      if (knowledge !== undefined || peerTimeline > 0) return no('empty data directory, but a cluster existed: clone it, do not initdb');
      if (witness !== undefined && witness.record !== undefined) return no('empty data directory, but the witness holds a primary record');
      return { eligible: true };
    case 'unreachable':
      return no(`PostgreSQL does not answer: ${local.error}`);
    case 'stopped':
      return no('PostgreSQL is not running');
    case 'primary':
      if (peerTimeline > local.timeline) return no(`timeline ${local.timeline} behind the peer's ${peerTimeline}`);
      return { eligible: true };
    case 'standby':
      break;
  }
  if (peerTimeline > local.timeline) return no(`timeline ${local.timeline} behind ${peerTimeline}`);
  if (peer.kind === 'primary') {
    if (peer.mySyncState === undefined) return no('not streaming from the primary');
    if (peer.mySyncState !== 'sync' && peer.mySyncState !== 'quorum') return no(`not the synchronous standby (sync_state ${peer.mySyncState})`);
    if (!local.streaming) return no('not streaming from the primary');
    if (input.maxLagBytes !== undefined && peer.myReplayLsn !== undefined && peer.lsn - peer.myReplayLsn > BigInt(input.maxLagBytes)) {
      return no(`${peer.lsn - peer.myReplayLsn} bytes behind (maxLagBytes ${input.maxLagBytes})`);
    }
    return { eligible: true };
  }
  // The primary cannot be reached (dead, or the link is cut): what we knew last decides.
  if (witness !== undefined && witness.record !== undefined) return { eligible: true }; // checked above: the witness names us
  if (knowledge === undefined) return no('the primary was never seen streaming to this node: cannot tell whether this copy is current');
  if (knowledge.role === 'behind') return no('the primary last saw this node as not synchronous');
  if (knowledge.timeline < local.timeline) return no('timeline changed since the primary was last seen');
  return { eligible: true };
}

/** What a monitor round teaches us (undefined: nothing new, keep the old knowledge). */
export function learn(local: LocalState, peer: PeerState, old: Knowledge | undefined): Knowledge | undefined {
  const peerTimeline = Math.max(peer.kind === 'unreachable' ? 0 : peer.timeline, old?.peerTimeline ?? 0);
  if (local.kind === 'primary') return { role: 'primary', timeline: local.timeline, peerTimeline };
  if (local.kind === 'standby' && peer.kind === 'primary') {
    const sync = local.streaming && (peer.mySyncState === 'sync' || peer.mySyncState === 'quorum');
    return { role: sync ? 'sync-standby' : 'behind', timeline: local.timeline, peerTimeline };
  }
  if (old !== undefined && peerTimeline !== old.peerTimeline) return { ...old, peerTimeline };
  return undefined;
}

/**
 * Whether a standby follows the primary (pure): streaming on the primary's timeline, and the
 * primary sees it streaming — or catching up while its received WAL grows (`receivedBefore`:
 * the receive LSN of the round before). A standby that cannot follow a new timeline (its WAL went
 * past the fork: an old primary restarted as a standby without a rewind) restarts its receiver
 * every few hundred ms, shows "streaming" between two failures on the new timeline number, and
 * the primary sees it in 'catchup' for ever: only its receive LSN standing still tells.
 */
export function followsPrimary(local: LocalState, peer: PeerState, receivedBefore?: bigint): boolean | undefined {
  if (peer.kind !== 'primary') return undefined; // nothing to follow
  if (local.kind !== 'standby' || !local.streaming || local.timeline < peer.timeline) return false;
  if (peer.myState === 'streaming') return true;
  return peer.myState === 'catchup' && receivedBefore !== undefined && local.receiveLsn > receivedBefore;
}

/** Rounds not following, and following in a row (the first is forgotten only after `SETTLED_ROUNDS` of the second). */
export interface FollowTally {
  readonly notFollowing: number;
  readonly following: number;
}

const SETTLED_ROUNDS = 3;

/**
 * Counts a monitor round (pure); `rejoin` once the standby was not following for `rounds` rounds
 * since it last followed for SETTLED_ROUNDS in a row, so a receiver that flaps between failing
 * and "streaming" is repaired instead of resetting the count each time it looks fine.
 */
export function tallyFollowing(tally: FollowTally, follows: boolean | undefined, rounds: number): { tally: FollowTally; rejoin: boolean } {
  if (follows === undefined) return { tally: { notFollowing: 0, following: 0 }, rejoin: false };
  if (follows) {
    const following = tally.following + 1;
    return { tally: { notFollowing: following >= SETTLED_ROUNDS ? 0 : tally.notFollowing, following }, rejoin: false };
  }
  const notFollowing = tally.notFollowing + 1;
  if (notFollowing >= rounds) return { tally: { notFollowing: 0, following: 0 }, rejoin: true };
  return { tally: { notFollowing, following: 0 }, rejoin: false };
}
