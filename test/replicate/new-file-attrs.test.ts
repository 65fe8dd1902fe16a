/**
 * writeNewFile (native/small-files.cc) creates the replica's temporary with its final mode and
 * skips fchown / fchmod when the create already gave owner, group and mode. These are the cases
 * where it must not skip them: a umask that clears bits, set-uid / set-gid bits (never given by
 * the create; chown clears them, so owner before mode), another owner and group, a set-gid parent
 * directory that gives its own group.
 */
import assert from 'node:assert/strict';
import { chmodSync, chownSync, closeSync, lstatSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadNative } from '../../src/net/native.js';

const native = loadNative();
const isRoot = process.getuid?.() === 0;

function scratch(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'hs-newfile-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** writeNewFile with a given umask in force; the fd closed; the file's lstat. */
async function write(path: string, mode: number, uid: number, gid: number, umask = 0o022) {
  const old = process.umask(umask);
  try {
    const fd = await native.writeNewFile(Buffer.from(path), Buffer.from('data'), mode, uid, gid, 1_700_000_000, 5);
    closeSync(fd);
  } finally {
    process.umask(old);
  }
  return lstatSync(path, { bigint: true });
}

const self = () => ({ uid: isRoot ? 0 : -1, gid: process.getgid!() });

test('a umask that clears bits of the mode: the file still gets the whole mode', async (t) => {
  const dir = scratch(t);
  const st = await write(join(dir, 'f'), 0o666, self().uid, self().gid, 0o077);
  assert.equal(Number(st.mode & 0o7777n), 0o666);
  assert.equal(st.mtimeNs, 1_700_000_000_000_000_005n);
});

test('set-uid and set-gid bits of the process\'s own file are set (the create never gives them)', async (t) => {
  const dir = scratch(t);
  const st = await write(join(dir, 'f'), 0o6755, self().uid, self().gid);
  assert.equal(Number(st.mode & 0o7777n), 0o6755);
});

test('another owner and group with set-uid / set-gid: owner and group set, then the mode (chown would clear the bits)', { skip: !isRoot && 'needs root (chown)' }, async (t) => {
  const dir = scratch(t);
  const st = await write(join(dir, 'f'), 0o6750, 1234, 5678);
  assert.equal(Number(st.uid), 1234);
  assert.equal(Number(st.gid), 5678);
  assert.equal(Number(st.mode & 0o7777n), 0o6750);
});

test('a set-gid parent directory gives its group: the file gets the group asked for', { skip: !isRoot && 'needs root (chown)' }, async (t) => {
  const dir = scratch(t);
  const shared = join(dir, 'shared');
  mkdirSync(shared);
  chownSync(shared, 0, 4321);
  chmodSync(shared, 0o2775);
  const st = await write(join(shared, 'f'), 0o640, 0, process.getegid!());
  assert.equal(Number(st.gid), process.getegid!(), 'not the directory\'s group 4321');
  assert.equal(Number(st.uid), 0);
  assert.equal(Number(st.mode & 0o7777n), 0o640);
});
