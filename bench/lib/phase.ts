/**
 * Aiming an event at a phase of a periodic cycle (a master's adverts, a health check's looks), so
 * that both daemons meet the event at the same point of their cycle in a repetition.
 */

/**
 * The first time at least `marginMs` from `now` that lies `phase` (0…1) into a cycle of
 * `intervalMs`, reckoned from a cycle start `last` (epoch ms, at or before `now`).
 */
export function nextPhaseAt(last: number, now: number, intervalMs: number, phase: number, marginMs = 30): number {
  const cycles = Math.ceil((now + marginMs - last) / intervalMs - phase);
  return last + (cycles + phase) * intervalMs;
}

/** Where `at` falls in the cycle that started at `last`: (at − last) / interval, 0…1 when `last` is the latest start. */
export function phaseOf(at: number, last: number, intervalMs: number): number {
  return (at - last) / intervalMs;
}
