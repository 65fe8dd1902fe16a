/**
 * Bulk transfers end to end (bulk-io.ts): a new large file goes on a connection of its own, in
 * sealed records written by thread-pool jobs; older peers on either side keep TLS; a hostile
 * or failed bulk connection never installs a byte it did not authenticate, and the file still
 * arrives through TLS. Source and replica in one process over loopback (loopback-pair.ts).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { connect, createServer, Server } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import type { NativeFileBinding } from '../../src/net/native.js';
import { BULK_MIN } from '../../src/replicate/source-sender.js';
import { loopbackPair } from './support/loopback-pair.js';
import { leftoverTemporaries } from './support/tree-compare.js';
import { waitFor } from '../../src/lab/wait-for.js';

const SIZE = 2 * BULK_MIN + 333; // records of 1 MiB and a short last one

/** The addon with the bulk jobs counted (or removed: a node of the version before). */
function counted(calls: { length: number }[], side: 'send' | 'receive') {
  return (native: NativeFileBinding): NativeFileBinding => {
    const wrapped = { ...native };
    if (side === 'send' && native.bulkSend !== undefined) {
      const send = native.bulkSend.bind(native);
      wrapped.bulkSend = (...args) => {
        calls.push({ length: args[3] });
        return send(...args);
      };
    }
    if (side === 'receive' && native.bulkReceive !== undefined) {
      const receive = native.bulkReceive.bind(native);
      wrapped.bulkReceive = (...args) => {
        calls.push({ length: args[4] });
        return receive(...args);
      };
    }
    return wrapped;
  };
}

function withoutBulk(native: NativeFileBinding): NativeFileBinding {
  const { bulkSend: _send, bulkReceive: _receive, bulkShutdown: _shutdown, ...rest } = native;
  return rest;
}

/** Writes a file beside the tree and moves it in: one complete version is transferred. */
function addFile(root: string, name: string, bytes: Buffer): void {
  const outside = join(root, '..', `${name}.tmp`);
  writeFileSync(outside, bytes);
  renameSync(outside, join(root, name));
}

/**
 * Calls `onPort` with the port of every server that starts listening from now on (the replica's
 * bulk listeners: the control server listens already), until the returned function restores it.
 */
function watchListeners(onPort: (port: number) => void): () => void {
  const original = Server.prototype.listen;
  Server.prototype.listen = function (this: Server, ...args: unknown[]) {
    this.once('listening', () => onPort((this.address() as { port: number }).port));
    return (original as (...a: unknown[]) => Server).apply(this, args);
  } as typeof original;
  return () => {
    Server.prototype.listen = original;
  };
}

test('A new large file goes over a bulk connection, written by the replica\'s job, and arrives intact', async (t) => {
  const sent: { length: number }[] = [];
  const received: { length: number }[] = [];
  const { source, replica, converged, sourceEvents, replicaEvents } = await loopbackPair(t, { sourceNative: counted(sent, 'send'), replicaNative: counted(received, 'receive') });
  await converged('empty trees');
  const bytes = randomBytes(SIZE);
  addFile(source, 'db.dump', bytes);
  await converged('the large file');
  assert.deepEqual(received, [{ length: SIZE }], 'one receive job took the whole file');
  assert.deepEqual(sent, [{ length: SIZE }], 'one send job sent it');
  assert.ok(readFileSync(join(replica, 'db.dump')).equals(bytes));
  assert.deepEqual(await leftoverTemporaries(replica), []);
  assert.deepEqual(sourceEvents.filter((e) => e.kind === 'bulk-off' || e.kind === 'send-failed'), []);
  assert.deepEqual(replicaEvents.filter((e) => e.kind === 'apply-failed'), []);
});

