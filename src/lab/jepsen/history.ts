/**
 * The history of a PostgreSQL failover run, in Jepsen's terms (https://jepsen.io, its checkers):
 * every operation a client invoked and how it ended — `ok` (acknowledged), `fail` (certainly not
 * applied) or `unknown` (the answer was lost: it may or may not have committed). The writer
 * process (writer-process.ts) emits one JSON line per operation; the checker (checker.ts) is a pure
 * function over the list. Times are wall-clock ms with fractions (`preciseNow`), comparable
 * across the lab's processes.
 */

export type Outcome = 'ok' | 'fail' | 'unknown';

/** Who served an operation, as the server said in the same statement. */
export interface ServerStamp {
  /** The node's name (its lab host, from the data directory: sql.ts). */
  readonly node: string;
  /** pg_is_in_recovery(): a standby. Nothing should be served by one through the VIP. */
  readonly inRecovery: boolean;
  /** The WAL timeline the server writes on (0 when in recovery: not known there). */
  readonly timeline: number;
}

interface OpBase {
  /** The writer (client) that ran it, unique within a run: "r1w3". */
  readonly writer: string;
  readonly invokedAt: number;
  readonly completedAt: number;
  readonly outcome: Outcome;
  /** Present when outcome is ok. */
  readonly server?: ServerStamp;
  /** The error the client saw (fail / unknown). */
  readonly error?: string;
}

/** Inserts row `id` (the writer's `n`-th write). */
export interface WriteOp extends OpBase {
  readonly kind: 'write';
  readonly id: string;
  readonly n: number;
  /** A WARNING/NOTICE that came with the acknowledgement (e.g. a cancelled synchronous-replication wait). */
  readonly warning?: string;
}

/** Reads, per writer, the highest `n` present: an acknowledged write must be visible to every later read. */
export interface ReadOp extends OpBase {
  readonly kind: 'read';
  readonly maxByWriter?: Readonly<Record<string, number>>;
}

/** Reads every id present (after each failover and at the end), labelled by the harness. */
export interface CheckOp extends OpBase {
  readonly kind: 'check';
  readonly label: string;
  readonly ids?: readonly string[];
}

export type Op = WriteOp | ReadOp | CheckOp;

/** A fault the harness injected, for the time from the fault to the first acknowledged write. */
export interface FaultMark {
  readonly kind: string;
  readonly at: number;
}

/** The row id of a writer's n-th write. */
export const rowId = (writer: string, n: number): string => `${writer}-${n}`;

/** Whether a writer output line claims to carry an op (parseOpLine undefined for it: a cut or broken line). */
export const looksLikeOpLine = (line: string): boolean => line.startsWith('{"kind":');

/** The op a writer output line carries, or undefined for any other line (pure). */
export function parseOpLine(line: string): Op | undefined {
  if (!looksLikeOpLine(line)) return undefined;
  try {
    const op = JSON.parse(line) as Op;
    return op.kind === 'write' || op.kind === 'read' || op.kind === 'check' ? op : undefined;
  } catch {
    return undefined;
  }
}
