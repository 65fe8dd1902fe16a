/**
 * Hard links and attributes in file replication, over loopback TLS-PSK in one process (no lab):
 * the first copy of a tree whose files each have a second name, against the same tree without
 * links (time and content bytes sent); the lag from `link(2)` and from `setxattr(2)` on the
 * source to the change on the replica (p50 / p99); the cost of a digest walk of the linked tree.
 *
 *   node dist/bench/replicate-links.js [--files 5000] [--ops 200]
 */
import { linkSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../src/lab/wait-for.js';
import { loadNative } from '../src/net/native.js';
import { pskTransport } from '../src/replicate/psk-tls.js';
import { ReplicaServer } from '../src/replicate/replica-server.js';
import { SourceReplicator } from '../src/replicate/source-replicator.js';
import { TreeDigester } from '../src/replicate/tree-digest.js';
import { readXattrList } from '../src/replicate/xattrs.js';

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}

const psk = { identity: 'bench', key: Buffer.alloc(32, 9) };
const native = loadNative();
const clock = { now: () => performance.now() };
const all = { xattrs: true, acls: true };

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function pair(fill: (source: string) => void) {
  const base = mkdtempSync(join(tmpdir(), 'hs-bench-links-'));
  const source = join(base, 'source');
  const replica = join(base, 'replica');
  mkdirSync(source);
  mkdirSync(replica);
  fill(source);
  const server = new ReplicaServer({ root: Buffer.from(replica), transport: pskTransport(psk), host: '127.0.0.1', port: 0, native });
  const { port } = await server.listen();
  let complete = false;
  const started = performance.now();
  const replicator = new SourceReplicator({
    root: Buffer.from(source), replica: { host: '127.0.0.1', port }, transport: pskTransport(psk), native, clock, xattrs: all,
    onEvent: (e) => { if (e.kind === 'rescan-done' && e.path === '') complete = true; },
  });
  await replicator.start();
  await waitFor(() => complete, { description: 'the first copy', timeoutMs: 600_000, intervalMs: 20 });
  const firstCopyS = (performance.now() - started) / 1000;
  const close = async () => {
    await replicator.close();
    await server.close();
    rmSync(base, { recursive: true, force: true });
  };
  return { source, replica, replicator, firstCopyS, close };
}

function tree(files: number, linked: boolean) {
  return (source: string) => {
    for (let d = 0; d < files / 100; d++) {
      mkdirSync(join(source, `d${d}`));
      mkdirSync(join(source, `d${d}`, 'links'));
      for (let i = 0; i < 100; i++) {
        const file = join(source, `d${d}`, `f${i}`);
        writeFileSync(file, Buffer.alloc(2000, i));
        if (linked) linkSync(file, join(source, `d${d}`, 'links', `l${i}`));
        else writeFileSync(join(source, `d${d}`, 'links', `l${i}`), Buffer.alloc(2000, i));
      }
    }
  };
}

async function lag(ops: number, act: (source: string, i: number) => void, arrived: (replica: string, i: number) => boolean) {
  const p = await pair((source) => {
    for (let i = 0; i < ops; i++) writeFileSync(join(source, `f${i}`), Buffer.alloc(100_000, i));
  });
  const lags: number[] = [];
  const sent = p.replicator.status().sentBytes;
  for (let i = 0; i < ops; i++) {
    const t = performance.now();
    act(p.source, i);
    await waitFor(() => arrived(p.replica, i), { description: `change ${i}`, timeoutMs: 30_000, intervalMs: 1 });
    lags.push(performance.now() - t);
  }
  const bytes = p.replicator.status().sentBytes - sent;
  await p.close();
  return { p50_ms: +percentile(lags, 50).toFixed(1), p99_ms: +percentile(lags, 99).toFixed(1), content_bytes_sent: bytes };
}

async function main(): Promise<void> {
  const files = Number(option('files', '5000'));
  const ops = Number(option('ops', '200'));
  const result: Record<string, unknown> = { files_per_tree: files * 2 };
  for (const linked of [true, false]) {
    const p = await pair(tree(files, linked));
    const digester = new TreeDigester(Buffer.from(p.source));
    await digester.tree('');
    const t = performance.now();
    await digester.tree('');
    result[linked ? 'linked' : 'separate'] = {
      first_copy_s: +p.firstCopyS.toFixed(2),
      content_bytes_sent: p.replicator.status().sentBytes,
      digest_walk_unchanged_ms: +(performance.now() - t).toFixed(0),
    };
    await p.close();
  }
  result.link_lag = await lag(ops, (s, i) => linkSync(join(s, `f${i}`), join(s, `l${i}`)), (r, i) => {
    try {
      return statSync(join(r, `l${i}`)).ino === statSync(join(r, `f${i}`)).ino;
    } catch {
      return false;
    }
  });
  result.xattr_lag = await lag(ops, (s, i) => native.setXattr(Buffer.from(join(s, `f${i}`)), 'user.tag', Buffer.from(String(i))), (r, i) => {
    try {
      return readXattrList(native, Buffer.from(join(r, `f${i}`)), all).some(([n, v]) => n === 'user.tag' && v.toString() === String(i));
    } catch {
      return false;
    }
  });
  console.log(JSON.stringify(result, null, 2));
}

await main();
