/**
 * The etcd witness driven from inside a lab host (the test process lives in another network
 * namespace): `witnessOperation` runs one read or claim and prints its outcome as one JSON line;
 * `witnessRace` has several claimants read the same record and claim it at once, with seeded
 * delays, and prints who won. Started with `nodeEntryCommand` (node-entry.ts).
 */
import { EtcdWitness } from '../resources/postgresql/witness-etcd.js';
import type { PrimaryRecord } from '../resources/postgresql/witness.js';
import { SeededRandom } from './impairment.js';

export interface WitnessOperationConfig {
  readonly endpoints: readonly string[];
  readonly key: string;
  readonly requestTimeoutMs?: number;
  readonly op: 'read' | 'claim' | 'allow-async';
  readonly self?: string;
  readonly syncStandby?: string | null;
}

export type WitnessOutcome =
  | { readonly ok: true; readonly record?: PrimaryRecord | undefined; readonly won?: boolean }
  | { readonly ok: false; readonly error: string };

export async function witnessOperation(config: WitnessOperationConfig): Promise<void> {
  const witness = new EtcdWitness({ endpoints: config.endpoints, key: config.key, requestTimeoutMs: config.requestTimeoutMs ?? 1000 });
  let outcome: WitnessOutcome;
  try {
    const record = await witness.read();
    if (config.op === 'read') outcome = { ok: true, record };
    else if (config.op === 'claim') {
      const won = await witness.claimPrimary(config.self ?? 'nobody', config.syncStandby ?? null, record);
      outcome = { ok: true, won, record: await witness.read() };
    } else {
      const won = record !== undefined && (await witness.allowAsync(config.self ?? 'nobody', record));
      outcome = { ok: true, won, record: await witness.read() };
    }
  } catch (error) {
    outcome = { ok: false, error: (error as Error).message };
  }
  process.stdout.write(`${JSON.stringify(outcome)}\n`);
}

export interface WitnessRaceConfig {
  readonly endpoints: readonly string[];
  readonly key: string;
  readonly claimants: readonly string[];
  readonly seed: number;
}

/**
 * Every claimant waits a seeded 0–20 ms, then claims against the same record, the one all of
 * them saw (none: the key is fresh) — as standbys that all saw the primary die would. A claimant
 * that read the record afresh after another had won would legitimately win the next generation.
 */
export async function witnessRace(config: WitnessRaceConfig): Promise<void> {
  const random = new SeededRandom(config.seed);
  const delays = config.claimants.map(() => Math.floor(random.next() * 20));
  const results = await Promise.all(
    config.claimants.map(async (self, i) => {
      const witness = new EtcdWitness({ endpoints: config.endpoints, key: config.key, requestTimeoutMs: 3000 });
      try {
        await new Promise((resolve) => setTimeout(resolve, delays[i]));
        return { self, won: await witness.claimPrimary(self, null, undefined) };
      } catch (error) {
        return { self, error: (error as Error).message };
      }
    }),
  );
  const final = await new EtcdWitness({ endpoints: config.endpoints, key: config.key }).read();
  process.stdout.write(`${JSON.stringify({ results, final })}\n`);
}
