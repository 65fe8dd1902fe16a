/**
 * A streamed file's data written past the page cache (native/direct-write.cc,
 * src/replicate/direct-data.ts): writeDirect gives the same bytes as a plain write for any
 * split of the pieces and any offset (a resumed transfer starts mid-block), sends the aligned
 * middle O_DIRECT and the head and tail buffered, and names a failed call; the applier uses it on
 * ext4 / xfs (and not elsewhere), a transfer cut at an unaligned length resumes to the same file,
 * and the whole-file check still refuses a wrong hash with nothing installed; on a full ext4
 * (a loop-mounted image, root) a direct write's ENOSPC fails the file, gives the space back and
 * installs nothing, and a file that fits then goes through.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { constants as fsConstants, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, statfsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadNative } from '../../src/net/native.js';
import { ReplicaApplier, type FileTimesPort } from '../../src/replicate/replica-applier.js';
import { leftoverTemporaries } from './support/tree-compare.js';

const MiB = 1024 * 1024;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const native = loadNative();

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'hs-direct-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** ext4 or xfs: where the applier writes O_DIRECT (direct-data.ts). */
function journalled(dir: string): boolean {
  const { type } = statfsSync(dir);
  return type === 0xef53 || type === 0x58465342;
}

/** `bytes` cut into TLS-record-sized pieces (16 KiB, the last shorter). */
function pieces(bytes: Buffer, size = 16 * 1024): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

test('writeDirect() writes the same bytes as a plain write for any split and offset; the aligned middle goes direct', async (t) => {
  const dir = tempDir(t);
  const bytes = randomBytes(3 * MiB + 777);
  for (const withDirect of [true, false]) {
    const path = join(dir, `f-${withDirect}`);
    const buffered = await open(path, 'w+');
    // O_DIRECT where the filesystem has it (tmpfs before Linux 6.6 refuses it at open).
    const direct = withDirect ? await open(path, fsConstants.O_WRONLY | fsConstants.O_DIRECT).catch(() => undefined) : undefined;
    let at = 0;
    let directBytes = 0;
    // A resumed start mid-block, a 1 MiB frame, odd sizes, a single block, the rest.
    for (const size of [1000, MiB, 3 * 16384 + 5, 4096, MiB, 2 * MiB]) {
      if (at >= bytes.length) break;
      const chunk = bytes.subarray(at, Math.min(bytes.length, at + size));
      const result = await native.writeDirect!(direct?.fd ?? -1, buffered.fd, pieces(chunk, 16384 + (size % 7)), at);
      assert.equal(result.written, chunk.length, `all of ${chunk.length} bytes at ${at}`);
      directBytes += result.direct;
      at += chunk.length;
    }
    await direct?.close();
    await buffered.close();
    assert.equal(sha(readFileSync(path)), sha(bytes), `direct fd ${withDirect}: the same bytes`);
    if (direct === undefined) assert.equal(directBytes, 0, 'nothing direct without a direct fd');
    // Aligned middles only: each of the 6 writes keeps at most its head and tail block buffered.
    else assert.ok(directBytes >= bytes.length - 6 * 2 * 4096 && directBytes % 4096 === 0, `most bytes went direct (${directBytes})`);
  }
  const file = await open(join(dir, 'f-true'), 'r');
  t.after(() => file.close());
  await assert.rejects(native.writeDirect!(-1, 999_999, [Buffer.alloc(10)], 0), (err: NodeJS.ErrnoException) => err.code === 'EBADF' && /pwrite/.test(err.message));
  assert.throws(() => native.writeDirect!(-1, file.fd, [1 as unknown as Buffer], 0), /Every piece must be a Buffer/);
  assert.throws(() => native.writeDirect!(-1, file.fd, [], -1), /The offset must be an integer/);
});

/** A streamed transfer: begin, data in 1 MiB frames of 16 KiB pieces, end. */
async function stream(applier: ReplicaApplier, bytes: Buffer, token: string, opts: { cutAt?: number; sha256?: string } = {}): Promise<void> {
  const meta = { mode: 0o640, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, mtimeNs: 1_700_000_000_987_654_321n };
  const { offset } = await applier.begin('big.bin', meta, BigInt(bytes.length), token);
  const end = opts.cutAt ?? bytes.length;
  for (let at = Number(offset); at < end; ) {
    const next = Math.min(end, at + MiB - (at % MiB || 0));
    await applier.data(token, BigInt(at), pieces(bytes.subarray(at, next)));
    at = next;
  }
  if (opts.cutAt !== undefined) return applier.closeAll();
  return applier.end(token, opts.sha256 ?? sha(bytes));
}

