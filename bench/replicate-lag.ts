/**
 * File replication lag in the lab (root): a replica process in one namespace, the source with a
 * writer of 200-byte files in the other, at 100 and 1,000 files/s; prints p50 / p99 from write
 * to the file's appearance on the replica and to the replica's acknowledgement (durable there).
 * The `file-replication` bench row measures the same beside lsyncd.
 *
 *   node dist/bench/replicate-lag.js [--seconds 10] [--rates 100,1000] [--base /dev/shm] [--own-fs]
 *
 * --base puts both trees elsewhere (default the temp directory): /dev/shm separates the cost of
 * fsync on this disk from the rest. --own-fs (or BENCH_OWN_FS=1) puts each node's tree on its own
 * fresh ext4 filesystem, as two machines would have (bench/lib/own-fs.ts says why it matters).
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab } from '../src/lab/index.js';
import { nodeEntryCommand } from '../src/lab/node-entry.js';
import { ownFsWanted, sideRoots } from './lib/own-fs.js';

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}

async function main(): Promise<void> {
  const seconds = Number(option('seconds', '10'));
  const rates = option('rates', '100,1000').split(',').map(Number);
  const keyHex = randomBytes(32).toString('hex');
  const results: unknown[] = [];
  for (const rate of rates) {
    const lab = await Lab.create({ hosts: ['a', 'b'], ipv6: false });
    const base = mkdtempSync(join(option('base', tmpdir()), 'hs-bench-repl-'));
    let sides: ReturnType<typeof sideRoots> | undefined;
    try {
      sides = sideRoots(base, ['source', 'replica'], ownFsWanted());
      const [source, replicaRoot] = sides.roots as [string, string];
      const host = lab.host('b').ipv4;
      const replica = lab.spawn('b', nodeEntryCommand(new URL('../src/replicate/node-process.js', import.meta.url).href, 'runReplicaProcess', { root: replicaRoot, host, port: 7400, keyHex }), { name: 'replica', env: { ...process.env, UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? '4' } });
      await replica.waitForLine(/"listening"/, 15_000);
      const writer = lab.spawn(
        'a',
        nodeEntryCommand(new URL('./replicate-workload.js', import.meta.url).href, 'runAppearLagWorkload', {
          root: source,
          target: replicaRoot,
          hotstandby: { host, port: 7400, keyHex },
          ratePerSecond: rate,
          seconds,
          fileBytes: 200,
          drainMs: 30_000,
        }),
        { name: 'writer' },
      );
      const line = await writer.waitForLine(/"result"/, (seconds + 60) * 1000);
      const result = (JSON.parse(line) as { result: unknown }).result;
      results.push(result);
      console.log(JSON.stringify(result));
    } finally {
      await lab.destroy();
      sides?.dispose();
      rmSync(base, { recursive: true, force: true });
    }
  }
  console.log(JSON.stringify({ id: 'file-replication', results }, null, 2));
}

await main();
