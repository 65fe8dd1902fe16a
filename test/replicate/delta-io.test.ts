/**
 * The delta file work (native/delta-io.cc, src/replicate/delta-io.ts): the addon's block sums
 * are computeSums()'s bytes, its whole-file hash (the source's) node's; a range copied kernel-side (copy_file_range) and through
 * the read/write fallback gives the same file; the applier uses them when the addon has them and
 * node:fs when it does not, with the same result; and whatever a copy wrote is covered by the
 * whole-file check: a basis changed after its sums, or a copy that wrote the wrong bytes, is
 * refused (EBADMSG) and never installed.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadNative } from '../../src/net/native.js';
import { DeltaEncoder } from '../../src/replicate/delta-encoder.js';
import { encodeOps, type DeltaOp } from '../../src/replicate/delta-ops.js';
import { computeSums, SignatureBuilder } from '../../src/replicate/delta-signature.js';
import { ReplicaApplier, type FileTimesPort } from '../../src/replicate/replica-applier.js';
import { leftoverTemporaries } from './support/tree-compare.js';

const MiB = 1024 * 1024;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const native = loadNative();

function tempDir(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'hs-delta-io-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** The addon as an older build had it: no delta calls (the applier goes through node:fs). */
function withoutDeltaCalls(): FileTimesPort {
  const { blockSums: _sums, copyFileRange: _copy, ...older } = native;
  return older;
}

test('blockSums() gives computeSums() bytes, for a page in the middle too; a basis shorter than its size is a RangeError', async (t) => {
  const dir = tempDir(t);
  const bytes = randomBytes(3 * MiB + 777);
  writeFileSync(join(dir, 'basis'), bytes);
  const file = await open(join(dir, 'basis'), 'r');
  t.after(() => file.close());
  const read = async (buffer: Buffer, position: number) => (await file.read(buffer, 0, buffer.length, position)).bytesRead;
  for (const blockSize of [1000, 1776, 128 * 1024]) {
    const count = Math.ceil(bytes.length / blockSize);
    assert.deepEqual(await native.blockSums!(file.fd, bytes.length, blockSize, 0, count), await computeSums(read, bytes.length, blockSize, 0, count), `block size ${blockSize}`);
    assert.deepEqual(await native.blockSums!(file.fd, bytes.length, blockSize, 3, count - 5), await computeSums(read, bytes.length, blockSize, 3, count - 5), `block size ${blockSize}, from block 3`);
  }
  await assert.rejects(native.blockSums!(file.fd, bytes.length + 5000, 1776, 0, Math.ceil((bytes.length + 5000) / 1776)), (err: Error) => err instanceof RangeError && /The basis ended at 3146505 of/.test(err.message));
  assert.throws(() => native.blockSums!(file.fd, bytes.length, 0, 0, 1), /Block size 0 is out of range/);
  assert.throws(() => native.blockSums!(file.fd, bytes.length, 1776, 1700, 100), /the basis has 1772/);
});

test('copyFileRange() copies the same bytes kernel-side and through read/write, stops at the input end, and names a failed call', async (t) => {
  const dir = tempDir(t);
  const bytes = randomBytes(3 * MiB + 5);
  writeFileSync(join(dir, 'in'), bytes);
  const input = await open(join(dir, 'in'), 'r');
  t.after(() => input.close());
  for (const kernel of [true, false]) {
    const output = await open(join(dir, `out-${kernel}`), 'w+');
    const result = await native.copyFileRange!(input.fd, 1000, output.fd, 10, 2 * MiB + 3, kernel);
    await output.close();
    assert.deepEqual(result, { copied: 2 * MiB + 3, kernel }, `kernel ${kernel}: all copied, the path it took`);
    assert.ok(readFileSync(join(dir, `out-${kernel}`)).subarray(10).equals(bytes.subarray(1000, 1000 + 2 * MiB + 3)), `kernel ${kernel}: the same bytes`);
    const tail = await open(join(dir, `tail-${kernel}`), 'w+');
    assert.equal((await native.copyFileRange!(input.fd, bytes.length - 5, tail.fd, 0, 100, kernel)).copied, 5, `kernel ${kernel}: fewer at the input's end`);
    await tail.close();
  }
  await assert.rejects(native.copyFileRange!(input.fd, 0, 999_999, 0, 10), (err: NodeJS.ErrnoException) => err.code === 'EBADF' && /copy_file_range/.test(err.message));
  await assert.rejects(native.copyFileRange!(input.fd, 0, 999_999, 0, 10, false), (err: NodeJS.ErrnoException) => err.code === 'EBADF' && /write/.test(err.message));
  assert.throws(() => native.copyFileRange!(input.fd, -1, input.fd, 0, 10), /The input offset must be a non-negative integer/);
});

test('sha256File() is the SHA-256 of the range, read in the thread pool; a file that ends early is a RangeError', async (t) => {
  const dir = tempDir(t);
  const bytes = randomBytes(2 * MiB + 99);
  writeFileSync(join(dir, 'f'), bytes);
  const file = await open(join(dir, 'f'), 'r');
  t.after(() => file.close());
  assert.equal(await native.sha256File!(file.fd, 0, bytes.length), sha(bytes));
  assert.equal(await native.sha256File!(file.fd, 1000, MiB), sha(bytes.subarray(1000, 1000 + MiB)));
  assert.equal(await native.sha256File!(file.fd, 5, 0), sha(Buffer.alloc(0)));
  await assert.rejects(native.sha256File!(file.fd, 0, bytes.length + 1), (err: Error) => err instanceof RangeError && err.message === `The file ended at ${bytes.length} of ${bytes.length + 1} bytes`);
});

