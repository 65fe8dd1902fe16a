/** The benchmark's command line. */
import { parseArgs } from 'node:util';
import type { Mode } from './row.js';

export interface BenchOptions {
  mode: Mode;
  /** Row numbers to run (all when not given). */
  only: string[] | undefined;
  reps: number | undefined;
  seed: number;
  /** JSON results; the Markdown report goes next to it (same name, .md). */
  jsonPath: string;
  help: boolean;
}

export const USAGE = `usage: node dist/bench/index.js [--quick | --long] [--only ROWS] [--reps N] [--seed N] [--json FILE]

  --quick       a few minutes: one repetition, short windows (for development)
  --long        longer windows and more repetitions (stability runs for minutes)
  --only ROWS   comma-separated row numbers (or 'chaos' for 7): 1 unplanned failover, 2 planned failover,
                3 service death, 4 takeover overhead, 5 scale, 6 stability, 7 chaos soak,
                file-replication (hotstandby vs lsyncd)
  --reps N      repetitions per row (overrides each row's own count; row 7: cycles per daemon)
  --seed N      seed of the event phases and the chaos cycles (default 1, or env BENCH_SEED)
  --json FILE   results (default bench/results/latest.json; a .md report is written beside it)

env: BENCH_REPS (as --reps), BENCH_SEED, BENCH_SCALE_SECONDS, BENCH_STABILITY_SECONDS.
Root is needed (network namespaces). Exit status: 0 when every run worked, whatever the goals;
1 when some run failed; 64 bad usage; 77 when the lab cannot run here.`;

export const KNOWN_ROWS = ['1', '2', '3', '4', '5', '6', '7', 'file-replication'] as const;

/** Names --only also takes for a row. */
export const ROW_NAMES: Readonly<Record<string, string>> = { chaos: '7' };

function positiveInteger(text: string, what: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`${what} must be a positive integer, got '${text}'`);
  return value;
}

/** Parses argv (without node and the script); throws RangeError / TypeError with a usage message. */
export function parseBenchOptions(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): BenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      quick: { type: 'boolean', default: false },
      long: { type: 'boolean', default: false },
      only: { type: 'string' },
      reps: { type: 'string' },
      seed: { type: 'string' },
      json: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.quick && values.long) throw new RangeError('Give at most one of --quick and --long');
  let only: string[] | undefined;
  if (values.only !== undefined) {
    only = values.only.split(',').map((s) => s.trim()).filter(Boolean).map((id) => ROW_NAMES[id] ?? id);
    const unknown = only.filter((id) => !(KNOWN_ROWS as readonly string[]).includes(id));
    if (unknown.length > 0 || only.length === 0) throw new RangeError(`--only '${values.only}' names no known rows (${KNOWN_ROWS.join(', ')})`);
  }
  const repsText = values.reps ?? env.BENCH_REPS;
  const seedText = values.seed ?? env.BENCH_SEED;
  return {
    mode: values.quick ? 'quick' : values.long ? 'long' : 'default',
    only,
    reps: repsText === undefined ? undefined : positiveInteger(repsText, '--reps'),
    seed: seedText === undefined ? 1 : positiveInteger(seedText, '--seed'),
    jsonPath: values.json ?? 'bench/results/latest.json',
    help: values.help,
  };
}

/** A row's measuring window: the environment variable `name` when it holds a positive number, else the mode's default. */
export function windowSecondsFrom(name: string, byMode: Readonly<Record<Mode, number>>, mode: Mode, env: NodeJS.ProcessEnv = process.env): number {
  const fromEnv = Number(env[name]);
  return Number.isFinite(fromEnv) && fromEnv > 0 ? fromEnv : byMode[mode];
}
