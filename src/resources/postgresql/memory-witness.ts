/**
 * An in-memory witness: the PrimaryWitness contract (witness.ts) on one shared object, for tests
 * and as the reference the etcd witness is checked against. Nodes that share one MemoryWitnessStore
 * see one record.
 */
import { abortError } from './commands.js';
import type { PrimaryRecord, PrimaryWitness } from './witness.js';

export class MemoryWitnessStore {
  record: PrimaryRecord | undefined;
  /** When set, every call rejects (the witness cannot be reached). */
  unreachable = false;
}

export function memoryWitness(store: MemoryWitnessStore): PrimaryWitness {
  const guard = (signal?: AbortSignal): void => {
    if (signal?.aborted) throw abortError(signal);
    if (store.unreachable) throw new Error('witness unreachable');
  };
  const same = (a: PrimaryRecord | undefined, b: PrimaryRecord | undefined): boolean =>
    a === b || (a !== undefined && b !== undefined && a.primary === b.primary && a.syncStandby === b.syncStandby && a.generation === b.generation);
  const swap = (expect: PrimaryRecord | undefined, primary: string, syncStandby: string | null): boolean => {
    if (!same(store.record, expect)) return false;
    store.record = Object.freeze({ primary, syncStandby, generation: (expect?.generation ?? 0) + 1 });
    return true;
  };
  return {
    description: 'memory',
    arbitrates: true,
    read: async (signal) => {
      guard(signal);
      return store.record;
    },
    claimPrimary: async (self, syncStandby, expect, signal) => {
      guard(signal);
      if (expect !== undefined && expect.primary !== self && expect.syncStandby !== self) return false;
      return swap(expect, self, syncStandby);
    },
    allowAsync: async (self, expect, signal) => {
      guard(signal);
      return expect.primary === self && swap(expect, self, null);
    },
    setSyncStandby: async (self, syncStandby, expect, signal) => {
      guard(signal);
      return expect.primary === self && swap(expect, self, syncStandby);
    },
  };
}
