/**
 * Delta transfer through real TLS sockets (source and replica in one process): a changed large
 * file travels as rsync-style copies and literals, the replica's result is checked against the
 * source's whole-file hash, a basis that changes under the patch falls back to a whole-file
 * transfer, and a connection cut mid-delta leaves the old version in place and resumes.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { connect } from 'node:tls';
import { waitFor } from '../../src/lab/wait-for.js';
import { loadNative } from '../../src/net/native.js';
import { Channel } from '../../src/replicate/channel.js';
import { pskClientOptions, pskTransport } from '../../src/replicate/psk-tls.js';
import { ReplicaServer, type ReplicaEvent } from '../../src/replicate/replica-server.js';
import { SourceReplicator, type SourceEvent } from '../../src/replicate/source-replicator.js';
import { SourceSender, type DeltaReport } from '../../src/replicate/source-sender.js';
import { TreeDigester } from '../../src/replicate/tree-digest.js';
import { leftoverTemporaries, treeDifferences } from './support/tree-compare.js';

const psk = { identity: 'test', key: Buffer.alloc(32, 5) };
const MiB = 1024 * 1024;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

function dirs(t: { after: (fn: () => void) => void }) {
  const base = mkdtempSync(join(tmpdir(), 'hs-delta-'));
  const source = join(base, 'source');
  const replica = join(base, 'replica');
  mkdirSync(source);
  mkdirSync(replica);
  t.after(() => rmSync(base, { recursive: true, force: true }));
  return { base, source, replica };
}

async function startReplica(t: { after: (fn: () => Promise<void>) => void }, replica: string, events: ReplicaEvent[] = []) {
  const server = new ReplicaServer({ root: Buffer.from(replica), transport: pskTransport(psk), host: '127.0.0.1', port: 0, native: loadNative(), onEvent: (e) => events.push(e) });
  const { port } = await server.listen();
  t.after(() => server.close());
  return { server, port, events };
}

function startSource(source: string, port: number, events: SourceEvent[] = []) {
  const replicator = new SourceReplicator({
    root: Buffer.from(source),
    replica: { host: '127.0.0.1', port },
    transport: pskTransport(psk),
    native: loadNative(),
    clock: { now: () => performance.now() },
    onEvent: (e) => events.push(e),
    retryMs: 100,
  });
  return { replicator, events };
}

async function converged(source: string, replica: string, replicator: SourceReplicator, description: string, timeoutMs = 60_000) {
  let last: string[] = [];
  await waitFor(
    async () => {
      last = await treeDifferences(source, replica);
      const status = replicator.status();
      return last.length === 0 && status.queueDepth === 0 && status.inFlight === 0;
    },
    { description, timeoutMs, intervalMs: 50 },
  ).catch((err: Error) => {
    throw new Error(`${err.message}; differences: ${last.slice(0, 5).join('; ')}`);
  });
}

/** Replaces `name` atomically (written beside the tree, renamed in): one complete version is sent. */
function replace(source: string, name: string, bytes: Buffer): void {
  const outside = join(source, '..', `${name}.new`);
  writeFileSync(outside, bytes);
  renameSync(outside, join(source, name));
}

test('A changed large file goes as a delta: the replica is byte-identical and only about the change travels', async (t) => {
  const { source, replica } = dirs(t);
  const original = randomBytes(24 * MiB);
  writeFileSync(join(source, 'data.bin'), original);
  writeFileSync(join(source, 'small.txt'), 'small files stay whole');
  const { port } = await startReplica(t, replica);
  const { replicator, events } = startSource(source, port);
  await replicator.start();
  t.after(() => replicator.close());
  await converged(source, replica, replicator, 'the first copy (whole file: no basis)');
  assert.equal(events.filter((e) => e.kind === 'delta').length, 0, 'no delta without a copy on the replica');
  // An insertion, a deletion, an overwrite and an append.
  const edited = Buffer.concat([original.subarray(0, 3 * MiB), Buffer.from('inserted text'), original.subarray(3 * MiB, 10 * MiB), original.subarray(10 * MiB + 5000, 20 * MiB), randomBytes(1000), original.subarray(20 * MiB + 1000), randomBytes(200_000)]);
  replace(source, 'data.bin', edited);
  await converged(source, replica, replicator, 'the edited file');
  const delta = events.find((e): e is SourceEvent & { kind: 'delta' } => e.kind === 'delta');
  assert.ok(delta !== undefined, 'the change went as a delta');
  assert.equal(sha(readFileSync(join(replica, 'data.bin'))), sha(edited));
  assert.ok(delta.literalBytes < 200_000 + 8 * 8192, `literal bytes ${delta.literalBytes}`);
  assert.ok(delta.patchBytes + delta.sumsBytes < edited.length / 20, `sent ${delta.patchBytes} + ${delta.sumsBytes} bytes of ${edited.length}`);
  assert.equal(delta.literalBytes + delta.copiedBytes, edited.length);
  // Truncated to less than half, and then made totally different: still exact.
  const truncated = edited.subarray(0, 9 * MiB + 77);
  replace(source, 'data.bin', truncated);
  await converged(source, replica, replicator, 'the truncated file');
  const different = randomBytes(5 * MiB);
  replace(source, 'data.bin', different);
  await converged(source, replica, replicator, 'a totally different file');
  assert.equal(sha(readFileSync(join(replica, 'data.bin'))), sha(different));
  assert.ok(events.filter((e) => e.kind === 'delta').length >= 3);
  assert.deepEqual(await leftoverTemporaries(replica), []);
});

