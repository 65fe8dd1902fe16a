/**
 * Who may write what to the witness record, and when (issue 11 §3), as pure decisions the driver
 * applies with compare-and-swaps (witness.ts). The invariant they keep:
 *
 *   the record names S as synchronous standby  ⇒  S holds every commit the primary acknowledged.
 *
 * So the node the record names as standby may be promoted with nothing lost, and a record with no
 * standby (`syncStandby: null`) lets nobody else be promoted. Writers:
 * - a promoting node (promotionClaim): only the recorded primary or its recorded standby;
 * - the primary dropping to asynchronous: clears syncStandby first, then synchronous_standby_names;
 * - the primary naming its standby again (resyncStep): synchronous_standby_names first, then,
 *   once the standby has flushed everything written before that took effect, the record.
 */
import type { PrimaryRecord } from './witness.js';

export interface PromotionInput {
  readonly self: string;
  readonly peer: string;
  /** The record as read just before (undefined: none yet, the first primary). */
  readonly record: PrimaryRecord | undefined;
  /** degradeToAsyncAfter is configured (the operator chose availability over waiting). */
  readonly mayRunAsync: boolean;
}

/**
 * The standby the promoting node writes into its claim, or why it may not claim.
 *
 * With mayRunAsync the claim names no standby at once: at a promotion the peer is the old
 * primary (dead, fenced, or about to rewind), which cannot be a synchronous standby within
 * seconds; naming it would make every write wait for degradeToAsyncAfter and a second CAS, the
 * bulk of the time to the first write. resyncStep names it once it streams and caught up.
 * The recorded primary claiming again keeps the recorded standby: if it ran asynchronously it
 * acknowledged commits the peer may lack, and naming the peer now would break the invariant.
 */
export function promotionClaim(input: PromotionInput): { readonly syncStandby: string | null } | { readonly refused: string } {
  const { self, peer, record, mayRunAsync } = input;
  if (record !== undefined && record.primary !== self && record.syncStandby !== self) {
    return { refused: `the witness names ${record.primary} as primary and ${record.syncStandby ?? 'no node'} as its synchronous standby` };
  }
  // The recorded primary again (its daemon restarted, or VRRP flapped): what the record says
  // about its standby still holds.
  if (record?.primary === self) return { syncStandby: record.syncStandby };
  return { syncStandby: mayRunAsync ? null : peer };
}

/** What the primary sees of its standby in one monitor round (pg_stat_replication, pg_settings). */
export interface ResyncObservation {
  /** The peer streams from this primary, or catches up (connected, behind). */
  readonly attached: boolean;
  /** Its sync_state is sync (or quorum). */
  readonly sync: boolean;
  /** synchronous_standby_names names the peer now. */
  readonly namesPeer: boolean;
  readonly currentLsn: bigint;
  readonly peerFlushLsn: bigint | undefined;
}

export type ResyncAction =
  | { readonly kind: 'wait'; readonly why: string }
  | { readonly kind: 'name-peer' }
  | { readonly kind: 'clear-names' }
  | { readonly kind: 'claim' };

/**
 * One round of getting back from asynchronous (record without a standby) to synchronous, given
 * the LSN captured earlier (`target`, undefined until captured). Returns the action and the
 * target to keep.
 *
 * - Peer not connected: no standby to wait for; clear synchronous_standby_names if set (the
 *   record allows asynchronous commits), forget the target.
 * - Connected (streaming or still catching up), not named: name it; commits wait for it from when
 *   the reload takes effect. Named while catching up, on purpose: on a busy or slow machine an
 *   asynchronous standby can stay behind a primary writing at full speed forever (seen: 90 s
 *   in 'catchup'); waiting commits slow the primary to the standby's pace.
 * - Named and reported sync: capture the current LSN as target, in a round after the one that
 *   named it: every commit acknowledged without waiting was written before the setting took
 *   effect, so lies below it. (The server applies the reload within milliseconds; a monitor
 *   round is ≥ 100 ms later.)
 * - Sync and the peer flushed up to the target: it holds every acknowledged commit; claim it in
 *   the record.
 *
 * Not waiting for the standby to catch up fully before naming it, on purpose: under a steady
 * write load an asynchronous standby is never exactly caught up, and a primary that waits for
 * that never gets back to synchronous (the witness then never names a standby again).
 */
export function resyncStep(observed: ResyncObservation, target: bigint | undefined): { readonly action: ResyncAction; readonly target: bigint | undefined } {
  if (!observed.attached) {
    return { action: observed.namesPeer ? { kind: 'clear-names' } : { kind: 'wait', why: 'the standby is not connected' }, target: undefined };
  }
  if (!observed.namesPeer) return { action: { kind: 'name-peer' }, target: undefined };
  if (!observed.sync) return { action: { kind: 'wait', why: 'the standby is not synchronous yet' }, target: undefined };
  if (target === undefined) return { action: { kind: 'wait', why: 'synchronous from now on: catching up' }, target: observed.currentLsn };
  if (observed.peerFlushLsn !== undefined && observed.peerFlushLsn >= target) return { action: { kind: 'claim' }, target };
  return { action: { kind: 'wait', why: 'the standby is catching up' }, target };
}
