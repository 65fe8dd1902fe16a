/**
 * The witness port (issue 11 §3): a third party that decides who may be the primary, so that two
 * nodes that cannot tell a dead peer from a cut link never both act as primary. The PostgreSQL
 * driver needs only this; the etcd implementation (hs-pgproof) lives elsewhere and is built by the
 * composition root. A node without a witness uses `nullWitness` (the two-node behaviour: safety
 * comes from synchronous replication alone, and degrading to asynchronous is refused).
 *
 * Contract for implementations:
 * - Every method honours `signal` (rejects with the abort reason once aborted) and never hangs.
 * - `claimPrimary` and `allowAsync` are compare-and-swap operations on ONE record: they succeed
 *   only if the stored record equals `expect` (all three fields; `undefined` = no record yet), and
 *   then write a record with `generation = (expect?.generation ?? 0) + 1`. They resolve `false` when
 *   someone else changed the record first, and reject only when the witness cannot be reached (the
 *   caller then treats the claim as lost: no promotion, no degrade).
 * - `read` returns the stored record or `undefined` when none exists; it rejects when unreachable.
 */

/** The one record the witness holds (issue 11 §3: `{primary, sync standby, generation}`). */
export interface PrimaryRecord {
  /** Node name of the primary (the driver's `nodeName`, by default the host name). */
  readonly primary: string;
  /**
   * Node name of the synchronous standby, the only node that may claim the primary next; `null`
   * when the primary was allowed to run asynchronously (then no standby may claim it: its data may
   * be behind).
   */
  readonly syncStandby: string | null;
  /** Increases by one with every successful compare-and-swap. */
  readonly generation: number;
}

/** Equal in all three fields (undefined: no record). */
export function sameRecord(a: PrimaryRecord | undefined, b: PrimaryRecord | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.primary === b.primary && a.syncStandby === b.syncStandby && a.generation === b.generation;
}

export interface PrimaryWitness {
  /** A name for logs and status ("etcd http://10.0.0.3:2379", "none"). */
  readonly description: string;
  /** Whether this witness can arbitrate at all (false for the null witness). */
  readonly arbitrates: boolean;
  read(signal?: AbortSignal): Promise<PrimaryRecord | undefined>;
  /**
   * Makes `self` the primary with `syncStandby` as the standby expected to follow it, if the
   * record still equals `expect`. A standby calls this before promoting: it may only succeed when
   * `expect.syncStandby === self` (or when there is no record yet); the driver checks that before
   * calling.
   */
  claimPrimary(
    self: string,
    syncStandby: string | null,
    expect: PrimaryRecord | undefined,
    signal?: AbortSignal,
  ): Promise<boolean>;
  /**
   * The primary `self` records that it runs without a synchronous standby from now on (sets
   * `syncStandby` to null), if the record still equals `expect`. Only after this succeeded may
   * the primary clear synchronous_standby_names.
   */
  allowAsync(self: string, expect: PrimaryRecord, signal?: AbortSignal): Promise<boolean>;
  /**
   * The primary `self` names `syncStandby` as its synchronous standby again (after the standby
   * caught up), if the record still equals `expect`.
   */
  setSyncStandby(self: string, syncStandby: string, expect: PrimaryRecord, signal?: AbortSignal): Promise<boolean>;
  /**
   * Optional, called by the primary now and then: keeps what the witness cannot answer without
   * off the database hosts (etcd: its raft leader, etcd-leader.ts), so that a database host's
   * death does not also cost the witness an election. `peerHost`: the standby's address. Resolves
   * with whether it changed anything and a sentence saying what or why not; rejects when the
   * witness cannot be asked. Never needed for safety, only for the time a takeover takes.
   */
  keepLeaderAway?(peerHost: string | undefined, signal?: AbortSignal): Promise<{ moved: boolean; said: string }>;
  close?(): Promise<void>;
}

/**
 * No witness: every claim "succeeds" without a record (two-node behaviour). `arbitrates` is false,
 * so the driver refuses `degradeToAsync` and relies on synchronous replication for safety.
 */
export const nullWitness: PrimaryWitness = Object.freeze({
  description: 'none',
  arbitrates: false,
  read: async () => undefined,
  claimPrimary: async () => true,
  allowAsync: async () => false,
  setSyncStandby: async () => true,
});
