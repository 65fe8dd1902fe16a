/**
 * Hard links through the whole pipeline (loopback TLS-PSK): names of one file on the source are
 * one file on the replica (same inode, same link count), through creation, content changes
 * through one name, removal and rename of a name, a restart's full rescan, and link counts that
 * change while a rescan runs. Renames stay renames (no content sent).
 */
import assert from 'node:assert/strict';
import { appendFileSync, chmodSync, linkSync, mkdirSync, mkdtempSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { waitFor } from '../../src/lab/wait-for.js';
import { loopbackPair } from './support/loopback-pair.js';
import { leftoverTemporaries } from './support/tree-compare.js';

const ino = (path: string | Buffer) => statSync(path).ino;
const nlink = (path: string | Buffer) => statSync(path).nlink;

test('An existing tree with hard links is copied as one file per inode; a link to a file outside the tree does not count', async (t) => {
  const outside = mkdtempSync(join(tmpdir(), 'hs-links-outside-'));
  t.after(() => rmSync(outside, { recursive: true, force: true }));
  const { replica, converged, replicator } = await loopbackPair(t, {
    setup: (source) => {
      mkdirSync(join(source, 'a'));
      mkdirSync(join(source, 'b'));
      writeFileSync(join(source, 'a', 'f'), 'shared content');
      linkSync(join(source, 'a', 'f'), join(source, 'b', 'g'));
      linkSync(join(source, 'a', 'f'), join(source, 'c'));
      writeFileSync(join(outside, 'x'), 'linked from outside');
      linkSync(join(outside, 'x'), join(source, 'y'));
      writeFileSync(join(source, 'big'), Buffer.alloc(2 * 1024 * 1024 + 5, 7));
      linkSync(join(source, 'big'), join(source, 'a', 'big2'));
    },
  });
  await converged('the initial copy');
  assert.equal(ino(join(replica, 'a', 'f')), ino(join(replica, 'b', 'g')));
  assert.equal(ino(join(replica, 'a', 'f')), ino(join(replica, 'c')));
  assert.equal(nlink(join(replica, 'c')), 3);
  assert.equal(nlink(join(replica, 'y')), 1, 'the outside link is not part of the tree');
  assert.equal(ino(join(replica, 'big')), ino(join(replica, 'a', 'big2')));
  // Each linked file's content crossed once: 14 + 19 + 2 MiB + 5 bytes.
  assert.equal(replicator.status().sentBytes, 14 + 19 + 2 * 1024 * 1024 + 5);
  assert.deepEqual(await leftoverTemporaries(replica), []);
});

test('Live link changes: a new link sends no content, a write through one name reaches all, removing and renaming a name', async (t) => {
  const { source, replica, converged, replicator, replicaEvents } = await loopbackPair(t);
  await converged('empty trees');
  mkdirSync(join(source, 'd'));
  writeFileSync(join(source, 'd', 'one'), Buffer.alloc(100_000, 1));
  await converged('a file');
  const before = replicator.status().sentBytes;
  linkSync(join(source, 'd', 'one'), join(source, 'two'));
  await converged('a new link');
  assert.equal(ino(join(replica, 'd', 'one')), ino(join(replica, 'two')));
  assert.equal(replicator.status().sentBytes, before, 'a link sends no content');

  appendFileSync(join(source, 'two'), 'more'); // in place: both names see it
  await converged('a write through one name');
  assert.equal(ino(join(replica, 'd', 'one')), ino(join(replica, 'two')));
  assert.equal(statSync(join(replica, 'd', 'one')).size, 100_004);

  chmodSync(join(source, 'd', 'one'), 0o604);
  await converged('a chmod through one name');
  assert.equal(statSync(join(replica, 'two')).mode & 0o777, 0o604);

  linkSync(join(source, 'two'), join(source, 'd', 'three'));
  await converged('a third name');
  const sent = replicator.status().sentBytes;
  const inode = ino(join(replica, 'd', 'three'));
  renameSync(join(source, 'd', 'three'), join(source, 'renamed'));
  await converged('a rename of one name');
  assert.equal(ino(join(replica, 'renamed')), inode, 'renamed on the replica, not copied');
  assert.equal(replicator.status().sentBytes, sent, 'a rename sends no content');

  unlinkSync(join(source, 'two'));
  await converged('a name removed');
  assert.equal(nlink(join(replica, 'renamed')), 2);
  assert.deepEqual(replicaEvents.filter((e) => e.kind === 'apply-failed'), []);
});

test('Names with any bytes can be links of one another', async (t) => {
  const { source, replica, converged } = await loopbackPair(t);
  await converged('empty trees');
  const at = (name: Buffer) => Buffer.concat([Buffer.from(`${source}/`), name]);
  const names = [Buffer.from([0xff, 0xfe]), Buffer.from('line\nbreak'), Buffer.from([0x63, 0x61, 0x66, 0xc3])];
  writeFileSync(at(names[0]!), 'bytes');
  for (const name of names.slice(1)) linkSync(at(names[0]!), at(name));
  await converged('byte-named links');
  const inodes = names.map((name) => ino(Buffer.concat([Buffer.from(`${replica}/`), name])));
  assert.equal(new Set(inodes).size, 1);
});

test('A restart with an unchanged tree sends nothing; a link structure changed while stopped is found by the rescan', async (t) => {
  const { source, replica, converged, restartSource, sourceEvents } = await loopbackPair(t, {
    setup: (source) => {
      for (let i = 0; i < 20; i++) {
        mkdirSync(join(source, `dir${i}`));
        writeFileSync(join(source, `dir${i}`, 'f'), `file ${i}`);
        if (i > 0) linkSync(join(source, `dir${i - 1}`, 'f'), join(source, `dir${i}`, 'prev'));
      }
    },
  });
  await converged('the initial copy');
  const rescans = () => sourceEvents.filter((e) => e.kind === 'rescan-done' && e.path === '');
  const seen = rescans().length;
  await restartSource();
  await waitFor(() => rescans().length > seen, { description: 'the full rescan after the restart' });
  const first = rescans()[seen]!;
  assert.equal(first.kind === 'rescan-done' && first.sent, 0, 'equal digests: nothing sent');

  // Changed while no source ran: one link replaced by a copy, one new link, one removed.
  await restartSource(); // (a fresh source, so the next changes are found by its rescan only)
  const copy = join(source, 'dir5', 'prev');
  unlinkSync(copy);
  writeFileSync(copy, 'file 4'); // same content, no longer the same file
  linkSync(join(source, 'dir9', 'f'), join(source, 'dir3', 'extra'));
  unlinkSync(join(source, 'dir12', 'prev'));
  await restartSource();
  await converged('the rescan after the changes');
  assert.notEqual(ino(join(replica, 'dir5', 'prev')), ino(join(replica, 'dir4', 'f')));
  assert.equal(ino(join(replica, 'dir3', 'extra')), ino(join(replica, 'dir9', 'f')));
});

test('Link counts changing while a rescan runs still converge to the same structure', async (t) => {
  const { source, replica, converged } = await loopbackPair(t, {
    setup: (source) => {
      for (let i = 0; i < 300; i++) writeFileSync(join(source, `f${i}`), `content ${i}`);
    },
  });
  // While the initial rescan runs: links come and go, and one name moves between files.
  for (let round = 0; round < 10; round++) {
    for (let i = 0; i < 300; i += 7) {
      const name = join(source, `l${i}`);
      rmSync(name, { force: true });
      linkSync(join(source, `f${(i + round) % 300}`), name);
    }
    for (let i = 0; i < 300; i += 21) rmSync(join(source, `l${i}`), { force: true });
    await new Promise((resolve) => setImmediate(resolve));
  }
  await converged('after the link churn');
  assert.equal(ino(join(replica, 'l7')), ino(join(replica, `f${(7 + 9) % 300}`)));
  assert.deepEqual(await leftoverTemporaries(replica), []);
});

test('A source stopped in the middle of the first copy and started again converges to the same links and attributes', async (t) => {
  const { loadNative } = await import('../../src/net/native.js');
  const { encodeXattrList, readXattrList } = await import('../../src/replicate/xattrs.js');
  const native = loadNative();
  const all = { xattrs: true, acls: true };
  const { replica, converged, restartSource } = await loopbackPair(t, {
    xattrs: all,
    compareXattrs: (full) => encodeXattrList(readXattrList(native, full, all)).toString('hex'),
    setup: (source) => {
      for (let d = 0; d < 10; d++) {
        mkdirSync(join(source, `d${d}`));
        for (let i = 0; i < 60; i++) {
          const file = join(source, `d${d}`, `f${i}`);
          writeFileSync(file, `file ${d}/${i}`.repeat(50));
          if (i % 3 === 0) native.setXattr(Buffer.from(file), 'user.n', Buffer.from(String(i)));
          if (d > 0 && i % 4 === 0) linkSync(join(source, `d${d - 1}`, `f${i}`), join(source, `d${d}`, `l${i}`));
        }
      }
      writeFileSync(join(source, 'large'), Buffer.alloc(6 * 1024 * 1024, 5));
      linkSync(join(source, 'large'), join(source, 'd9', 'large-link'));
    },
  });
  const { readdirSync } = await import('node:fs');
  await waitFor(() => readdirSync(replica).length >= 3, { description: 'the first copy under way', intervalMs: 5 });
  await restartSource();
  await converged('the copy after the restart');
  assert.equal(ino(join(replica, 'large')), ino(join(replica, 'd9', 'large-link')));
  assert.deepEqual(await leftoverTemporaries(replica), []);
});
