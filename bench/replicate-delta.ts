/**
 * A large file with a small change, hotstandby's delta transfer against rsync over the same
 * link in the lab (root). The same measurement as the `file-replication` bench row's, alone.
 *
 *   node dist/bench/replicate-delta.js [--mib 256]
 */
import { deltaRun } from './rows/file-replication-delta.js';

const index = process.argv.indexOf('--mib');
const mib = index >= 0 ? Number(process.argv[index + 1] ?? '256') : 256;
console.log(JSON.stringify(await deltaRun(mib)));
