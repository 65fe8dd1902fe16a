/**
 * The benchmark suite: hotstandby against keepalived 2.2.7, side by side in the network-namespace
 * lab (root). Every figure is a median over repetitions and a ratio against keepalived measured
 * in the same run, the two daemons alternating run by run. It reports goals, it does not enforce
 * them: the exit status is non-zero only when something failed to run.
 *
 *   npm run bench                       # default: ~35 minutes (the chaos soak ~20)
 *   node dist/bench/index.js --quick    # ~6 minutes, for development
 *   node dist/bench/index.js --only 5 --json /tmp/scale.json
 *
 * Rows: 1 unplanned failover, 2 planned failover, 3 service death, 4 takeover overhead, 5 scale,
 * 6 stability, 7 chaos soak (node dist/bench/index.js --only 7 [--quick]).
 */
import { parseBenchOptions, USAGE, type BenchOptions } from './lib/options.js';
import { errorText } from './lib/row.js';
import { runBench } from './suite.js';

async function main(): Promise<void> {
  let options: BenchOptions;
  try {
    options = parseBenchOptions(process.argv.slice(2));
  } catch (error) {
    console.error(`bench: ${errorText(error)}\n${USAGE}`);
    process.exitCode = 64;
    return;
  }
  if (options.help) {
    console.log(USAGE);
    return;
  }
  process.exitCode = await runBench(options);
}

await main();
