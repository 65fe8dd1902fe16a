/**
 * The PrimaryWitness (witness.ts) on etcd 3.4 (issue 11 §3): one key holds the JSON record
 * `{primary, syncStandby, generation}`; every change is a compare-and-swap on the key's
 * mod_revision (or on version 0 when there is no record yet), so of two claimants that read the
 * same record, etcd commits exactly one. A member cut off from the quorum cannot commit a txn nor
 * serve a linearizable read (etcd's raft), so a node on the wrong side of a split learns nothing and
 * wins nothing. No lease, no TTL: nothing has to expire before a standby may promote.
 */
import { EtcdGateway, type EtcdGatewayOptions, type EtcdKeyValue } from './etcd-gateway.js';
import { localHosts, placeLeader } from './etcd-leader.js';
import { sameRecord, type PrimaryRecord, type PrimaryWitness } from './witness.js';

export interface EtcdWitnessOptions extends Omit<EtcdGatewayOptions, 'localHosts'> {
  /** The record's key, one per PostgreSQL cluster; default `/hotstandby/postgresql/primary`. */
  readonly key?: string;
  /** This host's addresses (keepLeaderAway); default: its interfaces' (etcd-leader.ts localHosts). */
  readonly hostAddresses?: () => ReadonlySet<string>;
}

export const DEFAULT_WITNESS_KEY = '/hotstandby/postgresql/primary';

/** Parses a stored record; a value that is not one is an error naming the key (never guessed). */
export function parsePrimaryRecord(key: string, text: string): PrimaryRecord {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new SyntaxError(`etcd key ${key}: the witness record is not JSON: ${JSON.stringify(text.slice(0, 80))}`);
  }
  const record = value as Partial<Record<keyof PrimaryRecord, unknown>>;
  if (
    typeof value !== 'object' || value === null ||
    typeof record.primary !== 'string' || record.primary === '' ||
    !(record.syncStandby === null || typeof record.syncStandby === 'string') ||
    typeof record.generation !== 'number' || !Number.isSafeInteger(record.generation) || record.generation < 1
  ) {
    throw new TypeError(
      `etcd key ${key}: the witness record must be {"primary": name, "syncStandby": name|null, "generation": n ≥ 1}, got ${text.slice(0, 120)}`,
    );
  }
  return { primary: record.primary, syncStandby: record.syncStandby, generation: record.generation };
}

export { sameRecord };

export class EtcdWitness implements PrimaryWitness {
  readonly arbitrates = true;
  readonly description: string;
  readonly key: string;
  private readonly etcd: EtcdGateway;
  /** The last record read, with its key-value (mod_revision) for the next compare-and-swap. */
  private lastRead: { readonly record: PrimaryRecord | undefined; readonly kv: EtcdKeyValue | undefined } | undefined;
  private readonly localHosts: () => ReadonlySet<string>;

  constructor(options: EtcdWitnessOptions) {
    this.localHosts = options.hostAddresses ?? localHosts;
    // The member on this host first: it lives as long as this node (etcd-gateway.ts localHosts).
    this.etcd = new EtcdGateway({ ...options, localHosts: this.localHosts() });
    this.key = options.key ?? DEFAULT_WITNESS_KEY;
    this.description = `etcd ${this.etcd.endpoints.join(',')} key ${this.key}`;
  }

  async read(signal?: AbortSignal): Promise<PrimaryRecord | undefined> {
    const kv = await this.etcd.get(this.key, signal);
    const record = kv === undefined ? undefined : parsePrimaryRecord(this.key, kv.value);
    this.lastRead = { record, kv };
    return record;
  }

  claimPrimary(
    self: string,
    syncStandby: string | null,
    expect: PrimaryRecord | undefined,
    signal?: AbortSignal,
  ): Promise<boolean> {
    return this.swap(expect, { primary: self, syncStandby }, signal);
  }

  allowAsync(self: string, expect: PrimaryRecord, signal?: AbortSignal): Promise<boolean> {
    if (expect.primary !== self) return Promise.resolve(false); // only the recorded primary may
    return this.swap(expect, { primary: self, syncStandby: null }, signal);
  }

  setSyncStandby(self: string, syncStandby: string, expect: PrimaryRecord, signal?: AbortSignal): Promise<boolean> {
    if (expect.primary !== self) return Promise.resolve(false);
    return this.swap(expect, { primary: self, syncStandby }, signal);
  }

  /** The raft leader off the database hosts when a member elsewhere exists (etcd-leader.ts). */
  keepLeaderAway(peerHost: string | undefined, signal?: AbortSignal): Promise<{ moved: boolean; said: string }> {
    return placeLeader(this.etcd, this.localHosts(), new Set(peerHost === undefined ? [] : [peerHost.toLowerCase()]), signal);
  }

  /**
   * The compare-and-swap: read the record with its revision; if it equals `expect`, write `next`
   * with generation + 1 in a txn that compares the revision read. If etcd's answer to the txn
   * was lost (the error path) or the txn failed, the key is read again: a record equal to the one
   * we meant to write can only be ours (its generation is one past `expect`, and only `self`
   * writes itself as primary), so the claim is reported as won rather than lost-but-applied.
   */
  private async swap(
    expect: PrimaryRecord | undefined,
    next: Omit<PrimaryRecord, 'generation'>,
    signal?: AbortSignal,
  ): Promise<boolean> {
    // The caller read `expect` a moment ago (promote reads, decides, then claims): its revision is
    // the one to compare, and asking etcd again would add a round trip to every takeover. If the
    // key changed since, the txn's comparison fails and the claim is lost, as it should be.
    let current: EtcdKeyValue | undefined;
    if (this.lastRead !== undefined && sameRecord(this.lastRead.record, expect)) {
      current = this.lastRead.kv;
    } else {
      current = await this.etcd.get(this.key, signal);
      const stored = current === undefined ? undefined : parsePrimaryRecord(this.key, current.value);
      if (!sameRecord(stored, expect)) return false;
    }
    const wanted: PrimaryRecord = { ...next, generation: (expect?.generation ?? 0) + 1 };
    const text = JSON.stringify(wanted);
    try {
      const result = await this.etcd.putIf([compareFor(this.key, current)], this.key, text, signal);
      if (result.succeeded) return true;
      return result.current !== undefined && sameRecord(parsePrimaryRecord(this.key, result.current.value), wanted);
    } catch (error) {
      // Outcome unknown: settle it by reading (which rejects in turn if etcd is still unreachable).
      signal?.throwIfAborted();
      let after: PrimaryRecord | undefined;
      try {
        after = await this.read(signal);
      } catch {
        throw error;
      }
      return sameRecord(after, wanted);
    }
  }
}

function compareFor(key: string, current: EtcdKeyValue | undefined) {
  return current === undefined
    ? ({ key, target: 'VERSION', version: 0n } as const)
    : ({ key, target: 'MOD', modRevision: current.modRevision } as const);
}