/** A basis, its edited version and the delta operations between them. */
async function deltaCase(dir: string) {
  const basis = randomBytes(6 * MiB + 123);
  const edited = Buffer.concat([basis.subarray(0, 2 * MiB), Buffer.from('inserted'), basis.subarray(2 * MiB, 4 * MiB), randomBytes(5000), basis.subarray(4 * MiB + 5000)]);
  writeFileSync(join(dir, 'f.bin'), basis);
  return { basis, edited };
}

/** begin → sums → (between) → patch → end on `port`; the end's outcome. */
async function applyDelta(dir: string, port: FileTimesPort, edited: Buffer, between: () => Promise<void> = async () => {}) {
  const applier = new ReplicaApplier(Buffer.from(dir), port);
  const meta = { mode: 0o644, uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, mtimeNs: 1_700_000_000_123_456_789n };
  const token = randomBytes(16).toString('hex');
  const { basis } = await applier.begin('f.bin', meta, BigInt(edited.length), token, true);
  assert.ok(basis !== undefined, 'the replica offers its copy as the basis');
  const count = Math.ceil(basis.size / basis.blockSize);
  const builder = new SignatureBuilder(basis.size, basis.blockSize);
  builder.add(await applier.sums(token, 0, count));
  const encoder = new DeltaEncoder(builder.build(), async (buffer, position) => {
    const n = Math.max(0, Math.min(buffer.length, edited.length - position));
    edited.copy(buffer, 0, position, position + n);
    return n;
  });
  const ops: DeltaOp[] = [];
  for await (const op of encoder.ops()) ops.push(op);
  assert.ok(encoder.copiedBytes > 5 * MiB, 'most of the file goes as copies');
  await between();
  let at = 0n;
  for (let i = 0; i < ops.length; i += 3) {
    const batch = ops.slice(i, i + 3);
    await applier.patch(token, at, encodeOps(batch));
    at += BigInt(batch.reduce((n, op) => n + (op.kind === 'literal' ? op.bytes.length : op.length), 0));
  }
  return applier.end(token, encoder.digest());
}

test('The applier copies through the addon when it has the delta calls and through node:fs when not, with the same file', async (t) => {
  const calls = { sums: 0, copies: 0, kernel: 0 };
  const spy: FileTimesPort = {
    ...withoutDeltaCalls(),
    blockSums: (...args) => {
      calls.sums++;
      return native.blockSums!(...args);
    },
    copyFileRange: async (...args) => {
      calls.copies++;
      const result = await native.copyFileRange!(...args);
      if (result.kernel) calls.kernel++;
      return result;
    },
  };
  for (const [name, port] of [
    ['addon', spy],
    ['node:fs', withoutDeltaCalls()],
  ] as const) {
    const dir = tempDir(t);
    const { edited } = await deltaCase(dir);
    await applyDelta(dir, port, edited);
    assert.equal(sha(readFileSync(join(dir, 'f.bin'))), sha(edited), `${name}: the new version, byte for byte`);
    assert.deepEqual(await leftoverTemporaries(dir), [], name);
  }
  assert.ok(calls.sums >= 1, 'the sums came from the addon');
  assert.ok(calls.copies >= 3 && calls.kernel === calls.copies, `every copy went kernel-side (${calls.kernel} of ${calls.copies})`);
});

test('A basis overwritten between its sums and the patch is refused (EBADMSG) on either path; the replica keeps its file', async (t) => {
  for (const [name, port] of [
    ['addon', native],
    ['node:fs', withoutDeltaCalls()],
  ] as const) {
    const dir = tempDir(t);
    const { basis, edited } = await deltaCase(dir);
    // Same size, same inode: only the content tells (a local write on the replica).
    let overwritten: Buffer | undefined;
    const overwrite = async () => {
      const handle = await open(join(dir, 'f.bin'), 'r+');
      await handle.write(randomBytes(64 * 1024), 0, 64 * 1024, 3 * MiB);
      await handle.close();
      overwritten = readFileSync(join(dir, 'f.bin'));
    };
    await assert.rejects(applyDelta(dir, port, edited, overwrite), (err: NodeJS.ErrnoException) => err.code === 'EBADMSG' && /content hash differs/.test(err.message), name);
    assert.notEqual(sha(overwritten!), sha(basis), `${name}: the basis was overwritten`);
    assert.equal(sha(readFileSync(join(dir, 'f.bin'))), sha(overwritten!), `${name}: no other file installed over it`);
    assert.deepEqual(await leftoverTemporaries(dir), [], name);
  }
});

test('A copy that wrote other bytes than the basis block the sums vouched for is caught by the whole-file check', async (t) => {
  const dir = tempDir(t);
  const { basis, edited } = await deltaCase(dir);
  // A kernel copy that went wrong (or a false block match): one copy takes its bytes 1 KiB off.
  let first = true;
  const wrong: FileTimesPort = {
    ...native,
    copyFileRange: (inFd, inOffset, outFd, outOffset, length, kernel) => {
      const shifted = first && inOffset + 1024 + length <= basis.length;
      if (shifted) first = false;
      return native.copyFileRange!(inFd, shifted ? inOffset + 1024 : inOffset, outFd, outOffset, length, kernel);
    },
  };
  await assert.rejects(applyDelta(dir, wrong, edited), (err: NodeJS.ErrnoException) => err.code === 'EBADMSG');
  assert.equal(first, false, 'a copy was made wrong');
  assert.equal(sha(readFileSync(join(dir, 'f.bin'))), sha(basis), 'the replica keeps its version');
  assert.deepEqual(await leftoverTemporaries(dir), []);
});
