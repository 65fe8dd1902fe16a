/**
 * A small client for etcd's v3 JSON gateway (etcd 3.4: `POST /v3/kv/range`, `POST /v3/kv/txn`),
 * the HTTP face of etcd's own gRPC KV API. Everything that makes the witness safe is etcd's: a
 * range is linearizable unless asked otherwise, a txn commits through raft or not at all. This
 * file only speaks the encoding: keys and values base64, int64 fields as decimal strings, fields
 * with their zero value (false, 0, empty) omitted by the gateway
 * (https://etcd.io/docs/v3.4/dev-guide/api_grpc_gateway/, api/etcdserverpb/rpc.proto).
 *
 * Endpoints are tried in order; a member that does not answer within `requestTimeoutMs` (a
 * partitioned member, whose linearizable requests wait for a quorum it cannot reach) is skipped
 * for the next. A txn whose answer was lost may still have committed: callers that must know
 * re-read (the witness does).
 */

export interface EtcdKeyValue {
  readonly key: string;
  readonly value: string;
  readonly modRevision: bigint;
  readonly version: bigint;
}

/** One comparison of a txn (rpc.proto `Compare`), on a single key. */
export type EtcdCompare =
  | { readonly key: string; readonly target: 'MOD'; readonly modRevision: bigint }
  | { readonly key: string; readonly target: 'VERSION'; readonly version: bigint };

export interface EtcdTxnResult {
  readonly succeeded: boolean;
  /** The key's current state when the txn failed (the failure branch ranges it), else undefined. */
  readonly current?: EtcdKeyValue | undefined;
}

/** A member as `/v3/cluster/member/list` lists it (rpc.proto `Member`; uint64 ids as decimal text). */
export interface EtcdMember {
  readonly id: string;
  readonly name: string;
  readonly peerUrls: readonly string[];
  readonly clientUrls: readonly string[];
}

export class EtcdUnavailableError extends Error {
  override readonly name = 'EtcdUnavailableError';
}

export interface EtcdGatewayOptions {
  /** Client URLs of the members, e.g. `http://10.0.0.3:2379`. */
  readonly endpoints: readonly string[];
  /** Per request and endpoint; default 1000 ms. */
  readonly requestTimeoutMs?: number;
  /** A read also goes to the next member after this long without an answer; default 150 ms. */
  readonly hedgeMs?: number;
  /**
   * This host's addresses: an endpoint naming one of them (the member on this machine) is asked
   * first, unless it failed in the last HOME_BACKOFF_MS. It is the one member certain to be alive
   * whenever this node is (the member the last answer came from may be on the host that just
   * died: each takeover's first read then waited hedgeMs for nothing).
   */
  readonly localHosts?: ReadonlySet<string>;
}

/** How long the member on this host is not asked first after it failed to answer. */
export const HOME_BACKOFF_MS = 5_000;

const b64 = (text: string): string => Buffer.from(text, 'utf8').toString('base64');
const unb64 = (text: string | undefined): string => Buffer.from(text ?? '', 'base64').toString('utf8');

interface WireKeyValue {
  key?: string;
  value?: string;
  mod_revision?: string;
  version?: string;
}

function decodeKeyValue(kv: WireKeyValue): EtcdKeyValue {
  return {
    key: unb64(kv.key),
    value: unb64(kv.value),
    modRevision: BigInt(kv.mod_revision ?? '0'),
    version: BigInt(kv.version ?? '0'),
  };
}

function encodeCompare(compare: EtcdCompare): Record<string, string> {
  const base = { key: b64(compare.key), result: 'EQUAL', target: compare.target };
  return compare.target === 'MOD'
    ? { ...base, mod_revision: compare.modRevision.toString() }
    : { ...base, version: compare.version.toString() };
}

export class EtcdGateway {
  readonly endpoints: readonly string[];
  private readonly requestTimeoutMs: number;
  /** Index of the endpoint that answered last (tried first). */
  private preferred = 0;
  private readonly hedgeMs: number;
  /** The endpoint on this host (localHosts), if any, and when it last failed (performance.now()). */
  private readonly home: string | undefined;
  private homeFailedAt = Number.NEGATIVE_INFINITY;

