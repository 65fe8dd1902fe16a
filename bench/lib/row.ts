/** What every row family gets and gives back. */
import type { HostLoad } from './machine.js';

export type Mode = 'quick' | 'default' | 'long';

export interface BenchContext {
  mode: Mode;
  /** --reps: overrides each row's own repetition count. */
  reps: number | undefined;
  /** Seed of the event phases (and anything else drawn at random). */
  seed: number;
  /** Package root of the snapshot of hotstandby's build that every run starts (see snapshot.ts). */
  hotstandbyRoot: string;
  /** Progress lines (stderr), so a long run shows it is alive. */
  log: (line: string) => void;
}

/** A goal and whether this run met it; null when the run measured nothing to judge. */
export interface Goal {
  row: string;
  what: string;
  target: string;
  measured: string;
  met: boolean | null;
}

export interface RowResult {
  id: string;
  title: string;
  /** Markdown table(s) of the results. */
  table: string;
  /** How it was measured, briefly, under the table. */
  notes: string[];
  goals: Goal[];
  /** Machine load during the row. */
  load: HostLoad;
  /** Everything measured, for the JSON file. */
  data: unknown;
  /** Runs that failed (the row reports what the others measured). */
  errors: string[];
}

export interface RowFamily {
  /** Row numbers as in docs/benchmarks.md. */
  ids: readonly string[];
  name: string;
  run: (ctx: BenchContext, ids: readonly string[]) => Promise<RowResult[]>;
}

/** A goal judged by `value <= limit` (null when the value is not a number). */
export function atMost(row: string, what: string, value: number, limit: number, shown: string, target: string): Goal {
  return { row, what, target, measured: shown, met: Number.isFinite(value) ? value <= limit : null };
}

export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
