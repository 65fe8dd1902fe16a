/**
 * Whether a planned switchover of this primary can work (issue 11: "maintenance hands over even
 * when no peer can take over"): only the peer may be promoted, and only as the synchronous
 * standby that streams (eligibility.ts) and, with a witness, the one the record names
 * (witness-protocol.ts). A primary that can see that the peer is none of these refuses the
 * hand-over up front, naming why, instead of stepping down and leaving the pair without a
 * primary. A pure function of what the last monitor round saw.
 */
import type { LocalState } from './eligibility.js';
import type { PeerReplication } from './sync-names.js';
import type { PrimaryRecord } from './witness.js';

export interface HandoverInput {
  /** The peer's node name (its application_name on this primary). */
  readonly peerName: string;
  /** undefined: no monitor round yet. */
  readonly local: LocalState | undefined;
  /** pg_stat_replication for the peer on this primary; undefined when it could not be read. */
  readonly replication: PeerReplication | undefined;
  /** This primary runs asynchronously (the record allowed it). */
  readonly degradedToAsync: boolean;
  /** The witness record as last read; absent without a witness. */
  readonly witness?: { readonly record: PrimaryRecord | undefined | 'unreachable'; readonly description: string };
  /** A background operation (promotion, rejoin) still running. */
  readonly busy?: string;
}

/** Why the peer could not take over now; undefined when it could. */
export function handoverBlocker(input: HandoverInput): string | undefined {
  const { peerName: peer, local, replication } = input;
  if (local === undefined) return 'not observed yet (no monitor round since the daemon started)';
  if (input.busy !== undefined) return `${input.busy} still running on this node`;
  if (local.kind !== 'primary') return `this node's PostgreSQL is not the primary yet (${local.kind})`;
  if (replication === undefined) return `cannot read pg_stat_replication: whether ${peer} holds every commit is unknown`;
  if (!replication.attached) return `${peer} is not connected as a standby (down, unreachable, or its copy is still being made)`;
  if (!replication.streaming) {
    const behind = replication.flushLagBytes !== undefined ? ` (${Math.round(replication.flushLagBytes)} bytes behind)` : '';
    return `${peer} is still catching up${behind}: it is not the synchronous standby yet`;
  }
  if (input.degradedToAsync) return `this primary runs asynchronously (degraded): ${peer} may lack acknowledged commits and may not be promoted`;
  if (!replication.sync) return `${peer} streams but is not the synchronous standby: it may lack acknowledged commits`;
  const witness = input.witness;
  if (witness !== undefined) {
    if (witness.record === 'unreachable') return `the witness (${witness.description}) cannot be read: ${peer} could not win the promotion`;
    if (witness.record?.syncStandby !== peer) {
      return `the witness does not name ${peer} as the synchronous standby yet (it names ${witness.record?.syncStandby ?? 'none'}): it could not win the promotion`;
    }
  }
  return undefined;
}