  constructor(options: EtcdGatewayOptions) {
    if (options.endpoints.length === 0) throw new RangeError('etcd: at least one endpoint is needed');
    for (const endpoint of options.endpoints) {
      let url: URL;
      try {
        url = new URL(endpoint);
      } catch {
        throw new TypeError(`etcd: endpoint "${endpoint}" is not a URL (http://host:2379)`);
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') {
        throw new TypeError(`etcd: endpoint "${endpoint}" must be http:// or https://`);
      }
    }
    this.endpoints = options.endpoints.map((endpoint) => endpoint.replace(/\/+$/, ''));
    this.requestTimeoutMs = options.requestTimeoutMs ?? 1000;
    this.hedgeMs = options.hedgeMs ?? Math.min(150, this.requestTimeoutMs);
    const local = options.localHosts;
    this.home = local === undefined ? undefined : this.endpoints.find((e) => local.has(new URL(e).hostname.replace(/^\[|\]$/g, '').toLowerCase()));
  }

  /** Member after member from the one that answered last, the one on this host first while it answers. */
  private order(): string[] {
    const order = this.endpoints.map((_, i) => this.endpoints[(this.preferred + i) % this.endpoints.length] as string);
    const home = this.home;
    if (home === undefined || performance.now() - this.homeFailedAt < HOME_BACKOFF_MS) return order;
    return [home, ...order.filter((e) => e !== home)];
  }

  /** A linearizable read of one key (undefined when it does not exist). */
  async get(key: string, signal?: AbortSignal): Promise<EtcdKeyValue | undefined> {
    const reply = (await this.call('/v3/kv/range', { key: b64(key) }, signal, true)) as { kvs?: WireKeyValue[] };
    const kv = reply.kvs?.[0];
    return kv === undefined ? undefined : decodeKeyValue(kv);
  }

  /** If every comparison holds, puts `value` at `key`; otherwise reads the key (one atomic txn). */
  async putIf(
    compares: readonly EtcdCompare[],
    key: string,
    value: string,
    signal?: AbortSignal,
  ): Promise<EtcdTxnResult> {
    const body = {
      compare: compares.map(encodeCompare),
      success: [{ request_put: { key: b64(key), value: b64(value) } }],
      failure: [{ request_range: { key: b64(key) } }],
    };
    const reply = (await this.call('/v3/kv/txn', body, signal)) as {
      succeeded?: boolean;
      responses?: Array<{ response_range?: { kvs?: WireKeyValue[] } }>;
    };
    if (reply.succeeded === true) return { succeeded: true };
    const kv = reply.responses?.[0]?.response_range?.kvs?.[0];
    return { succeeded: false, current: kv === undefined ? undefined : decodeKeyValue(kv) };
  }

  /** The members (rpc.proto MemberList), from whichever member answers. */
  async members(signal?: AbortSignal): Promise<EtcdMember[]> {
    const reply = (await this.call('/v3/cluster/member/list', {}, signal, true)) as { members?: Array<{ ID?: string; name?: string; peerURLs?: string[]; clientURLs?: string[] }> };
    return (reply.members ?? []).map((m) => ({ id: m.ID ?? '0', name: m.name ?? '', peerUrls: m.peerURLs ?? [], clientUrls: m.clientURLs ?? [] }));
  }

  /**
   * One member's status (rpc.proto StatusResponse): its own id and the leader it knows. Asked of
   * `endpoint` alone (a client URL, configured or advertised), never another member.
   */
  async status(endpoint: string, signal?: AbortSignal): Promise<{ memberId: string; leaderId: string }> {
    const reply = (await this.ask(endpoint.replace(/\/+$/, ''), '/v3/maintenance/status', {}, signal, false)) as { header?: { member_id?: string }; leader?: string };
    return { memberId: reply.header?.member_id ?? '0', leaderId: reply.leader ?? '0' };
  }

  /**
   * Hands raft leadership to member `targetId` (rpc.proto Maintenance.MoveLeader, etcdctl
   * move-leader). Must be asked of the leader itself (`leaderEndpoint`); etcd answers "not leader"
   * otherwise. While a transfer is pending the leader takes no proposals: the caller makes sure
   * the target answers first.
   */
  async moveLeader(leaderEndpoint: string, targetId: string, signal?: AbortSignal): Promise<void> {
    await this.ask(leaderEndpoint.replace(/\/+$/, ''), '/v3/maintenance/transfer-leadership', { targetID: targetId }, signal, false);
  }

