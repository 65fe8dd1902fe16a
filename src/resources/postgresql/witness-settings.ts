/**
 * The postgresql kind's `witness` key (issue 11 §3): an etcd cluster holding the primary record.
 *
 *   witness:
 *     etcd: [http://10.0.0.1:2379, http://10.0.0.2:2379, http://10.0.0.3:2379]
 *     key: /hotstandby/db/primary        # default /hotstandby/postgresql/<resource name>
 *     requestTimeout: 1s                  # per request and member
 *
 * Both nodes must name the same key. Without the key the pair runs without a witness (null
 * witness: safety from synchronous replication alone, no degrading to asynchronous).
 */
import type { ResourceHost, ResourceKindField, ResourceSettings } from '../resource.js';
import { EtcdWitness } from './witness-etcd.js';
import type { PrimaryWitness } from './witness.js';

export interface WitnessSettings {
  readonly etcd: readonly string[];
  readonly key?: string;
  readonly requestTimeoutMs: number;
}

export const WITNESS_FIELD: ResourceKindField = {
  key: 'witness',
  type: 'mapping {etcd, key, requestTimeout}',
  doc: 'An etcd 3.4 cluster (client URLs) holding the primary record: a standby promotes, and a primary goes asynchronous, only by winning a compare-and-swap on it (docs/postgresql.md).',
};

export function parseWitnessSettings(s: ResourceSettings): WitnessSettings | undefined {
  const section = s.section('witness', ['etcd', 'key', 'requestTimeout']);
  if (section === undefined) return undefined;
  const etcd = section.stringList('etcd');
  if (etcd === undefined || etcd.length === 0) throw section.error('etcd', 'is required: the client URLs of the etcd members (http://host:2379)');
  for (const url of etcd) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(url);
    } catch {
      parsed = undefined;
    }
    if (parsed === undefined || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')) {
      throw section.error('etcd', `"${url}" is not an http:// or https:// URL of an etcd member`);
    }
  }
  const key = section.string('key');
  if (key !== undefined && !key.startsWith('/')) throw section.error('key', `must start with "/", not "${key}"`);
  const requestTimeoutMs = section.duration('requestTimeout') ?? 1000;
  if (requestTimeoutMs < 50 || requestTimeoutMs > 60_000) throw section.error('requestTimeout', 'must be between 50ms and 60s');
  return Object.freeze({ etcd: Object.freeze([...etcd]), ...(key !== undefined ? { key } : {}), requestTimeoutMs });
}

/** The witness a resource's settings ask for (the composition root's `witnessFor`). */
export function etcdWitnessFor(settings: { readonly witness?: WitnessSettings }, host: Pick<ResourceHost, 'name'>): PrimaryWitness | undefined {
  const w = settings.witness;
  if (w === undefined) return undefined;
  return new EtcdWitness({ endpoints: w.etcd, key: w.key ?? `/hotstandby/postgresql/${host.name}`, requestTimeoutMs: w.requestTimeoutMs });
}
