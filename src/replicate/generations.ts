/**
 * Generations (DRBD's data generation UUIDs, drbd.org "The DRBD User's Guide", §"Data
 * generation UUIDs"): each node keeps, per directory, the id of the generation its data is in
 * and the ids of the generations before it. A node that changes the data as source while its
 * replica cannot see the change starts a new generation first; a replica that completed a full
 * comparison with its source takes the source's generation and history. On reconnect the
 * source compares the two:
 *
 *   same current id                 → nothing diverged: the usual rescan, source → replica;
 *   replica's id in source history  → only the source changed since: the same;
 *   replica never synced nor source → its first copy; what it held is kept (as below);
 *   otherwise                       → both changed since their common generation (or the
 *                                     replica did and the source did not see it): split brain.
 *                                     Nothing is overwritten silently: every replica entry the
 *                                     source replaces or removes is first moved into a conflict
 *                                     directory (replica-applier.ts, ConflictKeeper).
 *
 * A new generation begins lazily: promotion and a lost connection only make it pending, and it
 * starts at the first change the watcher sees, so a master that wrote nothing while apart does
 * not cause a split brain. Pure: ids come from the caller, the state is plain data.
 */
export interface GenerationState {
  readonly current: string;
  /** Older generations, newest first (bounded). */
  readonly history: readonly string[];
  /** The next change starts a new generation (after promotion, a lost connection). */
  readonly pending: boolean;
  /** This replica completed a full comparison with its source and has not diverged since. */
  readonly complete: boolean;
}

export type Lineage = 'same' | 'replica-behind' | 'fresh' | 'diverged';

export const HISTORY_LIMIT = 32;

export function initialGenerations(id: string): GenerationState {
  return { current: id, history: [], pending: true, complete: false };
}

export function compareGenerations(source: Pick<GenerationState, 'current' | 'history'>, replica: Pick<GenerationState, 'current' | 'history'>): Lineage {
  if (source.current === replica.current) return 'same';
  if (source.history.includes(replica.current)) return 'replica-behind';
  // Never synced and never changed as a source: whatever it holds was there before replication
  // began (kept like a split brain's, but not reported as one).
  if (replica.history.length === 0) return 'fresh';
  return 'diverged';
}

/** A change is about to be made as source: starts the pending generation, if any. */
export function beforeChange(state: GenerationState, newId: () => string): GenerationState {
  if (!state.pending) return state;
  return { current: newId(), history: [state.current, ...state.history].slice(0, HISTORY_LIMIT), pending: false, complete: state.complete };
}

/** Promotion or a lost replica connection: the next change starts a new generation. */
export function markPending(state: GenerationState): GenerationState {
  return state.pending ? state : { ...state, pending: true };
}

/** The replica completed a full comparison: it now holds the source's generation. */
export function adoptSource(source: Pick<GenerationState, 'current' | 'history'>): GenerationState {
  return { current: source.current, history: source.history.slice(0, HISTORY_LIMIT), pending: false, complete: true };
}

/** A source began to sync this replica: incomplete until it adopts the source's generation. */
export function syncStarted(state: GenerationState): GenerationState {
  return state.complete ? { ...state, complete: false } : state;
}

/** Reads the wire form ({current, history}) of the peer's generations; undefined if malformed. */
export function generationsFromWire(value: unknown): Pick<GenerationState, 'current' | 'history'> | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { current, history } = value as { current?: unknown; history?: unknown };
  if (typeof current !== 'string' || !/^[0-9a-f]{32}$/.test(current)) return undefined;
  if (!Array.isArray(history) || history.length > HISTORY_LIMIT || !history.every((h) => typeof h === 'string' && /^[0-9a-f]{32}$/.test(h))) return undefined;
  return { current, history: history as string[] };
}