test('A basis changed on the replica under the patch fails the hash check: nothing corrupt installed, the file goes whole', async (t) => {
  const { source, replica } = dirs(t);
  const original = randomBytes(6 * MiB);
  writeFileSync(join(replica, 'f.bin'), original);
  const edited = Buffer.concat([original.subarray(0, 2 * MiB), Buffer.from('change'), original.subarray(2 * MiB)]);
  writeFileSync(join(source, 'f.bin'), edited);
  const replicaEvents: ReplicaEvent[] = [];
  const { port } = await startReplica(t, replica, replicaEvents);
  const socket = connect({ host: '127.0.0.1', port, ...pskClientOptions(psk) });
  await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
  const channel = new Channel(socket, () => {});
  t.after(() => channel.close('test done'));
  // The replica's copy is overwritten in place (same inode, same size) once its sums are sent.
  const request = channel.request.bind(channel);
  let tampered = false;
  channel.request = async (type, header, payload) => {
    const reply = await request(type, header, payload);
    if (type === 'sums' && !tampered) {
      tampered = true;
      const handle = await open(join(replica, 'f.bin'), 'r+');
      await handle.write(randomBytes(MiB), 0, MiB, 4 * MiB);
      await handle.close();
    }
    return reply;
  };
  const deltas: DeltaReport[] = [];
  const failures: unknown[] = [];
  const sender = new SourceSender(channel, Buffer.from(source), new TreeDigester(Buffer.from(source)), { onFailed: (f) => failures.push(f), onDelta: (r) => deltas.push(r) }, {}, undefined, { delta: true });
  await channel.request('hello', { protocol: 2 });
  await sender.send('f.bin');
  assert.equal(tampered, true, 'the sums were asked');
  assert.equal(deltas.length, 1, 'a delta was sent first');
  assert.ok(replicaEvents.some((e) => e.kind === 'apply-failed' && e.code === 'EBADMSG'), 'the replica refused the delta result');
  assert.equal(sha(readFileSync(join(replica, 'f.bin'))), sha(edited), 'the whole file replaced it');
  assert.deepEqual(failures, []);
  assert.deepEqual(await leftoverTemporaries(replica), []);
});

test('A source file rewritten again and again during deltas ends in retries and an exact replica', async (t) => {
  const { source, replica } = dirs(t);
  let content = randomBytes(16 * MiB);
  writeFileSync(join(source, 'log.bin'), content);
  const { port } = await startReplica(t, replica);
  const { replicator, events } = startSource(source, port);
  await replicator.start();
  t.after(() => replicator.close());
  await converged(source, replica, replicator, 'the first copy');
  // In place (same inode): a writer appending and overwriting while the source reads.
  const handle = await open(join(source, 'log.bin'), 'r+');
  for (let i = 0; i < 40; i++) {
    const piece = randomBytes(64 * 1024);
    const at = (i * 7919 * 1024) % content.length;
    await handle.write(piece, 0, piece.length, at);
    piece.copy(content, at);
    content = Buffer.concat([content, piece.subarray(0, 1000)]);
    await handle.write(piece, 0, 1000, content.length - 1000);
    await new Promise((r) => setTimeout(r, 25));
  }
  await handle.close();
  await converged(source, replica, replicator, 'after the writer stopped');
  assert.equal(sha(readFileSync(join(replica, 'log.bin'))), sha(content));
  assert.ok(events.some((e) => e.kind === 'delta'), 'deltas were sent');
  assert.deepEqual(await leftoverTemporaries(replica), []);
});

