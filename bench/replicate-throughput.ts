/**
 * Large-file throughput in the lab (root): one file moved into the source tree, timed until it
 * is complete under its final name on the replica; then the same file with rsync (daemon on
 * the replica's host, plain TCP, so rsync pays for no encryption while hotstandby runs TLS).
 * The same measurement as the `file-replication` bench row's, alone.
 *
 *   node dist/bench/replicate-throughput.js [--mib 256] [--limit 16MiB/s]
 *
 * With --limit, hotstandby alone under that `bandwidthLimit` (rsync is not run).
 */
import { parseBandwidth } from '../src/replicate/bandwidth-text.js';
import { throughputRun } from './rows/file-replication.js';

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}

const limitText = option('limit', '');
const result = await throughputRun(Number(option('mib', '256')), limitText === '' ? undefined : parseBandwidth(limitText));
console.log(JSON.stringify({ ...result, hotstandby_mib_per_s: result.mib / result.hotstandby_s, rsync_mib_per_s: result.mib / result.rsync_s }));
