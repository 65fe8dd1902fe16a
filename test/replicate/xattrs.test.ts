/**
 * Extended attributes and POSIX ACLs (the `xattrs` / `acls` option) through the whole pipeline:
 * set, changed alone (no content sent), removed; ACLs as the kernel's xattr bytes (acl(5));
 * a replica filesystem that refuses them is an event, and files still replicate.
 */
import assert from 'node:assert/strict';
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { waitFor } from '../../src/lab/wait-for.js';
import { loadNative } from '../../src/net/native.js';
import { ACL_ACCESS, ACL_DEFAULT, applyXattrList, encodePosixAcl, encodeXattrList, isSelected, readXattrList, xattrsFromWire, xattrsToWire } from '../../src/replicate/xattrs.js';
import { loopbackPair } from './support/loopback-pair.js';

const native = loadNative();
const b = (path: string) => Buffer.from(path);
const all = { xattrs: true, acls: true };
const describeXattrs = (full: Buffer) => encodeXattrList(readXattrList(native, full, all)).toString('hex');
// u::rw-, u:1234:rw-, g::r--, m::rw-, o::r-- (acl(5) tags, sorted by tag then id as the kernel wants).
const ACL = encodePosixAcl([{ tag: 1, perm: 6 }, { tag: 2, perm: 6, id: 1234 }, { tag: 4, perm: 4 }, { tag: 0x10, perm: 6 }, { tag: 0x20, perm: 4 }]);
const DEFAULT_ACL = encodePosixAcl([{ tag: 1, perm: 7 }, { tag: 4, perm: 5 }, { tag: 8, perm: 7, id: 4321 }, { tag: 0x10, perm: 7 }, { tag: 0x20, perm: 5 }]);

test('isSelected(): ACL names with acls, user.* and security.* with xattrs, trusted.* only as root, other system.* never', () => {
  assert.equal(isSelected(ACL_ACCESS, { xattrs: false, acls: true }, false), true);
  assert.equal(isSelected(ACL_ACCESS, { xattrs: true, acls: false }, true), false);
  assert.equal(isSelected('user.x', { xattrs: true, acls: false }, false), true);
  assert.equal(isSelected('security.selinux', { xattrs: true, acls: false }, false), true);
  assert.equal(isSelected('trusted.x', { xattrs: true, acls: false }, false), false);
  assert.equal(isSelected('trusted.x', { xattrs: true, acls: false }, true), true);
  assert.equal(isSelected('system.nfs4_acl', all, true), false);
  assert.equal(isSelected('user.x', { xattrs: false, acls: true }, true), false);
});

test('xattrsFromWire() round-trips and rejects malformed lists with a TypeError', () => {
  const list = [['user.a', Buffer.from([0, 1, 255])], ['user.b', Buffer.alloc(0)]] as const;
  assert.deepEqual(xattrsFromWire(xattrsToWire(list)), list.map(([n, v]) => [n, v]));
  for (const bad of [{}, [['user.a']], [[1, 'AA==']], [['', 'AA==']], [['noDot', 'AA==']], [['user.\0', 'AA==']]]) {
    assert.throws(() => xattrsFromWire(bad), TypeError, JSON.stringify(bad));
  }
});

test('applyXattrList() sets what differs and removes selected names the source lacks, leaving others', async (t) => {
  const { source } = await loopbackPair(t);
  const file = b(join(source, 'f'));
  writeFileSync(file, 'x');
  native.setXattr(file, 'user.old', Buffer.from('1'));
  native.setXattr(file, 'user.keep', Buffer.from('2'));
  applyXattrList(native, file, [['user.keep', Buffer.from('2')], ['user.new', Buffer.from('3')]], { xattrs: true, acls: false });
  assert.deepEqual(readXattrList(native, file, all).map(([n, v]) => `${n}=${v.toString()}`), ['user.keep=2', 'user.new=3']);
  applyXattrList(native, file, [], { xattrs: false, acls: true });
  assert.equal(readXattrList(native, file, all).length, 2, 'names not selected are left alone');
});

