/**
 * Sealed bulk records (native/bulk-io.cc, src/replicate/bulk-io.ts) over real TCP on 127.0.0.1
 * into real files: a round trip gives the same bytes at any offset, O_DIRECT where aligned; a
 * wrong key, a man in the middle (a bit flipped, records reordered, replayed or dropped) and a
 * hostile sender are refused with nothing of a bad record written; a cut, a stall and
 * bulkShutdown end a job promptly with an error that says why; bad arguments are named; a full
 * disk is ENOSPC; and bulkKeys gives both ends of a TLS connection the same keys, per ticket.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createCipheriv, randomBytes } from 'node:crypto';
import { closeSync, constants as fsConstants, ftruncateSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect as netConnect, createServer as netCreateServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { connect as tlsConnect, createServer as tlsCreateServer, type ConnectionOptions, type TLSSocket, type TlsOptions } from 'node:tls';
import { loadNative } from '../../src/net/native.js';
import { bulkKeys, bulkPortOf, socketFd, TICKET_BYTES, type BulkError, type BulkIoPort, type BulkKeys } from '../../src/replicate/bulk-io.js';
import { certTransport } from '../../src/replicate/cert-tls.js';
import { pskClientOptions, pskServerOptions } from '../../src/replicate/psk-tls.js';
import { certDir, opensslUnavailableReason, TestCa } from './support/certs.js';
import { waitFor } from '../../src/lab/wait-for.js';

const KiB = 1024;
const MiB = 1024 * KiB;
/** A receive timeout no test should reach: a job that ends well before it ended for its own reason. */
const LONG_MS = 60_000;
/** "Promptly": far below LONG_MS, far above any scheduling delay of a loaded machine. */
const PROMPT_MS = 30_000;

const port = bulkPortOf(loadNative() as BulkIoPort);
const noPort = port === undefined ? 'the addon has no bulk calls (rebuild it: npm run install)' : false;
/** The port, once a test is known not to skip. */
const bulk = (): Required<BulkIoPort> => port!;

// ---------------------------------------------------------------------------------------------
// Files

