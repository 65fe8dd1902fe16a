/**
 * Large-file throughput in the lab (root): one file moved into the source tree, timed until it
 * is complete under its final name on the replica; then the same file with rsync (daemon on
 * the replica's host, plain TCP, so rsync pays for no encryption while hotstandby runs TLS).
 *
 *   node dist/bench/replicate-throughput.js [--mib 256]
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab, waitFor } from '../src/lab/index.js';
import { nodeEntryCommand } from '../src/lab/node-entry.js';

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}

async function main(): Promise<void> {
  const mib = Number(option('mib', '256'));
  const keyHex = randomBytes(32).toString('hex');
  const lab = await Lab.create({ hosts: ['a', 'b'], ipv6: false });
  const base = mkdtempSync(join(tmpdir(), 'hs-bench-tput-'));
  try {
    for (const dir of ['source', 'replica', 'rsync-dest']) mkdirSync(join(base, dir));
    const file = join(base, 'big.bin');
    const chunk = randomBytes(1024 * 1024);
    writeFileSync(file, Buffer.concat(Array.from({ length: mib }, () => chunk)));
    const size = statSync(file).size;
    const host = lab.host('b').ipv4;
    const entry = new URL('../src/replicate/node-process.js', import.meta.url).href;
    const replica = lab.spawn('b', nodeEntryCommand(entry, 'runReplicaProcess', { root: join(base, 'replica'), host, port: 7400, keyHex }), { name: 'replica' });
    await replica.waitForLine(/"listening"/, 15_000);
    const source = lab.spawn('a', nodeEntryCommand(entry, 'runSourceProcess', { root: join(base, 'source'), host, port: 7400, keyHex }), { name: 'source' });
    await source.waitForLine(/"rescan-done"/, 15_000);
    const target = join(base, 'replica', 'big.bin');
    const t0 = performance.now();
    renameSync(file, join(base, 'source', 'big.bin'));
    await waitFor(() => existsSync(target) && statSync(target).size === size, { description: 'the file on the replica', timeoutMs: 600_000, intervalMs: 10 });
    const ours = (performance.now() - t0) / 1000;
    console.log(JSON.stringify({ tool: 'hotstandby', mib, seconds: ours, mib_per_s: mib / ours }));
    const conf = join(base, 'rsyncd.conf');
    writeFileSync(conf, `use chroot = no\nport = 8730\naddress = ${host}\npid file = ${join(base, 'rsyncd.pid')}\n[dest]\npath = ${join(base, 'rsync-dest')}\nread only = no\nuid = root\ngid = root\n`);
    lab.spawn('b', ['rsync', '--daemon', '--no-detach', `--config=${conf}`], { name: 'rsyncd' });
    await new Promise((r) => setTimeout(r, 1000));
    const t1 = performance.now();
    await lab.exec('a', ['rsync', '-a', join(base, 'source', 'big.bin'), `rsync://${host}:8730/dest/`], { timeoutMs: 600_000 });
    const theirs = (performance.now() - t1) / 1000;
    console.log(JSON.stringify({ tool: 'rsync', mib, seconds: theirs, mib_per_s: mib / theirs, hotstandby_vs_rsync: theirs / ours }));
  } finally {
    await lab.destroy();
    rmSync(base, { recursive: true, force: true });
  }
}

await main();