test('The connection cut mid-delta: the old version stays readable, no partial under the final name, the delta resumes', async (t) => {
  const { source, replica } = dirs(t);
  const original = randomBytes(64 * MiB);
  writeFileSync(join(source, 'big.bin'), original);
  const replicaEvents: ReplicaEvent[] = [];
  const { port } = await startReplica(t, replica, replicaEvents);
  const first = startSource(source, port);
  await first.replicator.start();
  await converged(source, replica, first.replicator, 'the first copy');
  // The second half totally different: a long run of literals to cut into.
  const edited = Buffer.concat([original.subarray(0, 32 * MiB), randomBytes(32 * MiB)]);
  replace(source, 'big.bin', edited);
  const partialSize = () =>
    readdirSync(replica)
      .filter((n) => n.startsWith('.hotstandby-partial.'))
      .map((n) => statSync(join(replica, n)).size)[0] ?? 0;
  await waitFor(() => partialSize() > 36 * MiB, { description: 'a partial past the copied half', timeoutMs: 60_000, intervalMs: 5 });
  await first.replicator.close();
  const cutAt = partialSize();
  assert.equal(sha(readFileSync(join(replica, 'big.bin'))), sha(original), 'the old version is intact under the final name');
  const second = startSource(source, port);
  await second.replicator.start();
  t.after(() => second.replicator.close());
  await converged(source, replica, second.replicator, 'after the reconnect');
  assert.equal(sha(readFileSync(join(replica, 'big.bin'))), sha(edited));
  const resumed = replicaEvents.find((e): e is ReplicaEvent & { kind: 'resumed' } => e.kind === 'resumed');
  // Cut with about 28 MiB of literals still to go: the new connection resumes past the copied half.
  assert.ok(cutAt < edited.length && resumed !== undefined && Number(resumed.offset) > 32 * MiB, `resumed at ${resumed?.offset}, cut at ${cutAt}`);
  const delta = second.events.find((e): e is SourceEvent & { kind: 'delta' } => e.kind === 'delta');
  assert.ok(delta === undefined || delta.patchBytes < edited.length - 32 * MiB, 'the resumed delta sent only what was missing');
  assert.deepEqual(await leftoverTemporaries(replica), []);
});

test('Hostile delta input (garbage, a copy past the basis, a wrong offset, sums of blocks it lacks) is refused by name; the replica keeps its file', async (t) => {
  const { replica } = dirs(t);
  const { ReplicaApplier } = await import('../../src/replicate/replica-applier.js');
  const { encodeOps } = await import('../../src/replicate/delta-ops.js');
  const basis = randomBytes(3 * MiB);
  writeFileSync(join(replica, 'f'), basis);
  const applier = new ReplicaApplier(Buffer.from(replica), loadNative());
  t.after(() => applier.closeAll());
  const meta = { mode: 0o644, uid: 0, gid: 0, mtimeNs: 1_000_000_000n };
  const cases: [string, (token: string) => Promise<void>, RegExp][] = [
    ['garbage', (token) => applier.patch(token, 0n, Buffer.from([7, 7, 7])), /unknown/],
    ['copy past the basis', (token) => applier.patch(token, 0n, encodeOps([{ kind: 'copy', from: 3 * MiB - 10, length: 100 }])), /past the basis/],
    ['wrong offset', (token) => applier.patch(token, 5n, encodeOps([{ kind: 'literal', bytes: Buffer.from('x') }])), /expected 0/],
    ['past the size', (token) => applier.patch(token, 0n, encodeOps([{ kind: 'copy', from: 0, length: 2 * MiB }])), /past the size/],
  ];
  for (const [i, [name, patch, message]] of cases.entries()) {
    const token = `${'a'.repeat(16)}${i.toString(16).padStart(16, '0')}`;
    const { basis: info } = await applier.begin('f', meta, BigInt(MiB), token, true);
    assert.deepEqual(info, { size: 3 * MiB, blockSize: 1776 }, name);
    await assert.rejects(applier.sums(token, 0, 100_000), /at most/, name);
    await assert.rejects(applier.sums(token, 1700, 100), /the basis has/, name);
    await patch(token);
    await assert.rejects(applier.end(token, sha(Buffer.alloc(0))), message, name);
    assert.equal(sha(readFileSync(join(replica, 'f'))), sha(basis), `${name}: the replica's file is unchanged`);
  }
  await assert.rejects(applier.sums('b'.repeat(32), 0, 1), /No delta transfer/);
  assert.deepEqual(await leftoverTemporaries(replica), []);
});