test('Files below the bulk size, and every file to or from a node without the bulk jobs, go through TLS', async (t) => {
  for (const [label, sourceNative, replicaNative, name, size] of [
    ['a small large file', undefined, undefined, 'small.bin', BULK_MIN - 1],
    ['a replica of the version before', undefined, withoutBulk, 'old-replica.bin', SIZE],
    ['a source of the version before', withoutBulk, undefined, 'old-source.bin', SIZE],
  ] as const) {
    const sent: { length: number }[] = [];
    const received: { length: number }[] = [];
    const pair = await loopbackPair(t, {
      sourceNative: (n) => counted(sent, 'send')(sourceNative?.(n) ?? n),
      replicaNative: (n) => counted(received, 'receive')(replicaNative?.(n) ?? n),
    });
    await pair.converged(`empty trees (${label})`);
    addFile(pair.source, name, randomBytes(size));
    await pair.converged(label);
    assert.deepEqual([sent, received], [[], []], `${label}: no bulk job ran`);
    assert.deepEqual(await leftoverTemporaries(pair.replica), [], label);
  }
});

test("A connection to the offered port from another address is closed unread; the source's own transfer goes on", async (t) => {
  const received: { length: number }[] = [];
  const { source, replica, converged, sourceEvents, replicaEvents } = await loopbackPair(t, { replicaNative: counted(received, 'receive') });
  await converged('empty trees');
  const intruders: Promise<string>[] = [];
  const restore = watchListeners((port) => {
    intruders.push(
      new Promise((resolve) => {
        // 127.0.0.2 is this host too, but not the address the source's control connection came from.
        const socket = connect({ host: '127.0.0.1', port, localAddress: '127.0.0.2' });
        socket.on('connect', () => socket.write(randomBytes(4096)));
        socket.on('error', (err) => resolve(`error ${(err as NodeJS.ErrnoException).code}`));
        socket.on('close', () => resolve('closed'));
      }),
    );
  });
  t.after(restore);
  const bytes = randomBytes(SIZE);
  addFile(source, 'uploads.tar', bytes);
  await converged('the large file');
  restore();
  assert.equal(intruders.length, 1, 'one bulk listener was offered');
  assert.match(await intruders[0]!, /closed|error ECONNRESET/, 'the intruder was disconnected');
  assert.deepEqual(received, [{ length: SIZE }], 'the bulk job took the source\'s connection');
  assert.ok(readFileSync(join(replica, 'uploads.tar')).equals(bytes));
  assert.deepEqual(sourceEvents.filter((e) => e.kind === 'bulk-off'), []);
  assert.deepEqual(replicaEvents.filter((e) => e.kind === 'apply-failed'), []);
});

test('A hostile first connection from the source\'s address fails its records; nothing of it is installed and the source\'s file arrives', async (t) => {
  const { source, replica, converged, sourceEvents, replicaEvents } = await loopbackPair(t);
  await converged('empty trees');
  let offered = 0;
  const restore = watchListeners((port) => {
    if (offered++ > 0) return;
    // Garbage that looks like a record of 1 MiB: refused at its tag, never written.
    const socket = connect({ host: '127.0.0.1', port });
    const head = Buffer.alloc(4);
    head.writeUInt32BE(1024 * 1024);
    socket.on('connect', () => socket.write(Buffer.concat([head, randomBytes(1024 * 1024 + 16)])));
    socket.on('error', () => {});
  });
  t.after(restore);
  const bytes = randomBytes(SIZE);
  addFile(source, 'video.bin', bytes);
  await converged('the large file, through TLS after the bulk connection failed');
  restore();
  // The forged record is refused at its tag (EBADMSG), unless the source's retry cancelled the job first.
  const failed = replicaEvents.filter((e) => e.kind === 'apply-failed');
  for (const event of failed) assert.match(JSON.stringify(event), /EBADMSG/, 'a forged record is refused at its tag, nothing else fails');
  // Refused at connect (bulk off, TLS at once) or cut once the replica's job failed (a send failure, sent again): said either way.
  const said = sourceEvents.filter((e) => e.kind === 'bulk-off' || (e.kind === 'send-failed' && e.path === 'video.bin'));
  assert.equal(said.length, 1, `the source said its transfer failed: ${JSON.stringify(sourceEvents.filter((e) => e.kind !== 'synced'))}`);
  assert.ok(readFileSync(join(replica, 'video.bin')).equals(bytes), 'the installed file is the source\'s');
  assert.deepEqual(await leftoverTemporaries(replica), []);
});

