/**
 * The whole-file check of a streamed file through real TLS sockets (src/replicate/content-check.ts):
 * a new large file goes with Poly1305 under a key the replica draws for each begin, a delta keeps
 * SHA-256, an older replica (no key in its reply) or an older source (no `check` in its begin)
 * gets SHA-256 and the file still arrives, a cut transfer resumes under a new key, a damaged
 * prefix kept from a cut transfer is refused (EBADMSG) and the file then arrives whole, and an
 * end of the other kind is refused (EPROTO).
 * The source is a SourceSender on a channel the test holds, so every begin and end is seen.
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
import { Channel, RemoteError } from '../../src/replicate/channel.js';
import { PARTIAL_PREFIX } from '../../src/replicate/paths.js';
import { pskClientOptions, pskTransport } from '../../src/replicate/psk-tls.js';
import type { FileTimesPort } from '../../src/replicate/replica-applier.js';
import { ReplicaServer, type ReplicaEvent } from '../../src/replicate/replica-server.js';
import { SendFailed, SourceSender, type SmallFileReader } from '../../src/replicate/source-sender.js';
import { TreeDigester } from '../../src/replicate/tree-digest.js';
import { leftoverTemporaries } from './support/tree-compare.js';

const psk = { identity: 'test', key: Buffer.alloc(32, 9) };
const MiB = 1024 * 1024;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const native = loadNative();
/** An addon built before the context (an older node): it neither offers nor asks Poly1305. */
const { Poly1305Context: _context, ...older } = native;
const HEX64 = /^[0-9a-f]{64}$/;
const HEX32 = /^[0-9a-f]{32}$/;

type Exchange = { type: string; header: Record<string, unknown>; reply?: Record<string, unknown> };

function dirs(t: { after: (fn: () => void) => void }) {
  const base = mkdtempSync(join(tmpdir(), 'hs-poly-'));
  const source = join(base, 'source');
  const replica = join(base, 'replica');
  mkdirSync(source);
  mkdirSync(replica);
  t.after(() => rmSync(base, { recursive: true, force: true }));
  return { source, replica };
}

async function startReplica(t: { after: (fn: () => Promise<void>) => void }, replica: string, port: FileTimesPort = native) {
  const events: ReplicaEvent[] = [];
  const server = new ReplicaServer({ root: Buffer.from(replica), transport: pskTransport(psk), host: '127.0.0.1', port: 0, native: port, onEvent: (e) => events.push(e) });
  const { port: tcpPort } = await server.listen();
  t.after(() => server.close());
  return { port: tcpPort, events };
}

/** A source connection whose requests and replies are recorded in `log`. */
async function connectSource(t: { after: (fn: () => void) => void }, port: number, source: string, reader: SmallFileReader, delta = false) {
  const socket = connect({ host: '127.0.0.1', port, ...pskClientOptions(psk) });
  await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
  const channel = new Channel(socket, () => {});
  t.after(() => channel.close('test done'));
  const log: Exchange[] = [];
  const request = channel.request.bind(channel);
  channel.request = async (type, header, payload) => {
    const exchange: Exchange = { type, header };
    log.push(exchange);
    const reply = await request(type, header, payload);
    exchange.reply = reply.header;
    return reply;
  };
  const failures: SendFailed[] = [];
  const sender = new SourceSender(channel, Buffer.from(source), new TreeDigester(Buffer.from(source)), { onFailed: (f) => failures.push(f) }, reader, undefined, { delta });
  await channel.request('hello', { protocol: 2 });
  const of = (type: string) => log.filter((e) => e.type === type);
  return { channel, sender, log, failures, begins: () => of('begin'), ends: () => of('end') };
}

/** Replaces `name` atomically (written beside the tree, renamed in). */
function replace(source: string, name: string, bytes: Buffer): void {
  const outside = join(source, '..', `${name}.new`);
  writeFileSync(outside, bytes);
  renameSync(outside, join(source, name));
}

