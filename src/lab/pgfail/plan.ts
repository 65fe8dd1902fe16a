/**
 * Which fault each failover cycle injects (pure, seeded): every kind in turn, the order of each
 * round shuffled by the seed, so a run of N ≥ kinds cycles has every kind and a seed replays it.
 * The faults are issue 11 §4's; the primary is always the target (decided when the cycle runs).
 */
import { SeededRandom } from '../impairment.js';

export const FAULT_KINDS = [
  'kill-postgres', //             kill -9 of PostgreSQL on the primary
  'kill-daemon-and-postgres', //  kill -9 of the HA daemon and PostgreSQL together
  'power-off', //                 everything on the primary killed and its link down
  'split', //                     the link between the nodes cut, the client still reaches both
  'pause-daemon', //              SIGSTOP of the primary's HA daemon for 2 s (a VM pause)
  'pause-postgres', //            SIGSTOP of the primary's PostgreSQL for 2 s
  'switchover', //                planned switchover (maintenance)
] as const;

export type FaultKind = (typeof FAULT_KINDS)[number];

/** The faults in which the primary dies (issue 11's goal: first write after a primary's death, p99 ≤ 1 s). */
export const PRIMARY_DEATHS: readonly FaultKind[] = ['kill-postgres', 'kill-daemon-and-postgres', 'power-off'];

export function isFaultKind(text: string): text is FaultKind {
  return (FAULT_KINDS as readonly string[]).includes(text);
}

/** `count` fault kinds from `kinds`: rounds of every kind, each round's order drawn from the seed. */
export function planFaults(seed: number, count: number, kinds: readonly FaultKind[] = FAULT_KINDS): FaultKind[] {
  if (kinds.length === 0) throw new RangeError('planFaults: no fault kinds to choose from');
  const random = new SeededRandom(seed);
  const plan: FaultKind[] = [];
  while (plan.length < count) {
    const round = [...kinds];
    for (let i = round.length - 1; i > 0; i--) {
      const j = Math.floor(random.next() * (i + 1));
      [round[i], round[j]] = [round[j] as FaultKind, round[i] as FaultKind];
    }
    plan.push(...round.slice(0, count - plan.length));
  }
  return plan;
}