test('A bulk connection cut mid-way while the TLS one lives: the replica keeps the records that came, the next attempt resumes from them', async (t) => {
  let cuts = 0;
  const cutOnce = (native: NativeFileBinding): NativeFileBinding => {
    const send = native.bulkSend!.bind(native);
    const shutdown = native.bulkShutdown!.bind(native);
    return {
      ...native,
      bulkSend: async (sockFd, fileFd, offset, length, ...rest) => {
        if (cuts++ > 0) return send(sockFd, fileFd, offset, length, ...rest);
        // Half the file in whole records, then the connection goes (a middlebox's reset, say).
        const half = Math.floor(length / 2 / (1024 * 1024)) * 1024 * 1024;
        await send(sockFd, fileFd, offset, half, ...rest);
        shutdown(sockFd);
        throw Object.assign(new Error('send record 8 failed: Broken pipe'), { code: 'EPIPE', bytes: half });
      },
    };
  };
  const { source, replica, converged, sourceEvents, replicaEvents } = await loopbackPair(t, { sourceNative: cutOnce });
  await converged('empty trees');
  const bytes = randomBytes(SIZE);
  addFile(source, 'resumed.bin', bytes);
  await converged('the file, after the cut');
  assert.equal(cuts, 2, 'a second bulk transfer finished the file');
  const resumed = replicaEvents.find((e) => e.kind === 'resumed');
  assert.ok(resumed !== undefined && Number(resumed.offset) >= BULK_MIN, `resumed from the records that came: ${JSON.stringify(resumed)}`);
  assert.ok(sourceEvents.some((e) => e.kind === 'send-failed' && e.path === 'resumed.bin'), 'the cut was reported');
  assert.deepEqual(sourceEvents.filter((e) => e.kind === 'bulk-off'), [], 'a cut is not an unreachable port');
  assert.ok(readFileSync(join(replica, 'resumed.bin')).equals(bytes));
  assert.deepEqual(await leftoverTemporaries(replica), []);
});

test('While a bulk transfer runs, the source counts its bytes sent so far as lag in bytes', async (t) => {
  const MiB = 1024 * 1024;
  let release!: () => void;
  const released = new Promise<void>((resolve) => (release = resolve));
  t.after(() => release()); // before the pair's own teardown, which waits for the send
  let holding = false;
  // The real send job in two parts on the same connection, held in between (a slow link, say).
  const holdHalfway = (native: NativeFileBinding): NativeFileBinding => {
    const send = native.bulkSend!.bind(native);
    return {
      ...native,
      bulkSend: async (sockFd, fileFd, offset, length, key, iv, counter, record, timeoutMs, progress) => {
        const half = Math.floor(length / 2 / MiB) * MiB;
        const own = Buffer.alloc(8);
        await send(sockFd, fileFd, offset, half, key, iv, counter, record, timeoutMs, own);
        progress?.writeBigUInt64LE(own.readBigUInt64LE(0));
        holding = true;
        await released;
        const rest = await send(sockFd, fileFd, offset + half, length - half, key, iv, counter + half / record, record, timeoutMs);
        progress?.writeBigUInt64LE(BigInt(length));
        return { records: half / record + rest.records, bytes: length };
      },
    };
  };
  const pair = await loopbackPair(t, { sourceNative: holdHalfway });
  await pair.converged('empty trees');
  const bytes = randomBytes(SIZE);
  addFile(pair.source, 'slow.bin', bytes);
  await waitFor(() => holding, { description: 'the first half sent', timeoutMs: 20_000 });
  const half = Math.floor(SIZE / 2 / MiB) * MiB;
  await waitFor(() => pair.replicator.status().lagBytes >= half, { description: `lag_bytes at least the ${half} bytes sent`, timeoutMs: 20_000 });
  assert.ok(pair.replicator.status().lagBytes < SIZE, 'not the whole file before it was sent');
  release();
  await pair.converged('the file, once released');
  assert.ok(readFileSync(join(pair.replica, 'slow.bin')).equals(bytes));
  assert.equal(pair.replicator.status().lagBytes, 0, 'nothing left once the replica has it');
});