test('A new large file goes whole with Poly1305 under a fresh key per begin; a changed one goes as a delta with SHA-256', async (t) => {
  const { source, replica } = dirs(t);
  const content = randomBytes(12 * MiB + 5);
  writeFileSync(join(source, 'a.bin'), content);
  writeFileSync(join(source, 'b.bin'), content);
  const { port } = await startReplica(t, replica);
  const src = await connectSource(t, port, source, native, true);
  await src.sender.send('a.bin');
  await src.sender.send('b.bin');
  assert.equal(sha(readFileSync(join(replica, 'a.bin'))), sha(content));
  assert.equal(sha(readFileSync(join(replica, 'b.bin'))), sha(content));
  const [beginA, beginB] = src.begins();
  const [endA, endB] = src.ends();
  for (const [begin, end] of [
    [beginA!, endA!],
    [beginB!, endB!],
  ] as const) {
    assert.equal(begin.header.check, 'poly1305', 'the source asked for Poly1305');
    assert.match(String(begin.reply!.poly1305Key), HEX64, 'the replica answered a key');
    assert.equal(begin.reply!.basis, undefined, 'no basis: a whole-file stream');
    assert.match(String(end.header.poly1305), HEX32);
    assert.equal(end.header.sha256, undefined, 'no SHA-256 beside it');
    // The tag is Poly1305 of the whole file under that key.
    const key = Buffer.from(String(begin.reply!.poly1305Key), 'hex');
    assert.equal(end.header.poly1305, native.poly1305!(key, content).toString('hex'));
  }
  assert.notEqual(beginA!.reply!.poly1305Key, beginB!.reply!.poly1305Key, 'a fresh key for every begin');
  // The replica's copy is now the basis: the change goes as a delta, checked with SHA-256.
  const edited = Buffer.concat([content.subarray(0, 5 * MiB), Buffer.from('an insertion'), content.subarray(5 * MiB)]);
  replace(source, 'a.bin', edited);
  await src.sender.send('a.bin');
  assert.equal(sha(readFileSync(join(replica, 'a.bin'))), sha(edited));
  const deltaBegin = src.begins()[2]!;
  const deltaEnd = src.ends()[2]!;
  assert.ok(deltaBegin.reply!.basis !== undefined, 'a delta');
  assert.equal(deltaBegin.reply!.poly1305Key, undefined, 'no key for a delta');
  assert.equal(deltaEnd.header.sha256, sha(edited));
  assert.equal(deltaEnd.header.poly1305, undefined);
  assert.deepEqual(src.failures, []);
  assert.deepEqual(await leftoverTemporaries(replica), []);
});

test('A replica without the context (an older one) answers no key: the source checks with SHA-256 and the file arrives', async (t) => {
  const { source, replica } = dirs(t);
  const content = randomBytes(6 * MiB + 77);
  writeFileSync(join(source, 'big.bin'), content);
  const { port } = await startReplica(t, replica, older);
  const src = await connectSource(t, port, source, native);
  await src.sender.send('big.bin');
  assert.equal(sha(readFileSync(join(replica, 'big.bin'))), sha(content));
  const [begin] = src.begins();
  const [end] = src.ends();
  assert.equal(begin!.header.check, 'poly1305', 'the source asked');
  assert.equal(begin!.reply!.poly1305Key, undefined, 'the older replica answered no key');
  assert.equal(end!.header.sha256, sha(content));
  assert.equal(end!.header.poly1305, undefined);
  assert.deepEqual(await leftoverTemporaries(replica), []);
});

test('An older source (no check in its begin) gets no key and SHA-256; the file arrives', async (t) => {
  const { source, replica } = dirs(t);
  const content = randomBytes(6 * MiB + 78);
  writeFileSync(join(source, 'big.bin'), content);
  const { port } = await startReplica(t, replica);
  const src = await connectSource(t, port, source, older);
  await src.sender.send('big.bin');
  assert.equal(sha(readFileSync(join(replica, 'big.bin'))), sha(content));
  const [begin] = src.begins();
  const [end] = src.ends();
  assert.equal(begin!.header.check, undefined, 'the older source asked nothing');
  assert.equal(begin!.reply!.poly1305Key, undefined, 'so the replica offered no key');
  assert.equal(end!.header.sha256, sha(content));
  assert.deepEqual(await leftoverTemporaries(replica), []);
});

/** Sends `name` on a connection cut once the replica holds 4 MiB of it; the partial stays for a resume. */
async function cutTransfer(t: { after: (fn: () => void) => void }, port: number, source: string, replica: string, events: ReplicaEvent[], name: string) {
  const partialSize = () =>
    readdirSync(replica)
      .filter((n) => n.startsWith(PARTIAL_PREFIX))
      .map((n) => statSync(join(replica, n)).size)[0] ?? 0;
  const cuts = events.filter((e) => e.kind === 'disconnected').length;
  const src = await connectSource(t, port, source, native);
  const write = src.channel.write.bind(src.channel);
  src.channel.write = async (frame, sent) => {
    if (frame.type === 'data' && BigInt(String(frame.header.offset)) >= BigInt(8 * MiB)) {
      await waitFor(() => partialSize() >= 4 * MiB, { description: '4 MiB on the replica', timeoutMs: 30_000, intervalMs: 10 });
      src.channel.close('cut by the test');
    }
    return write(frame, sent);
  };
  await assert.rejects(src.sender.send(name), /cut by the test/);
  await waitFor(() => events.filter((e) => e.kind === 'disconnected').length > cuts, { description: 'the replica saw the cut', timeoutMs: 30_000 });
  const [partial] = readdirSync(replica).filter((n) => n.startsWith(PARTIAL_PREFIX));
  return { partial: join(replica, partial!), key: src.begins()[0]!.reply!.poly1305Key };
}

