/**
 * Failover gaps only (rows 1 and 2 of the suite), kept as its own entry for `npm run bench:failover`:
 *
 *   BENCH_REPS=5 node dist/bench/failover.js [--quick | --long] [--reps N] [--json FILE]
 *
 * See rows/failover-gaps.ts for the method and index.ts for the whole suite.
 */
import { parseBenchOptions, USAGE } from './lib/options.js';
import { errorText } from './lib/row.js';
import { runBench } from './suite.js';

try {
  const options = parseBenchOptions(process.argv.slice(2));
  if (options.help) console.log(USAGE);
  else process.exitCode = await runBench({ ...options, only: ['1', '2'] });
} catch (error) {
  console.error(`bench/failover: ${errorText(error)}\n${USAGE}`);
  process.exitCode = 64;
}
