/**
 * An attributes-only change (chmod, chown, setxattr of a file or directory that stays where it
 * is) is durable on the replica before it is acknowledged, like contents and links: the inode
 * itself is fsynced after the change and the request resolves only once that fsync completed.
 * The fsync is observed through the applier's port (`fsyncPath`), held open by a gate, so the
 * test sees whether the acknowledgement waits for it.
 */
import assert from 'node:assert/strict';
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { waitFor } from '../../src/lab/wait-for.js';
import { loadNative } from '../../src/net/native.js';
import { fsyncPath } from '../../src/replicate/dir-sync.js';
import { ReplicaApplier, type FileMeta } from '../../src/replicate/replica-applier.js';
import { readXattrList } from '../../src/replicate/xattrs.js';
import { loopbackPair } from './support/loopback-pair.js';

const native = loadNative();
const isRoot = process.getuid?.() === 0;

interface Recorded {
  path: string;
  /** The inode's state when its fsync started. */
  mode: number;
  uid: number;
  xattr?: string;
}

/** An applier over a fresh replica whose fsyncs are recorded, those of `held` paths kept waiting until release(). */
function recordingApplier(t: { after: (fn: () => void) => void }) {
  const root = mkdtempSync(join(tmpdir(), 'hs-attrs-'));
  t.after(() => rmSync(root, { recursive: true, force: true }));
  const calls: Recorded[] = [];
  const held = new Set<string>();
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  const port = {
    ...native,
    fsyncPath: async (path: Buffer) => {
      const st = lstatSync(path);
      const xattr = readXattrList(native, path, { xattrs: true, acls: false }).find(([name]) => name === 'user.tag')?.[1].toString();
      calls.push({ path: path.toString(), mode: st.mode & 0o7777, uid: st.uid, ...(xattr !== undefined && { xattr }) });
      if (held.has(path.toString())) await gate;
      await fsyncPath(path);
    },
  };
  const applier = new ReplicaApplier(Buffer.from(root), port);
  return { root, applier, calls, held, release };
}

/** The replica's current metadata of `full` as the source would send it. */
function metaOf(full: string): { meta: FileMeta; size: bigint } {
  const st = lstatSync(full, { bigint: true });
  return { meta: { mode: Number(st.mode & 0o7777n), uid: Number(st.uid), gid: Number(st.gid), mtimeNs: st.mtimeNs }, size: st.size };
}

/**
 * Runs `change` (an applier request) with fsyncs of `full` held: it must start an fsync of `full`
 * that sees `expect`, and must not resolve before that fsync is let through.
 */
async function assertAckAfterFsync(rig: ReturnType<typeof recordingApplier>, full: string, expect: (call: Recorded) => boolean, change: () => Promise<void>) {
  rig.held.add(full);
  let acknowledged = false;
  const done = change().then(() => {
    acknowledged = true;
  });
  await waitFor(() => acknowledged || rig.calls.some((call) => call.path === full && expect(call)), { description: `an fsync of ${full} after the change`, timeoutMs: 20_000, intervalMs: 5 });
  assert.equal(acknowledged, false, `the change of ${full} was acknowledged before its fsync completed`);
  assert.ok(rig.calls.some((call) => call.path === full && expect(call)), `an fsync of ${full} started after the change`);
  // Held a little longer: an acknowledgement that did not wait for the fsync would show now.
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(acknowledged, false, `the change of ${full} was acknowledged before its fsync completed`);
  rig.release();
  await done;
}

test('chmod of a file (a `link` to itself) is acknowledged only after the file is fsynced with its new mode', async (t) => {
  const rig = recordingApplier(t);
  await rig.applier.putWhole('f', { mode: 0o644, uid: process.getuid!(), gid: process.getgid!(), mtimeNs: 1_700_000_000_123_456_789n }, Buffer.from('content'));
  const full = join(rig.root, 'f');
  const { meta, size } = metaOf(full);
  await assertAckAfterFsync(rig, full, (call) => call.mode === 0o600, () => rig.applier.link('f', 'f', { ...meta, mode: 0o600 }, size));
  assert.equal(lstatSync(full).mode & 0o7777, 0o600);
});