test('A cut transfer resumes under a new key and passes; a kept prefix damaged before the resume fails the check (EBADMSG), then the file arrives whole and exact', async (t) => {
  const { source, replica } = dirs(t);
  const content = randomBytes(24 * MiB);
  writeFileSync(join(source, 'big.bin'), content);
  const { port, events } = await startReplica(t, replica);
  // An undamaged prefix: hashed from the disk under the resume's key, so the check passes.
  const clean = await cutTransfer(t, port, source, replica, events, 'big.bin');
  const resume = await connectSource(t, port, source, native);
  await resume.sender.send('big.bin');
  const [resumedClean] = resume.begins();
  assert.ok(Number(resumedClean!.reply!.offset) >= 4 * MiB, `resumed at ${String(resumedClean!.reply!.offset)}`);
  assert.match(String(resumedClean!.reply!.poly1305Key), HEX64, 'the resume was checked with Poly1305');
  assert.notEqual(resumedClean!.reply!.poly1305Key, clean.key, 'under a new key');
  assert.equal(sha(readFileSync(join(replica, 'big.bin'))), sha(content));

  const other = randomBytes(24 * MiB);
  replace(source, 'big.bin', other);
  const damaged = await cutTransfer(t, port, source, replica, events, 'big.bin');
  // One byte of the kept prefix flipped, as a bad disk or a stray writer would.
  const partial = await open(damaged.partial, 'r+');
  const byte = Buffer.alloc(1);
  await partial.read(byte, 0, 1, 1000);
  byte[0] = byte[0]! ^ 0x40;
  await partial.write(byte, 0, 1, 1000);
  await partial.close();
  const second = await connectSource(t, port, source, native);
  await assert.rejects(second.sender.send('big.bin'), (err: SendFailed) => err.code === 'EBADMSG' && /content hash differs/.test(err.message));
  const [resumed] = second.begins();
  assert.ok(Number(resumed!.reply!.offset) >= 4 * MiB, `resumed at ${String(resumed!.reply!.offset)}`);
  assert.match(String(resumed!.reply!.poly1305Key), HEX64, 'the resume was checked with Poly1305');
  assert.ok(events.some((e) => e.kind === 'apply-failed' && e.code === 'EBADMSG'), 'the replica refused it');
  assert.equal(sha(readFileSync(join(replica, 'big.bin'))), sha(content), 'the damaged version was not installed');
  // The retry the replicator makes after a failure: from byte 0, and exact.
  await second.sender.send('big.bin');
  assert.equal(second.begins()[1]!.reply!.offset, '0', 'the damaged partial was dropped');
  assert.equal(sha(readFileSync(join(replica, 'big.bin'))), sha(other));
  assert.deepEqual(await leftoverTemporaries(replica), []);
});

test('An end of the other kind than its begin settled is refused (EPROTO) naming both; the right one installs', async (t) => {
  const { replica } = dirs(t);
  const { port } = await startReplica(t, replica);
  const src = await connectSource(t, port, replica, native);
  const payload = randomBytes(100_000);
  const meta = { mode: 0o644, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, mtimeNs: '1700000000000000000' };
  let n = 0;
  /** A begin (with or without the ask), all the data, then the end the test gives. */
  const transfer = async (path: string, ask: boolean, end: (key: Buffer | undefined) => Record<string, unknown>) => {
    const token = (++n).toString(16).padStart(32, '0');
    const reply = await src.channel.request('begin', { path: Buffer.from(path).toString('base64'), size: String(payload.length), token, ...meta, ...(ask && { check: 'poly1305' }) });
    const key = reply.header.poly1305Key === undefined ? undefined : Buffer.from(String(reply.header.poly1305Key), 'hex');
    await src.channel.write({ type: 'data', id: 0, header: { token, offset: '0' }, payload });
    await src.channel.request('end', { path: Buffer.from(path).toString('base64'), token, ...end(key) });
  };
  const refused = (pattern: RegExp) => (err: RemoteError) => err instanceof RemoteError && err.code === 'EPROTO' && pattern.test(err.message);
  await assert.rejects(transfer('a', true, () => ({ sha256: sha(payload) })), refused(/began with a Poly1305 check but its end carries SHA-256/));
  await assert.rejects(transfer('b', false, () => ({ poly1305: '0'.repeat(32) })), refused(/began with a SHA-256 check but its end carries Poly1305/));
  await assert.rejects(transfer('c', true, (key) => ({ poly1305: native.poly1305!(key!, payload).toString('hex'), sha256: sha(payload) })), refused(/both Poly1305 and SHA-256/));
  assert.deepEqual(readdirSync(replica).filter((n) => !n.startsWith('.')), [], 'none installed');
  await transfer('d', true, (key) => ({ poly1305: native.poly1305!(key!, payload).toString('hex') }));
  await transfer('e', false, () => ({ sha256: sha(payload) }));
  assert.equal(sha(readFileSync(join(replica, 'd'))), sha(payload));
  assert.equal(sha(readFileSync(join(replica, 'e'))), sha(payload));
});