test('A full disk on the replica during a bulk transfer: ENOSPC on both sides, nothing installed, converges once there is room', { skip: process.getuid?.() === 0 ? false : 'needs root (mounts a small tmpfs)' }, async (t) => {
  const { source, replica, converged, sourceEvents, replicaEvents } = await loopbackPair(t, {
    replicaSetup: (dir) => {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'hs-bulk-full', dir]);
      return () => execFileSync('umount', ['-l', dir]);
    },
  });
  await converged('empty trees');
  const bytes = randomBytes(SIZE);
  addFile(source, 'too-big.bin', bytes);
  await waitFor(() => replicaEvents.some((e) => e.kind === 'apply-failed' && e.code === 'ENOSPC'), { description: 'ENOSPC on the replica', timeoutMs: 30_000 });
  await waitFor(() => sourceEvents.some((e) => e.kind === 'send-failed' && e.code === 'ENOSPC'), { description: 'ENOSPC reported at the source', timeoutMs: 30_000 });
  assert.throws(() => readFileSync(join(replica, 'too-big.bin')), /ENOENT/, 'nothing under the final name');
  execFileSync('mount', ['-o', 'remount,size=64m', replica]);
  await converged('after the disk has room');
  assert.ok(readFileSync(join(replica, 'too-big.bin')).equals(bytes));
  assert.deepEqual(await leftoverTemporaries(replica), []);
});

test('bulkPorts: the replica listens on a free port of its range, sends through TLS when every one is busy, and never offers with off', async (t) => {
  // Two ports the kernel has free now, held by this test until the replica needs one of them.
  const holders = await Promise.all([0, 1].map(() => freePortHolder()));
  const [first, last] = holders.map((h) => h.port).sort((a, b) => a - b) as [number, number];
  for (const h of holders) await h.release();
  // The range between them may hold other ports in use: the replica skips those (EADDRINUSE).
  const received: { length: number }[] = [];
  const top = Math.min(last, first + 1023);
  const ranged = await loopbackPair(t, { bulkPorts: { first, last: top }, replicaNative: counted(received, 'receive') });
  await ranged.converged('empty trees');
  const offered: number[] = [];
  const restore = watchListeners((port) => offered.push(port));
  t.after(restore);
  addFile(ranged.source, 'in-range.bin', randomBytes(SIZE));
  await ranged.converged('a file through a port of the range');
  restore();
  assert.equal(received.length, 1, 'a bulk transfer');
  assert.ok(offered.length === 1 && offered[0]! >= first && offered[0]! <= top, `offered ${offered.join(', ')}, the range ${first}-${top}`);

  // Every port of a one-port range taken by someone else: no offer, the file goes through TLS.
  const busy = await freePortHolder();
  t.after(() => busy.release());
  const full = await loopbackPair(t, { bulkPorts: { first: busy.port, last: busy.port }, replicaNative: counted(received, 'receive') });
  await full.converged('empty trees (busy range)');
  const bytes = randomBytes(SIZE);
  addFile(full.source, 'busy.bin', bytes);
  await full.converged('a file through TLS, the range busy');
  assert.equal(received.length, 1, 'no second bulk transfer');
  assert.ok(readFileSync(join(full.replica, 'busy.bin')).equals(bytes));
  assert.deepEqual(full.sourceEvents.filter((e) => e.kind === 'bulk-off'), [], 'no offer is not a failure');

  const off = await loopbackPair(t, { bulkPorts: 'off', replicaNative: counted(received, 'receive') });
  await off.converged('empty trees (off)');
  addFile(off.source, 'off.bin', randomBytes(SIZE));
  await off.converged('a file with bulk transfers off');
  assert.equal(received.length, 1, 'bulkPorts off: no bulk transfer');
});

/** A listener on a port the kernel picked on 127.0.0.1, until released. */
async function freePortHolder(): Promise<{ port: number; release: () => Promise<void> }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, release: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