  /** Deletes a key (tests and `witness reset`); resolves whether it existed. */
  async delete(key: string, signal?: AbortSignal): Promise<boolean> {
    const reply = (await this.call('/v3/kv/deleterange', { key: b64(key) }, signal)) as { deleted?: string };
    return BigInt(reply.deleted ?? '0') > 0n;
  }

  /**
   * One request, member after member from the one that answered last (with a member's host
   * powered off, no RST comes back: every call that began with it would wait out
   * requestTimeoutMs). `hedge`, for reads only: the next member is also asked once the current
   * one has been silent for hedgeMs, the first answer wins — a linearizable read may be served by
   * any member of the majority. Never for a txn: a second copy of a compare-and-swap would fail
   * its comparison, and that answer could arrive first.
   */
  private async call(path: string, body: unknown, signal?: AbortSignal, hedge = false): Promise<unknown> {
    const order = this.order();
    const failures: string[] = [];
    if (!hedge) {
      for (const endpoint of order) {
        signal?.throwIfAborted();
        try {
          return await this.ask(endpoint, path, body, signal);
        } catch (error) {
          signal?.throwIfAborted();
          failures.push(`${endpoint}: ${(error as Error).message}`);
        }
      }
      throw new EtcdUnavailableError(`etcd unreachable (${path}): ${failures.join('; ')}`);
    }
    const done = new AbortController();
    const own = signal === undefined ? done.signal : AbortSignal.any([signal, done.signal]);
    try {
      return await new Promise<unknown>((resolve, reject) => {
        let settled = false;
        let failed = 0;
        let next = 0;
        let timer: NodeJS.Timeout | undefined;
        const finish = (fn: () => void): void => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          fn();
        };
        const launch = (): void => {
          const endpoint = order[next++];
          if (settled || endpoint === undefined) return;
          clearTimeout(timer);
          if (next < order.length) timer = setTimeout(launch, this.hedgeMs);
          this.ask(endpoint, path, body, own).then((value) => finish(() => resolve(value)), (error: unknown) => {
            if (settled) return;
            failures.push(`${endpoint}: ${(error as Error).message}`);
            if (++failed === order.length) finish(() => reject(new EtcdUnavailableError(`etcd unreachable (${path}): ${failures.join('; ')}`)));
            else if (failed === next) launch(); // every one asked so far failed fast (refused): no need to wait
          });
        };
        signal?.addEventListener('abort', () => finish(() => reject(signal.reason)), { once: true, signal: done.signal });
        if (signal?.aborted) finish(() => reject(signal.reason));
        launch();
      });
    } finally {
      done.abort();
    }
  }

  /** One POST to one member; records it as preferred when it answers. */
  private async ask(endpoint: string, path: string, body: unknown, signal: AbortSignal | undefined, prefer = true): Promise<unknown> {
    const timeout = AbortSignal.timeout(this.requestTimeoutMs);
    const combined = signal === undefined ? timeout : AbortSignal.any([signal, timeout]);
    try {
      const response = await fetch(endpoint + path, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: combined,
      });
      const text = await response.text();
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new Error(`HTTP ${response.status}, not JSON: ${text.slice(0, 120)}`);
      }
      if (!response.ok) {
        const message = (parsed as { error?: string; message?: string }).message ?? (parsed as { error?: string }).error;
        throw new Error(`HTTP ${response.status}: ${message ?? text.slice(0, 120)}`);
      }
      if (prefer && this.endpoints.includes(endpoint)) this.preferred = this.endpoints.indexOf(endpoint);
      return parsed;
    } catch (error) {
      // Not answering (refused, timed out), not an answer that was an error, nor a hedge's loser.
      if (endpoint === this.home && !signal?.aborted && !(error instanceof Error && /^HTTP \d/.test(error.message))) this.homeFailedAt = performance.now();
      if (timeout.aborted && !signal?.aborted) throw new Error(`no answer within ${this.requestTimeoutMs} ms`);
      throw error;
    }
  }
}
