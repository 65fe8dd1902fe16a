/**
 * One finished request of the lab's HTTP client (http-client-process.ts), as it travels from the
 * client process to the test or demo: one JSON line each.
 */
import { performance } from 'node:perf_hooks';

/**
 * The lab's web services answer with a body starting "node NAME" (the node that served), so the
 * client can tell which node holds the virtual address.
 */
export interface RequestOutcome {
  /** When the request finished (answer, error or timeout), wall-clock ms with fractions. */
  at: number;
  /** Status 200 with a body naming the node. */
  ok: boolean;
  /** The node that answered (ok only). */
  node?: string;
  /** Why it failed: ECONNREFUSED, timeout, status 503, … (failures only). */
  error?: string;
}

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes. */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

/** The outcome a client output line carries, or undefined for any other line. */
export function parseOutcomeLine(line: string): RequestOutcome | undefined {
  if (!line.startsWith('{')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { at, ok, node, error } = value as Record<string, unknown>;
  if (typeof at !== 'number' || !Number.isFinite(at) || typeof ok !== 'boolean') return undefined;
  const outcome: RequestOutcome = { at, ok };
  if (typeof node === 'string') outcome.node = node;
  if (typeof error === 'string') outcome.error = error;
  return outcome;
}
