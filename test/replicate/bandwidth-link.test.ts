/**
 * The bandwidth limit and the heartbeats through real sockets (loopback TLS): a limited transfer
 * stays under the limit over a long window and is never taken for a dead link, while a link that
 * goes silent is dropped and made again. Timings are generous (a loaded machine passes); the
 * exact numbers go to the report, not into asserts.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect as tcpConnect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { waitFor } from '../../src/lab/wait-for.js';
import { loadNative } from '../../src/net/native.js';
import { pskTransport } from '../../src/replicate/psk-tls.js';
import { ReplicaServer, type ReplicaEvent } from '../../src/replicate/replica-server.js';
import { SourceReplicator, type SourceEvent } from '../../src/replicate/source-replicator.js';
import { Throttle } from '../../src/replicate/token-bucket.js';
import { labTime } from '../../src/replicate/node-process.js';
import { treeDifferences } from './support/tree-compare.js';

const psk = pskTransport({ identity: 'test', key: Buffer.alloc(32, 5) });
const clock = labTime;

/** A TCP relay whose current connections can be frozen (nothing forwarded, nothing closed). */
async function relay(t: { after: (fn: () => Promise<void> | void) => void }, target: number) {
  const live: Socket[] = [];
  const all: Socket[] = [];
  const server = createServer((inbound) => {
    const outbound = tcpConnect(target, '127.0.0.1');
    inbound.pipe(outbound);
    outbound.pipe(inbound);
    const drop = () => {
      inbound.destroy();
      outbound.destroy();
    };
    inbound.on('error', drop);
    outbound.on('error', drop);
    live.push(inbound, outbound);
    all.push(inbound, outbound);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    for (const s of all) s.destroy();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return {
    port: (server.address() as { port: number }).port,
    /** The connections made so far stop moving bytes both ways, as over a cut cable. */
    freeze() {
      for (const s of live.splice(0)) {
        s.unpipe();
        s.pause();
      }
    },
  };
}

async function limitedPair(t: { after: (fn: () => Promise<void> | void) => void }, options: { limit?: number; viaRelay?: boolean; heartbeatMs: number; deadAfterMs: number }) {
  const base = mkdtempSync(join(tmpdir(), 'hs-bw-'));
  const source = join(base, 'source');
  const replica = join(base, 'replica');
  mkdirSync(source);
  mkdirSync(replica);
  const native = loadNative();
  const replicaEvents: ReplicaEvent[] = [];
  const server = new ReplicaServer({ root: Buffer.from(replica), transport: psk, host: '127.0.0.1', port: 0, native, onEvent: (e) => replicaEvents.push(e) });
  const { port } = await server.listen();
  const link = options.viaRelay ? await relay(t, port) : undefined;
  const sourceEvents: SourceEvent[] = [];
  const replicator = new SourceReplicator({
    root: Buffer.from(source),
    replica: { host: '127.0.0.1', port: link?.port ?? port },
    transport: psk,
    native,
    clock,
    retryMs: 100,
    heartbeatMs: options.heartbeatMs,
    deadAfterMs: options.deadAfterMs,
    throttle: options.limit === undefined ? undefined : new Throttle(options.limit, labTime, labTime),
    onEvent: (e) => {
      sourceEvents.push(e);
    },
  });
  await replicator.start();
  t.after(async () => {
    await replicator.close();
    await server.close();
    rmSync(base, { recursive: true, force: true });
  });
  const converged = (description: string, timeoutMs = 60_000) =>
    waitFor(async () => (await treeDifferences(source, replica)).length === 0 && replicator.status().queueDepth === 0 && replicator.status().inFlight === 0, { description, timeoutMs, intervalMs: 50 }).catch((err: Error) => {
      const brief = (events: { kind: string }[]) => JSON.stringify(events.filter((e) => e.kind !== 'synced').slice(-12));
      throw new Error(`${err.message}; status ${JSON.stringify(replicator.status())}; source events ${brief(sourceEvents)}; replica events ${brief(replicaEvents)}`);
    });
  return { source, replica, replicator, sourceEvents, replicaEvents, converged, link };
}

test('A transfer limited to 2 MiB/s stays under the limit over a 7 s window and the link is never taken for dead (heartbeat deadline 1 s)', async (t) => {
  const limit = 2 * 1024 * 1024;
  const pair = await limitedPair(t, { limit, heartbeatMs: 100, deadAfterMs: 1000 });
  await pair.converged('empty trees');
  // 10 MiB streamed (resumable path) and 160 whole files of 24 KiB (3.75 MiB): both metered.
  const outside = join(pair.source, '..', 'big.bin');
  writeFileSync(outside, randomBytes(10 * 1024 * 1024));
  mkdirSync(join(pair.source, 'small'));
  const started = performance.now();
  renameSync(outside, join(pair.source, 'big.bin'));
  let total = 10 * 1024 * 1024;
  for (let i = 0; i < 160; i++) {
    writeFileSync(join(pair.source, 'small', `f${i}`), randomBytes(24 * 1024));
    total += 24 * 1024;
  }
  await pair.converged('the limited transfer', 120_000);
  const seconds = (performance.now() - started) / 1000;
  const rate = total / seconds;
  t.diagnostic(`${(total / 1024 / 1024).toFixed(2)} MiB in ${seconds.toFixed(2)} s = ${(rate / 1024 / 1024).toFixed(3)} MiB/s (limit 2 MiB/s)`);
  // The burst (100 ms of traffic) is the only allowance above the limit.
  assert.ok(total <= limit * seconds + limit / 10 + 64 * 1024, `${rate} B/s is above the limit of ${limit}`);
  assert.ok(rate >= limit * 0.25, `${rate} B/s: the limited link should still move near its limit`);
  const drops = pair.sourceEvents.filter((e) => e.kind === 'disconnected');
  assert.deepEqual(drops, [], 'heartbeats kept the limited link alive');
});

test('A link that goes silent (relay frozen mid-transfer) is dropped after the heartbeat deadline and replication resumes on a new connection', async (t) => {
  const pair = await limitedPair(t, { viaRelay: true, limit: 1024 * 1024, heartbeatMs: 100, deadAfterMs: 1500 });
  await pair.converged('empty trees');
  const outside = join(pair.source, '..', 'big.bin');
  writeFileSync(outside, randomBytes(8 * 1024 * 1024));
  renameSync(outside, join(pair.source, 'big.bin'));
  await waitFor(() => pair.replicator.status().lagBytes > 512 * 1024, { description: 'the transfer under way', timeoutMs: 20_000, intervalMs: 20 });
  pair.link!.freeze();
  await waitFor(() => pair.sourceEvents.some((e) => e.kind === 'disconnected' && /nothing heard from the peer/.test(e.reason)), {
    description: 'the silent link detected by the source',
    timeoutMs: 20_000,
  }).catch((err: Error) => {
    throw new Error(`${err.message}: ${JSON.stringify(pair.sourceEvents.filter((e) => e.kind !== 'synced'))}`);
  });
  await pair.converged('over the new connection', 120_000);
  assert.ok(pair.replicaEvents.some((e) => e.kind === 'resumed'), 'the new connection resumed the partial file');
});