function tempDir(t: { after: (fn: () => void) => void }, parent = tmpdir()): string {
  const dir = mkdtempSync(join(parent, 'hs-bulk-io-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Opens `path` (flags as fs.openSync) and closes it after the test. */
function openFor(t: { after: (fn: () => void) => void }, path: string, flags: string | number): number {
  const fd = openSync(path, flags);
  t.after(() => closeSync(fd));
  return fd;
}

// ---------------------------------------------------------------------------------------------
// Sockets: Node must never read (receive side) or write (send side) a socket a job uses, so the
// server pauses on connect and the client pauses before it is connected (as /tmp/bulk-smoke.mjs).

interface Listener {
  port: number;
  /** The next accepted connection, paused. */
  next(): Promise<Socket>;
}

async function pausedListener(t: { after: (fn: () => void) => void }): Promise<Listener> {
  const server = netCreateServer({ pauseOnConnect: true });
  const waiting: ((s: Socket) => void)[] = [];
  const early: Socket[] = [];
  server.on('connection', (s) => {
    s.on('error', () => undefined); // a reset after a refused stream is expected
    const w = waiting.shift();
    if (w) w(s);
    else early.push(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  return {
    port: (server.address() as AddressInfo).port,
    next: () => {
      const s = early.shift();
      return s ? Promise.resolve(s) : new Promise<Socket>((resolve) => waiting.push(resolve));
    },
  };
}

/** A client connection; paused unless JavaScript itself is to write on it (a hostile sender). */
async function client(port: number, paused = true): Promise<Socket> {
  const socket = netConnect(port, '127.0.0.1');
  if (paused) socket.pause();
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return socket;
}

function fdOf(socket: Socket): number {
  const fd = socketFd(socket);
  assert.ok(fd !== undefined, 'the socket exposes its fd');
  return fd;
}

/**
 * A connected pair: `sender` (the source's end) and `receiver` (the replica's). Destroyed after
 * the test; every test awaits its jobs before it ends, so no job still uses their fds then.
 */
async function tcpPair(t: { after: (fn: () => void) => void }, opts: { jsSender?: boolean } = {}): Promise<{ sender: Socket; receiver: Socket }> {
  const listener = await pausedListener(t);
  const accepted = listener.next();
  const sender = await client(listener.port, !opts.jsSender);
  const receiver = await accepted;
  t.after(() => {
    sender.destroy();
    receiver.destroy();
  });
  return { sender, receiver };
}

// ---------------------------------------------------------------------------------------------
// The wire format as the header of bulk-io.cc describes it, in JavaScript: for a hostile sender
// and a man in the middle.

const HEAD = 4;
const TAG = 16;

/** One record: u32 BE length | AES-256-GCM ciphertext (the head as additional data) | tag. */
function seal(keys: BulkKeys, counter: number, plain: Buffer): Buffer {
  const head = Buffer.alloc(HEAD);
  head.writeUInt32BE(plain.length);
  const nonce = Buffer.from(keys.iv);
  nonce.writeBigUInt64BE(nonce.readBigUInt64BE(4) ^ BigInt(counter), 4);
  const cipher = createCipheriv('aes-256-gcm', keys.key, nonce);
  cipher.setAAD(head);
  return Buffer.concat([head, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
}

function randomKeys(): BulkKeys {
  return { key: randomBytes(32), iv: randomBytes(12) };
}

/**
 * A man in the middle: accepts the sender's connection, reads its records, and once `expected`
 * records have come, forwards tamper(records) to `target` (the receiver's listener). Resolves the
 * port the sender is to connect to.
 */
async function tamperingProxy(t: { after: (fn: () => void) => void }, target: number, expected: number, tamper: (records: Buffer[]) => Buffer[]): Promise<number> {
  const upstream = await client(target, false);
  const server = netCreateServer((down) => {
    down.on('error', () => undefined);
    let pending = Buffer.alloc(0);
    const records: Buffer[] = [];
    down.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= HEAD && pending.length >= HEAD + pending.readUInt32BE(0) + TAG) {
        const size = HEAD + pending.readUInt32BE(0) + TAG;
        records.push(pending.subarray(0, size));
        pending = pending.subarray(size);
        if (records.length === expected) upstream.write(Buffer.concat(tamper(records)));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => {
    upstream.destroy();
    server.close();
  });
  return (server.address() as AddressInfo).port;
}

/** Flips bit `bit` (0 = the lowest of the last byte) of `at` bytes into `record`. */
function flip(record: Buffer, at: number, bit: number): Buffer {
  const copy = Buffer.from(record);
  copy[at] = copy[at]! ^ (1 << bit);
  return copy;
}

// ---------------------------------------------------------------------------------------------
// Jobs

interface Side {
  keys: BulkKeys;
  counter?: number;
  record?: number;
  timeoutMs?: number;
}

type Outcome<T> = { ok: true; value: T; ms: number } | { ok: false; error: NodeJS.ErrnoException; ms: number };

/** The job's result or error and how long it took; never rejects. */
async function outcome<T>(job: () => Promise<T>): Promise<Outcome<T>> {
  const start = performance.now();
  try {
    const value = await job();
    return { ok: true, value, ms: performance.now() - start };
  } catch (error) {
    return { ok: false, error: error as NodeJS.ErrnoException, ms: performance.now() - start };
  }
}

function send(sock: Socket, fileFd: number, offset: number, length: number, side: Side) {
  return bulk().bulkSend(fdOf(sock), fileFd, offset, length, side.keys.key, side.keys.iv, side.counter ?? 0, side.record ?? 64 * KiB, side.timeoutMs ?? LONG_MS);
}

function receive(sock: Socket, directFd: number, bufferedFd: number, offset: number, length: number, side: Side) {
  return bulk().bulkReceive(fdOf(sock), directFd, bufferedFd, offset, length, side.keys.key, side.keys.iv, side.counter ?? 0, side.record ?? 64 * KiB, side.timeoutMs ?? LONG_MS);
}

/**
 * Runs a receive job, then ends whatever send job goes with it (bulkShutdown of the receiver's
 * socket: a sender blocked on a refused stream must not wait for its timeout) and waits for it.
 */
async function receiveThenStop<S>(receiver: Socket, receiving: Promise<{ records: number; bytes: number; direct: number }>, sending?: Promise<S>) {
  const received = await outcome(() => receiving);
  if (!received.ok) bulk().bulkShutdown(fdOf(receiver));
  const sent = sending === undefined ? undefined : await outcome(() => sending);
  return { received, sent };
}

function assertRefused(result: Outcome<unknown>, codes: string[], message?: RegExp): NodeJS.ErrnoException & BulkError {
  assert.ok(!result.ok, 'the job was refused');
  const { error } = result as { error: NodeJS.ErrnoException & BulkError };
  assert.ok(codes.includes(error.code ?? ''), `code ${error.code} is one of ${codes.join(', ')}: ${error.message}`);
  if (message) assert.match(error.message, message);
  assert.ok(result.ms < PROMPT_MS, `refused promptly (${Math.round(result.ms)} ms), not at the ${LONG_MS} ms timeout`);
  return error;
}

// ---------------------------------------------------------------------------------------------
// 1. Round trips

test('bulkSend() to bulkReceive(): the same bytes at non-zero offsets, in records smaller than the file, counted right', { skip: noPort }, async (t) => {
  const dir = tempDir(t);
  const srcOffset = 12_345;
  const dstOffset = 777;
  for (const { size, record } of [
    { size: 1, record: 64 * KiB },
    { size: MiB, record: 256 * KiB },
    { size: 5 * MiB + 12_345, record: MiB },
    { size: 300_007, record: 100_003 },
  ]) {
    const data = randomBytes(size);
    const lead = randomBytes(srcOffset);
    writeFileSync(join(dir, 'src'), Buffer.concat([lead, data, randomBytes(99)]));
    // The replica's file already has bytes before the offset: they stay as they were.
    const before = Buffer.alloc(dstOffset, 0x5a);
    writeFileSync(join(dir, 'dst'), before);
    const src = openSync(join(dir, 'src'), 'r');
    const dst = openSync(join(dir, 'dst'), 'r+');
    try {
      const { sender, receiver } = await tcpPair(t);
      const side = { keys: randomKeys(), counter: 7, record };
      const [sent, received] = await Promise.all([send(sender, src, srcOffset, size, side), receive(receiver, -1, dst, dstOffset, size, side)]);
      const records = Math.ceil(size / record);
      assert.deepEqual(sent, { records, bytes: size }, `size ${size}: what was sent`);
      assert.deepEqual(received, { records, bytes: size, direct: 0 }, `size ${size}: what was received (no direct fd: nothing direct)`);
      assert.ok(readFileSync(join(dir, 'dst')).equals(Buffer.concat([before, data])), `size ${size}: the same bytes after the untouched ${dstOffset}`);
    } finally {
      closeSync(src);
      closeSync(dst);
    }
  }
});

test('bulkReceive() with an O_DIRECT fd: the same bytes; the aligned middle of each record goes direct, at an aligned and at an unaligned offset', { skip: noPort }, async (t) => {
  // /tmp may be a tmpfs, which refuses O_DIRECT at open before Linux 6.6: /var/tmp is on the root fs.
  const dir = tempDir(t, '/var/tmp');
  try {
    closeSync(openSync(join(dir, 'probe'), fsConstants.O_CREAT | fsConstants.O_WRONLY | fsConstants.O_DIRECT));
  } catch (err) {
    t.skip(`${dir}'s filesystem refuses O_DIRECT (${(err as Error).message})`);
    return;
  }
  const size = 5 * MiB + 12_345;
  const record = MiB;
  const data = randomBytes(size);
  writeFileSync(join(dir, 'src'), data);
  const src = openFor(t, join(dir, 'src'), 'r');
  for (const dstOffset of [8192, 8192 + 100]) {
    const path = join(dir, `dst-${dstOffset}`);
    writeFileSync(path, '');
    const buffered = openSync(path, 'r+');
    const direct = openSync(path, fsConstants.O_WRONLY | fsConstants.O_DIRECT);
    try {
      const { sender, receiver } = await tcpPair(t);
      const side = { keys: randomKeys(), record };
      const [, received] = await Promise.all([send(sender, src, 0, size, side), receive(receiver, direct, buffered, dstOffset, size, side)]);
      assert.equal(received.bytes, size);
      const file = readFileSync(path);
      assert.ok(file.subarray(dstOffset).equals(data), `offset ${dstOffset}: the same bytes`);
      assert.ok(file.subarray(0, dstOffset).equals(Buffer.alloc(dstOffset)), `offset ${dstOffset}: nothing before the offset`);
      assert.equal(received.direct % 4096, 0, 'direct writes are whole blocks');
      // Each record keeps at most its head and tail block buffered.
      const records = Math.ceil(size / record);
      assert.ok(received.direct >= size - records * 2 * 4096, `offset ${dstOffset}: most bytes went direct (${received.direct} of ${size})`);
    } finally {
      closeSync(buffered);
      closeSync(direct);
    }
  }
});

test('bulkReceive() takes records sealed as bulk-io.cc documents (a JavaScript sealer), from any start counter', { skip: noPort }, async (t) => {
  const dir = tempDir(t);
  const { sender, receiver } = await tcpPair(t, { jsSender: true });
  const keys = randomKeys();
  const parts = [randomBytes(1000), randomBytes(64 * KiB), randomBytes(1)];
  const counter = 2 ** 40 + 3; // beyond 32 bits: the counter's high bytes count too
  const dst = openFor(t, join(dir, 'dst'), 'w+');
  const receiving = receive(receiver, -1, dst, 0, 1000 + 64 * KiB + 1, { keys, counter });
  sender.write(Buffer.concat(parts.map((p, i) => seal(keys, counter + i, p))));
  assert.deepEqual(await receiving, { records: 3, bytes: 1000 + 64 * KiB + 1, direct: 0 });
  assert.ok(readFileSync(join(dir, 'dst')).equals(Buffer.concat(parts)));
});

// ---------------------------------------------------------------------------------------------
// 2. The wrong key

test('bulkReceive() under another key, IV or start counter refuses the first record (EBADMSG) and writes nothing', { skip: noPort }, async (t) => {
  const dir = tempDir(t);
  const data = randomBytes(256 * KiB);
  writeFileSync(join(dir, 'src'), data);
  const src = openFor(t, join(dir, 'src'), 'r');
  const keys = randomKeys();
  const wrongs: [string, Side][] = [
    ['key', { keys: { key: randomBytes(32), iv: keys.iv } }],
    ['IV', { keys: { key: keys.key, iv: randomBytes(12) } }],
    ['start counter', { keys, counter: 1 }],
  ];
  for (const [what, wrong] of wrongs) {
    // One empty file, one with bytes of its own: both as they were.
    for (const existing of [Buffer.alloc(0), Buffer.alloc(300 * KiB, 0xa5)]) {
      const path = join(dir, 'dst');
      writeFileSync(path, existing);
      const dst = openSync(path, 'r+');
      try {
        const { sender, receiver } = await tcpPair(t);
        const { received } = await receiveThenStop(receiver, receive(receiver, -1, dst, 0, data.length, wrong), send(sender, src, 0, data.length, { keys }));
        assertRefused(received, ['EBADMSG'], /open record 0 failed/);
        assert.ok(readFileSync(path).equals(existing), `wrong ${what}: the file as it was (${existing.length} bytes)`);
        assert.equal((received as { error: BulkError }).error.bytes, 0, `wrong ${what}: no bytes written, says the error`);
      } finally {
        closeSync(dst);
      }
    }
  }
});

// ---------------------------------------------------------------------------------------------
// 3. A man in the middle

test('bulkReceive() refuses a record changed, reordered, replayed or dropped on the way, keeping exactly the records before it', { skip: noPort }, async (t) => {
  const dir = tempDir(t);
  const R = 64 * KiB + 4096; // 0x11000: a head with a bit flipped can be shorter and still in bounds
  const count = 6;
  const data = randomBytes(count * R);
  writeFileSync(join(dir, 'src'), data);
  const src = openFor(t, join(dir, 'src'), 'r');
  const at = (i: number) => HEAD + i; // a byte of a record's ciphertext
  const tag = (r: Buffer) => r.length - TAG + 5;
  // The receiver allows records up to 4 R: with bit 0 of the head flipped it reads one byte of the
  // next record, with bit 12 or 16 less than the record (its "tag" then does not check), and bit
  // 31 claims two gigabytes (refused before reading).
  const cases: { name: string; tamper: (r: Buffer[]) => Buffer[]; codes: string[]; refused: number }[] = [
    { name: 'a bit of the 3rd record\'s ciphertext', tamper: (r) => r.map((x, i) => (i === 2 ? flip(x, at(1000), 3) : x)), codes: ['EBADMSG'], refused: 2 },
    { name: 'a bit of the 3rd record\'s tag', tamper: (r) => r.map((x, i) => (i === 2 ? flip(x, tag(x), 0) : x)), codes: ['EBADMSG'], refused: 2 },
    ...[0, 12, 16, 31].map((bit) => ({
      name: `bit ${bit} of the 3rd record's length head`,
      tamper: (r: Buffer[]) => r.map((x, i) => (i === 2 ? flip(x, 3 - Math.floor(bit / 8), bit % 8) : x)),
      codes: ['EBADMSG', 'EPROTO'],
      refused: 2,
    })),
    { name: 'records 2 and 3 swapped', tamper: (r) => [r[0]!, r[2]!, r[1]!, ...r.slice(3)], codes: ['EBADMSG'], refused: 1 },
    { name: 'record 1 replayed in place of record 2', tamper: (r) => [r[0]!, r[0]!, ...r.slice(2)], codes: ['EBADMSG'], refused: 1 },
    { name: 'record 2 dropped', tamper: (r) => [r[0]!, ...r.slice(2)], codes: ['EBADMSG'], refused: 1 },
    { name: 'the last record dropped and record 1 appended', tamper: (r) => [...r.slice(0, count - 1), r[0]!], codes: ['EBADMSG'], refused: count - 1 },
  ];
  for (const c of cases) {
    const path = join(dir, 'dst');
    writeFileSync(path, '');
    const dst = openSync(path, 'r+');
    try {
      const listener = await pausedListener(t);
      const accepted = listener.next();
      const proxy = await tamperingProxy(t, listener.port, count, c.tamper);
      const sender = await client(proxy);
      const receiver = await accepted;
      t.after(() => {
        sender.destroy();
        receiver.destroy();
      });
      const keys = randomKeys();
      const { received, sent } = await receiveThenStop(receiver, receive(receiver, -1, dst, 0, data.length, { keys, record: 4 * R }), send(sender, src, 0, data.length, { keys, record: R }));
      assert.ok(sent?.ok, `${c.name}: the sender sent it all to the man in the middle`);
      const error = assertRefused(received, c.codes, new RegExp(`record ${c.refused}\\b`));
      const file = readFileSync(path);
      assert.equal(file.length, c.refused * R, `${c.name} (${error.code}): exactly the ${c.refused} records before it written`);
      assert.ok(file.equals(data.subarray(0, c.refused * R)), `${c.name}: those records' bytes`);
      // What a resume starts from: the bytes the error says were written, all of them good.
      assert.equal(error.bytes, c.refused * R, `${c.name}: the error counts the bytes written`);
    } finally {
      closeSync(dst);
    }
  }
});

// ---------------------------------------------------------------------------------------------
// 4. A hostile sender

test('bulkReceive() refuses a length head out of bounds before reading the record (EPROTO naming it), promptly', { skip: noPort }, async (t) => {
  const dir = tempDir(t);
  const keys = randomKeys();
  const R = 64 * KiB;
  const head = (n: number) => {
    const b = Buffer.alloc(HEAD);
    b.writeUInt32BE(n);
    return b;
  };
  const first = randomBytes(R);
  const cases: { name: string; bytes: Buffer; length: number; message: RegExp; kept: Buffer }[] = [
    { name: '0xffffffff bytes', bytes: head(0xffffffff), length: 5 * R, message: /record 0 claims 4294967295 bytes \(at most 65536 expected\)/, kept: Buffer.alloc(0) },
    { name: '0 bytes', bytes: head(0), length: 5 * R, message: /record 0 claims 0 bytes/, kept: Buffer.alloc(0) },
    { name: 'one byte more than the record size', bytes: head(R + 1), length: 5 * R, message: /record 0 claims 65537 bytes \(at most 65536 expected\)/, kept: Buffer.alloc(0) },
    // A whole record, then a second one longer than what is left of the transfer.
    { name: 'more than the bytes still expected', bytes: Buffer.concat([seal(keys, 0, first), head(1001)]), length: R + 1000, message: /record 1 claims 1001 bytes \(at most 1000 expected\)/, kept: first },
  ];
  for (const c of cases) {
    const path = join(dir, 'dst');
    writeFileSync(path, '');
    const dst = openSync(path, 'r+');
    try {
      const { sender, receiver } = await tcpPair(t, { jsSender: true });
      const receiving = receive(receiver, -1, dst, 0, c.length, { keys, record: R });
      // Then the sender stays connected and silent: only the head check ends the job before its timeout.
      sender.write(c.bytes);
      const { received } = await receiveThenStop(receiver, receiving);
      const error = assertRefused(received, ['EPROTO'], c.message);
      assert.equal(error.syscall, 'record', c.name);
      assert.ok(readFileSync(path).equals(c.kept), `${c.name}: only the records before it written`);
      assert.equal(error.bytes, c.kept.length, `${c.name}: the error counts the bytes written`);
    } finally {
      closeSync(dst);
    }
  }
});

test('bulkReceive() refuses garbage (EBADMSG or EPROTO) and writes none of it', { skip: noPort }, async (t) => {
  const dir = tempDir(t);
  const keys = randomKeys();
  const inBounds = Buffer.alloc(HEAD);
  inBounds.writeUInt32BE(1000);
  const cases: { name: string; bytes: Buffer; codes: string[] }[] = [
    // A random head is almost always out of bounds (EPROTO); else the record does not check or is cut at the end.
    { name: 'random bytes, then the end', bytes: randomBytes(4 * KiB), codes: ['EBADMSG', 'EPROTO'] },
    { name: 'a head in bounds and random bytes', bytes: Buffer.concat([inBounds, randomBytes(1000 + TAG)]), codes: ['EBADMSG'] },
  ];
  for (const c of cases) {
    const path = join(dir, 'dst');
    writeFileSync(path, '');
    const dst = openSync(path, 'r+');
    try {
      const { sender, receiver } = await tcpPair(t, { jsSender: true });
      const receiving = receive(receiver, -1, dst, 0, 5 * MiB, { keys, record: MiB });
      sender.end(c.bytes);
      const { received } = await receiveThenStop(receiver, receiving);
      assertRefused(received, c.codes);
      assert.equal(statSync(path).size, 0, `${c.name}: nothing written`);
    } finally {
      closeSync(dst);
    }
  }
});

// ---------------------------------------------------------------------------------------------
// 5. Truncation, 6. stalls, 7. bulkShutdown

test('bulkReceive() of a stream cut mid-record rejects promptly: EPROTO saying the connection closed, or ECONNRESET', { skip: noPort }, async (t) => {
  const dir = tempDir(t);
  const keys = randomKeys();
  const whole = seal(keys, 0, randomBytes(64 * KiB));
  const dst = openFor(t, join(dir, 'dst'), 'w+');
  const cuts: { name: string; cut: (s: Socket) => void; codes: string[]; message?: RegExp }[] = [
    { name: 'closed within the head', cut: (s) => s.end(whole.subarray(0, 2)), codes: ['EPROTO'], message: /record 0's length \(the connection closed before it was complete\)/ },
    { name: 'closed within the ciphertext', cut: (s) => s.end(whole.subarray(0, 30_000)), codes: ['EPROTO'], message: /record 0 \(the connection closed before it was complete\)/ },
    { name: 'closed within the tag', cut: (s) => s.end(whole.subarray(0, whole.length - 3)), codes: ['EPROTO'], message: /record 0 \(the connection closed/ },
    { name: 'reset within the ciphertext', cut: (s) => s.write(whole.subarray(0, 30_000), () => s.resetAndDestroy()), codes: ['ECONNRESET', 'EPROTO'] },
  ];
  for (const c of cuts) {
    const { sender, receiver } = await tcpPair(t, { jsSender: true });
    const receiving = receive(receiver, -1, dst, 0, 5 * MiB, { keys, record: MiB });
    c.cut(sender);
    const { received } = await receiveThenStop(receiver, receiving);
    assertRefused(received, c.codes, c.message);
    assert.equal(statSync(join(dir, 'dst')).size, 0, `${c.name}: nothing written`);
  }
});

/** Keys, an empty destination and a sender's file of 1 GiB of hole: more than loopback's socket buffers hold. */
function stalledFiles(t: { after: (fn: () => void) => void }) {
  const dir = tempDir(t);
  const dst = openFor(t, join(dir, 'dst'), 'w+');
  const src = openFor(t, join(dir, 'src'), 'w+');
  ftruncateSync(src, 1024 * MiB);
  return { dir, keys: randomKeys(), dst, src };
}

test('a job whose peer goes silent rejects with ETIMEDOUT after its timeout, not before', { skip: noPort }, async (t) => {
  const { dir, keys, dst, src } = stalledFiles(t);
  const timeoutMs = 300;
  const stalls: { name: string; start: (pair: { sender: Socket; receiver: Socket }) => Promise<unknown>; message: RegExp }[] = [
    { name: 'nothing sent', start: ({ receiver }) => receive(receiver, -1, dst, 0, MiB, { keys, timeoutMs }), message: /recv record 0's length failed/ },
    {
      name: 'a head, then nothing',
      start: ({ sender, receiver }) => {
        const job = receive(receiver, -1, dst, 0, MiB, { keys, timeoutMs });
        sender.write(seal(keys, 0, randomBytes(1000)).subarray(0, HEAD + 10));
        return job;
      },
      message: /recv record 0 failed/,
    },
    { name: 'a receiver that never reads', start: ({ sender }) => send(sender, src, 0, 1024 * MiB, { keys, timeoutMs, record: MiB }), message: /send record \d+ failed/ },
  ];
  for (const s of stalls) {
    const pair = await tcpPair(t, { jsSender: s.name !== 'a receiver that never reads' });
    const result = await outcome(() => s.start(pair));
    assert.ok(!result.ok, `${s.name}: rejected`);
    const { error } = result as { error: NodeJS.ErrnoException };
    assert.equal(error.code, 'ETIMEDOUT', `${s.name}: ${error.message}`);
    assert.match(error.message, s.message);
    assert.ok(result.ms >= 200 && result.ms < PROMPT_MS, `${s.name}: ended after about the timeout (${Math.round(result.ms)} ms)`);
  }
  assert.equal(statSync(join(dir, 'dst')).size, 0, 'nothing written');
});

test('bulkShutdown() from the main thread ends a waiting receive job and a send job blocked on a full socket, promptly', { skip: noPort }, async (t) => {
  const { dir, keys, dst, src } = stalledFiles(t);

  const quiet = await tcpPair(t);
  const receiving = outcome(() => receive(quiet.receiver, -1, dst, 0, MiB, { keys }));
  // Time for the job to reach its wait (it rejects the same way if it had not yet).
  await sleep(200);
  bulk().bulkShutdown(fdOf(quiet.receiver));
  assertRefused(await receiving, ['EPROTO', 'ECONNRESET', 'EPIPE'], /the connection closed/);

  const blocked = await tcpPair(t);
  const sending = outcome(() => send(blocked.sender, src, 0, 1024 * MiB, { keys, record: MiB }));
  await sleep(500); // tens of MiB fill the socket buffers: the job then waits for room
  bulk().bulkShutdown(fdOf(blocked.sender));
  const sent = await sending;
  const error = assertRefused(sent, ['EPIPE', 'ECONNRESET'], /send record \d+ failed/);
  assert.ok(error.bytes !== undefined && error.bytes > 0 && error.bytes % MiB === 0, `the error counts the whole records sent (${error.bytes})`);

  assert.throws(() => bulk().bulkShutdown(999_999), (err: NodeJS.ErrnoException) => err.code === 'EBADF' && /shutdown/.test(err.message));
  assert.throws(() => bulk().bulkShutdown(dst), (err: NodeJS.ErrnoException) => err.code === 'ENOTSOCK');
});

// ---------------------------------------------------------------------------------------------
// 8. Sender errors and bad arguments

test('bulkSend() of a file shorter than the length rejects with ENODATA where it ended; a bad fd is EBADF', { skip: noPort }, async (t) => {
  const dir = tempDir(t);
  const keys = randomKeys();
  writeFileSync(join(dir, 'short'), randomBytes(100_000));
  const short = openFor(t, join(dir, 'short'), 'r');
  const dst = openFor(t, join(dir, 'dst'), 'w+');

  const { sender, receiver } = await tcpPair(t);
  const sent = await outcome(() => send(sender, short, 10, 200_000, { keys }));
  const error = assertRefused(sent, ['ENODATA'], /pread the file ended at 100000/);
  assert.equal(error.syscall, 'pread');
  assert.equal(error.bytes, 64 * KiB, 'the error counts the bytes sent: one whole record');
  // What came before the end is whole records the replica takes: the file's first 65536 bytes from offset 10.
  assert.deepEqual(await receive(receiver, -1, dst, 0, 64 * KiB, { keys }), { records: 1, bytes: 64 * KiB, direct: 0 });

  const pair = await tcpPair(t);
  assertRefused(await outcome(() => bulk().bulkSend(fdOf(pair.sender), 999_999, 0, 10, keys.key, keys.iv, 0, 1024, 1000)), ['EBADF'], /pread at 0/);
  assertRefused(await outcome(() => bulk().bulkSend(999_999, short, 0, 10, keys.key, keys.iv, 0, 1024, 1000)), ['EBADF'], /send record 0/);
  assertRefused(await outcome(() => bulk().bulkReceive(999_999, -1, dst, 0, 10, keys.key, keys.iv, 0, 1024, 1000)), ['EBADF'], /recv record 0/);
  // A record that checks, for a file fd that does not exist.
  const js = await tcpPair(t, { jsSender: true });
  js.sender.write(seal(keys, 0, randomBytes(10)));
  assertRefused(await outcome(() => bulk().bulkReceive(fdOf(js.receiver), -1, 999_999, 0, 10, keys.key, keys.iv, 0, 1024, 1000)), ['EBADF'], /pwrite at 0/);
});

test('bulkSend() and bulkReceive() name a bad argument with a TypeError or RangeError, and start nothing', { skip: noPort }, async (t) => {
  const { sender, receiver } = await tcpPair(t);
  const s = fdOf(sender);
  const r = fdOf(receiver);
  const key = randomBytes(32);
  const iv = randomBytes(12);
  const cases: [string, () => unknown, new (...a: never[]) => Error, RegExp][] = [
    ['a 31-byte key', () => bulk().bulkSend(s, 0, 0, 1, randomBytes(31), iv, 0, 1024, 1000), TypeError, /The key must be a 32-byte Buffer/],
    ['a key that is a string', () => bulk().bulkReceive(r, -1, 0, 0, 1, 'k'.repeat(32) as unknown as Buffer, iv, 0, 1024, 1000), TypeError, /The key must be a 32-byte Buffer/],
    ['an 11-byte IV', () => bulk().bulkSend(s, 0, 0, 1, key, randomBytes(11), 0, 1024, 1000), TypeError, /The IV must be a 12-byte Buffer/],
    ['a 13-byte IV', () => bulk().bulkReceive(r, -1, 0, 0, 1, key, randomBytes(13), 0, 1024, 1000), TypeError, /The IV must be a 12-byte Buffer/],
    ['record size 0', () => bulk().bulkSend(s, 0, 0, 1, key, iv, 0, 0, 1000), RangeError, /The record size must be an integer from 1 to 16777216/],
    ['record size 16 MiB + 1', () => bulk().bulkReceive(r, -1, 0, 0, 1, key, iv, 0, 16 * MiB + 1, 1000), RangeError, /The record size must be an integer from 1 to 16777216/],
    ['a negative offset (send)', () => bulk().bulkSend(s, 0, -1, 1, key, iv, 0, 1024, 1000), RangeError, /The offset must be a non-negative integer/],
    ['a negative offset (receive)', () => bulk().bulkReceive(r, -1, 0, -4096, 1, key, iv, 0, 1024, 1000), RangeError, /The offset must be a non-negative integer/],
    ['a fractional length', () => bulk().bulkSend(s, 0, 0, 1.5, key, iv, 0, 1024, 1000), RangeError, /The length must be a non-negative integer/],
    ['a negative counter', () => bulk().bulkSend(s, 0, 0, 1, key, iv, -1, 1024, 1000), RangeError, /The record counter must be a non-negative integer/],
    ['timeout 0', () => bulk().bulkReceive(r, -1, 0, 0, 1, key, iv, 0, 1024, 0), RangeError, /The timeout must be an integer from 1/],
    ['a direct fd of -2', () => bulk().bulkReceive(r, -2, 0, 0, 1, key, iv, 0, 1024, 1000), RangeError, /The direct file descriptor must be an integer from -1/],
    ['a socket that is a string', () => bulk().bulkSend('3' as unknown as number, 0, 0, 1, key, iv, 0, 1024, 1000), TypeError, /The socket must be a number/],
    ['a 4-byte progress', () => bulk().bulkSend(s, 0, 0, 1, key, iv, 0, 1024, 1000, Buffer.alloc(4)), TypeError, /The progress must be an 8-byte Buffer/],
    ['an unaligned progress', () => bulk().bulkReceive(r, -1, 0, 0, 1, key, iv, 0, 1024, 1000, Buffer.alloc(9).subarray(1)), TypeError, /The progress must be an 8-byte Buffer of its own/],
    ['a progress that is a number', () => bulk().bulkSend(s, 0, 0, 1, key, iv, 0, 1024, 1000, 8 as unknown as Buffer), TypeError, /The progress must be an 8-byte Buffer/],
  ];
  for (const [what, call, type, message] of cases) {
    assert.throws(call, (err: Error) => err instanceof type && message.test(err.message), what);
  }
  // Nothing was started on the sockets: a real transfer on the same pair still works.
  const dir = tempDir(t);
  writeFileSync(join(dir, 'src'), 'hello');
  const src = openFor(t, join(dir, 'src'), 'r');
  const dst = openFor(t, join(dir, 'dst'), 'w+');
  const side = { keys: { key, iv } };
  await Promise.all([send(sender, src, 0, 5, side), receive(receiver, -1, dst, 0, 5, side)]);
  assert.equal(readFileSync(join(dir, 'dst'), 'utf8'), 'hello');
});

test('progress: both jobs count the bytes done record by record while they run, and end at the length', { skip: noPort }, async (t) => {
  const { sender, receiver } = await tcpPair(t);
  const dir = tempDir(t);
  // More than loopback's socket buffers can hold (a few MiB), so the sender waits part way.
  const length = 64 * MiB + 123;
  writeFileSync(join(dir, 'src'), randomBytes(length));
  const src = openFor(t, join(dir, 'src'), 'r');
  const dst = openFor(t, join(dir, 'dst'), 'w+');
  const keys = randomKeys();
  const sent = Buffer.alloc(8);
  const received = Buffer.alloc(8);
  const sending = bulk().bulkSend(fdOf(sender), src, 0, length, keys.key, keys.iv, 0, 64 * KiB, LONG_MS, sent);
  // The receiver starts only once the sender is blocked on full socket buffers: its count stops short.
  await waitFor(() => Number(sent.readBigUInt64LE(0)) > 0, { description: 'the send job counting', timeoutMs: LONG_MS });
  await sleep(200);
  const partway = Number(sent.readBigUInt64LE(0));
  assert.ok(partway > 0 && partway < length && partway % (64 * KiB) === 0, `a whole number of records sent so far: ${partway}`);
  const receiving = bulk().bulkReceive(fdOf(receiver), -1, dst, 0, length, keys.key, keys.iv, 0, 64 * KiB, LONG_MS, received);
  await Promise.all([sending, receiving]);
  assert.equal(Number(sent.readBigUInt64LE(0)), length);
  assert.equal(Number(received.readBigUInt64LE(0)), length);
});

// ---------------------------------------------------------------------------------------------
// 9. A full disk

const notRoot = process.getuid?.() !== 0 ? 'needs root to mount a small tmpfs' : false;

test('bulkReceive() into a full filesystem rejects with ENOSPC naming pwrite and where', { skip: noPort || notRoot }, async (t) => {
  const dir = tempDir(t);
  const mnt = mkdtempSync(join(tmpdir(), 'hs-bulk-full-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mnt]);
  let dst = -1;
  // One hook, in this order: the file closed, then the filesystem unmounted, then its mount point removed.
  t.after(() => {
    if (dst >= 0) closeSync(dst);
    execFileSync('umount', [mnt]);
    rmSync(mnt, { recursive: true });
  });
  dst = openSync(join(mnt, 'dst'), 'w+');
  const size = 3 * MiB;
  writeFileSync(join(dir, 'src'), randomBytes(size));
  const src = openFor(t, join(dir, 'src'), 'r');
  const { sender, receiver } = await tcpPair(t);
  const keys = randomKeys();
  const { received } = await receiveThenStop(receiver, receive(receiver, -1, dst, 0, size, { keys, record: 256 * KiB }), send(sender, src, 0, size, { keys, record: 256 * KiB }));
  const error = assertRefused(received, ['ENOSPC'], /pwrite at \d+ failed/);
  assert.equal(error.syscall, 'pwrite');
  assert.ok(statSync(join(mnt, 'dst')).size <= MiB, 'no more than the filesystem holds');
  // Only whole records that were written count: a record cut by ENOSPC does not.
  assert.ok(error.bytes !== undefined && error.bytes % (256 * KiB) === 0 && error.bytes <= MiB, `the error counts whole records written (${error.bytes})`);
});

// ---------------------------------------------------------------------------------------------
// 10. bulkKeys

/** Both ends of one TLS connection, handshake done; destroyed after the test. */
async function tlsPair(t: { after: (fn: () => void) => void }, serverOptions: TlsOptions, clientOptions: ConnectionOptions): Promise<{ server: TLSSocket; client: TLSSocket }> {
  const server = tlsCreateServer(serverOptions);
  const accepted = new Promise<TLSSocket>((resolve) => server.once('secureConnection', resolve));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  const socket = tlsConnect({ ...clientOptions, host: '127.0.0.1', port: (server.address() as AddressInfo).port });
  await new Promise<void>((resolve, reject) => {
    socket.once('secureConnect', resolve);
    socket.once('error', reject);
  });
  const other = await accepted;
  t.after(() => {
    socket.destroy();
    other.destroy();
  });
  return { server: other, client: socket };
}

/** The checks of one TLS mode: two connections `connect()` makes with the same credentials. */
async function checkKeys(t: { after: (fn: () => void) => void }, connect: () => Promise<{ server: TLSSocket; client: TLSSocket }>): Promise<void> {
  const one = await connect();
  const ticket = randomBytes(TICKET_BYTES);
  const a = bulkKeys(one.client, ticket);
  const b = bulkKeys(one.server, ticket);
  assert.equal(a.key.length, 32);
  assert.equal(a.iv.length, 12);
  assert.ok(a.key.equals(b.key) && a.iv.equals(b.iv), 'both ends derive the same key and IV for a ticket');
  const other = bulkKeys(one.server, randomBytes(TICKET_BYTES));
  assert.ok(!other.key.equals(a.key) && !other.iv.equals(a.iv), 'another ticket, another key and IV');
  const two = await connect();
  assert.ok(!bulkKeys(two.client, ticket).key.equals(a.key), 'the same ticket on another connection (same credentials), another key');
  for (const length of [0, TICKET_BYTES - 1, TICKET_BYTES + 1]) {
    assert.throws(() => bulkKeys(one.client, Buffer.alloc(length)), (err: Error) => err instanceof RangeError && err.message === `A bulk ticket is ${TICKET_BYTES} bytes, not ${length}`);
  }
  // And the keys do carry a transfer: one end's key seals what the other end's opens.
  const dir = tempDir(t);
  writeFileSync(join(dir, 'src'), randomBytes(300_000));
  const src = openFor(t, join(dir, 'src'), 'r');
  const dst = openFor(t, join(dir, 'dst'), 'w+');
  const pair = await tcpPair(t);
  await Promise.all([send(pair.sender, src, 0, 300_000, { keys: a }), receive(pair.receiver, -1, dst, 0, 300_000, { keys: b })]);
  assert.ok(readFileSync(join(dir, 'dst')).equals(readFileSync(join(dir, 'src'))));
}

test('bulkKeys() over a pre-shared-key TLS connection: equal at both ends per ticket, other tickets and connections differ, a bad ticket is a RangeError', { skip: noPort }, async (t) => {
  const psk = { identity: 'bulk', key: randomBytes(32) };
  await checkKeys(t, () => tlsPair(t, pskServerOptions(psk), pskClientOptions(psk)));
});

test('bulkKeys() over a certificate (mutual TLS 1.3) connection: the same', { skip: noPort || opensslUnavailableReason() || false }, async (t) => {
  const ca = TestCa.create(certDir(t), 'bulk-ca');
  const transport = (name: string) => certTransport({ files: ca.issue(name, 'IP:127.0.0.1'), peerNames: [], peerAddresses: ['127.0.0.1'] });
  const replica = transport('replica');
  const source = transport('source');
  await checkKeys(t, async () => {
    const pair = await tlsPair(t, replica.serverOptions(), source.clientOptions({ host: '127.0.0.1', port: 0 }));
    assert.equal(pair.client.getProtocol(), 'TLSv1.3');
    assert.equal(replica.refusal?.(pair.server), undefined, 'the replica accepts the source');
    return pair;
  });
});