test('The applier streams through writeDirect on ext4 / xfs, resumes a cut at an unaligned length, and gives the same file without it', async (t) => {
  const bytes = randomBytes(5 * MiB + 4321);
  const calls = { n: 0, direct: 0 };
  const spy: FileTimesPort = {
    ...native,
    writeDirect: async (...args) => {
      calls.n++;
      const result = await native.writeDirect!(...args);
      calls.direct += result.direct;
      return result;
    },
  };
  const { writeDirect: _w, ...older } = native;
  for (const [name, port] of [
    ['addon', spy],
    ['older addon', older as FileTimesPort],
  ] as const) {
    const dir = tempDir(t);
    const token = randomBytes(16).toString('hex');
    // Cut mid-block (the connection closed), then resumed by a new applier (a new connection).
    await stream(new ReplicaApplier(Buffer.from(dir), port), bytes, token, { cutAt: 2 * MiB + 1111 });
    await stream(new ReplicaApplier(Buffer.from(dir), port), bytes, token);
    const installed = readFileSync(join(dir, 'big.bin'));
    assert.equal(sha(installed), sha(bytes), `${name}: the file, byte for byte`);
    assert.deepEqual(await leftoverTemporaries(dir), [], name);
  }
  const dir = tempDir(t);
  if (journalled(dir)) {
    assert.ok(calls.n >= 6, `every data frame went through writeDirect (${calls.n})`);
    assert.ok(calls.direct >= 5 * MiB - 3 * 4096, `the aligned bytes went O_DIRECT (${calls.direct})`);
  } else {
    t.diagnostic(`${dir} is not ext4 / xfs: the page cache is used there`);
    assert.equal(calls.n, 0, 'not ext4 / xfs: no direct writes');
  }
});

test('A streamed file written direct whose hash differs is refused (EBADMSG) and nothing is installed', async (t) => {
  const dir = tempDir(t);
  const bytes = randomBytes(3 * MiB + 10);
  const applier = new ReplicaApplier(Buffer.from(dir), native);
  await assert.rejects(stream(applier, bytes, randomBytes(16).toString('hex'), { sha256: sha(Buffer.from('other')) }), (err: NodeJS.ErrnoException) => err.code === 'EBADMSG');
  assert.throws(() => readFileSync(join(dir, 'big.bin')), /ENOENT/);
  assert.deepEqual(await leftoverTemporaries(dir), []);
});

const isRoot = process.getuid?.() === 0;

test('A full ext4 under direct writes: ENOSPC fails the file with its space given back and nothing installed; a file that fits then goes direct', { skip: !isRoot && 'mounting an ext4 image needs root' }, async (t) => {
  const work = mkdtempSync(join(tmpdir(), 'hs-direct-ext4-'));
  const image = join(work, 'ext4.img');
  const mnt = join(work, 'mnt');
  mkdirSync(mnt);
  execFileSync('truncate', ['-s', '16M', image]);
  execFileSync('mkfs.ext4', ['-q', '-F', image]);
  execFileSync('mount', ['-o', 'loop', image, mnt]);
  // Unmounted before the directory holding it is removed (one hook: their order is this one's).
  t.after(() => {
    execFileSync('umount', [mnt]);
    rmSync(work, { recursive: true, force: true });
  });
  const root = join(mnt, 'replica');
  mkdirSync(root);
  let direct = 0;
  const spy: FileTimesPort = {
    ...native,
    writeDirect: async (...args) => {
      const result = await native.writeDirect!(...args);
      direct += result.direct;
      return result;
    },
  };
  const applier = new ReplicaApplier(Buffer.from(root), spy);
  const free0 = statfsSync(mnt).bavail;
  await assert.rejects(stream(applier, randomBytes(24 * MiB), randomBytes(16).toString('hex')), (err: NodeJS.ErrnoException) => err.code === 'ENOSPC');
  assert.ok(direct > 0, 'it was writing direct when the disk filled');
  assert.deepEqual(readdirSync(root), [], 'nothing installed, no partial left');
  assert.ok(statfsSync(mnt).bavail >= free0 - 16, 'the space is given back');
  direct = 0;
  const fits = randomBytes(4 * MiB + 99);
  await stream(applier, fits, randomBytes(16).toString('hex'));
  assert.equal(sha(readFileSync(join(root, 'big.bin'))), sha(fits));
  assert.equal(statSync(join(root, 'big.bin')).mode & 0o7777, 0o640);
  assert.ok(direct >= 4 * MiB - 4096, `the file that fits went direct (${direct})`);
});
