/**
 * Health answers for load balancers and monitoring, Patroni's convention (its REST API: GET
 * /primary answers 200 only on the leader, GET /replica 200 on a running replica, `?lag=` a
 * maximum lag; 503 otherwise). Pure: from what the drivers last saw, with the clock passed in.
 */

/** One postgresql resource as its driver last saw it (PostgresqlDriver.health()). */
export interface PostgresqlHealthView {
  readonly resource: string;
  /** The daemon made it the primary (MASTER) and the server is a primary. */
  readonly primary: boolean;
  /** The daemon keeps it a standby and the server runs as one. */
  readonly replica: boolean;
  readonly streaming: boolean;
  /** How far its replay is behind the primary as last seen (bytes). */
  readonly lagBytes?: number;
  readonly timeline?: number;
  /** Monotonic ms of the observation. */
  readonly observedAt: number;
  readonly detail: string;
}

export interface HealthAnswer {
  readonly status: 200 | 503;
  readonly body: Record<string, unknown>;
}

const UNITS: Record<string, number> = { '': 1, b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, tb: 1024 ** 4 };

/** "16MB", "1048576", "512kB" → bytes (Patroni's lag units); throws RangeError naming the value. */
export function parseMaxLag(text: string): number {
  const match = /^\s*(\d+)\s*([a-zA-Z]*)\s*$/.exec(text);
  const unit = match ? UNITS[(match[2] as string).toLowerCase()] : undefined;
  if (!match || unit === undefined) throw new RangeError(`max_lag must be a number of bytes with an optional unit (kB, MB, GB), not "${text}"`);
  return Number(match[1]) * unit;
}

/**
 * 200 when some postgresql resource is what is asked for. A view older than `staleAfterMs` counts
 * as unknown (503): a daemon that stopped looking must not keep saying "primary".
 */
export function healthAnswer(kind: 'primary' | 'replica', views: readonly PostgresqlHealthView[], now: number, opts: { maxLagBytes?: number; staleAfterMs?: number } = {}): HealthAnswer {
  const staleAfter = opts.staleAfterMs ?? 10_000;
  if (views.length === 0) return { status: 503, body: { role: 'unknown', reason: 'no postgresql resource on this node' } };
  const resources = views.map((v) => {
    const stale = now - v.observedAt > staleAfter;
    let ok = !stale && (kind === 'primary' ? v.primary : v.replica);
    let reason: string | undefined = stale ? `last observed ${Math.round(now - v.observedAt)} ms ago` : ok ? undefined : v.detail;
    if (ok && kind === 'replica' && opts.maxLagBytes !== undefined) {
      if (v.lagBytes === undefined || !v.streaming) {
        ok = false;
        reason = 'not streaming: lag unknown';
      } else if (v.lagBytes > opts.maxLagBytes) {
        ok = false;
        reason = `${v.lagBytes} bytes behind (max_lag ${opts.maxLagBytes})`;
      }
    }
    return {
      resource: v.resource,
      role: v.primary ? 'primary' : v.replica ? 'replica' : 'other',
      ...(v.timeline !== undefined ? { timeline: v.timeline } : {}),
      ...(v.lagBytes !== undefined ? { lag_bytes: v.lagBytes } : {}),
      ok,
      ...(reason !== undefined ? { reason } : {}),
    };
  });
  return { status: resources.every((r) => r.ok) ? 200 : 503, body: { check: kind, resources } };
}