test('chown of a file is acknowledged only after the file is fsynced with its new owner', { skip: !isRoot && 'chown needs root' }, async (t) => {
  const rig = recordingApplier(t);
  await rig.applier.putWhole('f', { mode: 0o644, uid: 0, gid: 0, mtimeNs: 1_700_000_000_000_000_000n }, Buffer.from('content'));
  const full = join(rig.root, 'f');
  const { meta, size } = metaOf(full);
  await assertAckAfterFsync(rig, full, (call) => call.uid === 4242, () => rig.applier.link('f', 'f', { ...meta, uid: 4242, gid: 4242 }, size));
  assert.equal(lstatSync(full).uid, 4242);
});

test('setxattr of a file is acknowledged only after the file is fsynced with the new attribute', async (t) => {
  const rig = recordingApplier(t);
  await rig.applier.putWhole('f', { mode: 0o644, uid: process.getuid!(), gid: process.getgid!(), mtimeNs: 1_700_000_000_000_000_000n }, Buffer.from('content'));
  const full = join(rig.root, 'f');
  try {
    native.setXattr(Buffer.from(full), 'user.probe', Buffer.from('1'));
    native.removeXattr(Buffer.from(full), 'user.probe');
  } catch {
    return t.skip('this filesystem has no user.* attributes');
  }
  rig.applier.setXattrSelection({ xattrs: true, acls: false });
  const { meta, size } = metaOf(full);
  await assertAckAfterFsync(rig, full, (call) => call.xattr === 'v2', () => rig.applier.link('f', 'f', { ...meta, xattrs: [['user.tag', Buffer.from('v2')]] }, size));
});

test('chmod of an existing directory is acknowledged only after the directory is fsynced; an unchanged one costs no fsync', async (t) => {
  const rig = recordingApplier(t);
  const meta = { mode: 0o755, uid: process.getuid!(), gid: process.getgid!(), mtimeNs: 0n };
  await rig.applier.mkdir('d', meta);
  const full = join(rig.root, 'd');
  await assertAckAfterFsync(rig, full, (call) => call.mode === 0o750, () => rig.applier.mkdir('d', { ...meta, mode: 0o750 }));
  assert.equal(lstatSync(full).mode & 0o7777, 0o750);
  const before = rig.calls.length;
  await rig.applier.mkdir('d', { ...meta, mode: 0o750 });
  assert.equal(rig.calls.length, before, 'nothing changed, nothing to fsync');
});

test('a new directory is fsynced with its final mode (set after mkdir) and its parent, before it is acknowledged', async (t) => {
  const rig = recordingApplier(t);
  const full = join(rig.root, 'new');
  await assertAckAfterFsync(rig, full, (call) => call.mode === 0o2755, () => rig.applier.mkdir('new', { mode: 0o2755, uid: process.getuid!(), gid: process.getgid!(), mtimeNs: 0n }));
  assert.ok(rig.calls.some((call) => call.path === rig.root), 'the parent (its new entry) was fsynced');
});

test('chmod and chown on the master: the replica fsyncs what changed (loopback, real sockets)', async (t) => {
  const fsyncs: Recorded[] = [];
  const pair = await loopbackPair(t, {
    setup: (source) => {
      writeFileSync(join(source, 'file'), 'x');
      mkdirSync(join(source, 'dir'));
    },
    replicaNative: (n) => ({
      ...n,
      fsyncPath: async (path: Buffer) => {
        const st = lstatSync(path);
        fsyncs.push({ path: path.toString(), mode: st.mode & 0o7777, uid: st.uid });
        await fsyncPath(path);
      },
    }),
  });
  await pair.converged('first copy');
  chmodSync(join(pair.source, 'file'), 0o604);
  chmodSync(join(pair.source, 'dir'), 0o711);
  if (isRoot) chownSync(join(pair.source, 'file'), 4343, 4343);
  await pair.converged('the attribute changes replicated');
  const file = join(pair.replica, 'file');
  const dir = join(pair.replica, 'dir');
  assert.ok(fsyncs.some((call) => call.path === file && call.mode === 0o604 && (!isRoot || call.uid === 4343)), `the replica's file was fsynced in its new state: ${JSON.stringify(fsyncs.filter((c) => c.path === file))}`);
  assert.ok(fsyncs.some((call) => call.path === dir && call.mode === 0o711), `the replica's directory was fsynced with its new mode: ${JSON.stringify(fsyncs.filter((c) => c.path === dir))}`);
});