test('user.* attributes and ACLs replicate with files and directories; a change of attributes alone sends no content', async (t) => {
  const big = Buffer.alloc(2 * 1024 * 1024, 3);
  const { source, replica, converged, replicator, replicaEvents, sourceEvents } = await loopbackPair(t, {
    xattrs: all,
    compareXattrs: describeXattrs,
    setup: (dir) => {
      mkdirSync(join(dir, 'd'));
      writeFileSync(join(dir, 'd', 'small'), 'small');
      writeFileSync(join(dir, 'big'), big);
      native.setXattr(b(join(dir, 'd', 'small')), 'user.mime_type', Buffer.from('text/plain'));
      native.setXattr(b(join(dir, 'big')), 'user.binary', Buffer.from([0, 1, 2, 255]));
      native.setXattr(b(join(dir, 'd')), 'user.dir', Buffer.from('yes'));
      native.setXattr(b(join(dir, 'd', 'small')), ACL_ACCESS, ACL);
      native.setXattr(b(join(dir, 'd')), ACL_DEFAULT, DEFAULT_ACL);
    },
  });
  await converged('the initial copy with attributes');
  assert.ok(readXattrList(native, b(join(replica, 'd', 'small')), all).some(([n]) => n === ACL_ACCESS));
  assert.equal(statSync(join(replica, 'd', 'small')).mode & 0o070, 0o060, 'the ACL mask is the group bits');

  const sent = replicator.status().sentBytes;
  native.setXattr(b(join(source, 'big')), 'user.binary', Buffer.from('changed'));
  native.setXattr(b(join(source, 'big')), 'user.added', Buffer.from('new'));
  await converged('an attribute changed and one added');
  assert.equal(replicator.status().sentBytes, sent, 'no content sent for an attribute change');

  native.removeXattr(b(join(source, 'd', 'small')), 'user.mime_type');
  native.removeXattr(b(join(source, 'd', 'small')), ACL_ACCESS);
  native.removeXattr(b(join(source, 'd')), ACL_DEFAULT);
  await converged('attributes removed');

  // A new file in the directory with a default ACL inherits it on both sides.
  native.setXattr(b(join(source, 'd')), ACL_DEFAULT, DEFAULT_ACL);
  await converged('the default ACL back');
  writeFileSync(join(source, 'd', 'inherits'), 'inherits');
  await converged('a file inheriting the default ACL');
  assert.deepEqual(replicaEvents.filter((e) => e.kind === 'apply-failed' || e.kind === 'xattrs-unsupported'), []);
  assert.deepEqual(sourceEvents.filter((e) => e.kind === 'send-failed' || e.kind === 'xattrs-unsupported'), []);
});

test('Without the option attributes are not replicated', async (t) => {
  const { replica, converged } = await loopbackPair(t, {
    setup: (dir) => {
      writeFileSync(join(dir, 'f'), 'f');
      native.setXattr(b(join(dir, 'f')), 'user.secret', Buffer.from('1'));
    },
  });
  await converged('the copy');
  assert.deepEqual(readXattrList(native, b(join(replica, 'f')), all), []);
});

test('A replica filesystem that refuses attributes is an event on both sides; files replicate without them and nothing is sent again and again', async (t) => {
  const refuse = () => Object.assign(new Error('lsetxattr: operation not supported (ENOTSUP)'), { code: 'ENOTSUP' });
  const { source, replica, converged, replicaEvents, sourceEvents, replicator } = await loopbackPair(t, {
    xattrs: all,
    replicaNative: (n) => ({ ...n, setXattr: () => { throw refuse(); } }),
    setup: (dir) => {
      writeFileSync(join(dir, 'f'), 'f');
      native.setXattr(b(join(dir, 'f')), 'user.x', Buffer.from('1'));
    },
  });
  await converged('the copy without attributes'); // (contents, modes, times: attributes not compared)
  assert.deepEqual(readXattrList(native, b(join(replica, 'f')), all), []);
  await waitFor(() => replicaEvents.some((e) => e.kind === 'xattrs-unsupported') && sourceEvents.some((e) => e.kind === 'xattrs-unsupported'), { description: 'events on both sides' });
  const message = sourceEvents.find((e) => e.kind === 'xattrs-unsupported');
  assert.match(message?.kind === 'xattrs-unsupported' ? message.message : '', /extended attributes and POSIX ACLs/);
  // Attributes are left out of both sides' digests: a full comparison finds nothing to send.
  writeFileSync(join(source, 'g'), 'g');
  await converged('a later file');
  const rescans = () => sourceEvents.filter((e) => e.kind === 'rescan-done' && e.path === '');
  await waitFor(() => rescans().length >= 1, { description: 'the first full rescan' });
  const sent = replicator.status().sentBytes;
  assert.ok(sent <= 2, `only the two files' bytes were sent (${sent})`);
  assert.deepEqual(replicaEvents.filter((e) => e.kind === 'apply-failed'), []);
});
