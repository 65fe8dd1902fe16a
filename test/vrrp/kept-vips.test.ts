import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type CoreEffect, VrrpInstance } from '../../src/vrrp/instance-core.js';
import { KEPT_VIPS_EXTRA_MS, PEER_ACTIVE_GRACE_MS, keepVips, keptVipsReleaseAt, mayKeepVips } from '../../src/vrrp/kept-vips.js';
import { runUntil, types } from './support/core-driver.js';

function master(): VrrpInstance {
  const core = new VrrpInstance({ version: 3, priority: 100, advertIntervalMs: 100, preempt: true, preemptDelayMs: 0, answerLowerPriority: true, primaryAddress: Buffer.from([10, 0, 0, 2]) });
  core.handle(0, { type: 'startup' });
  runUntil(core, 999);
  assert.equal(core.state, 'MASTER');
  return core;
}



const peerMaster = { type: 'advert' as const, advert: { priority: 90, intervalMs: 100, source: Buffer.from([10, 0, 0, 3]), from: '10.0.0.3' } };
const dbDown = { type: 'fault-source' as const, source: 'resources', reason: "resource 'db' monitor failed: PostgreSQL is stopped", serviceDown: true };
/** Longest Master_Down_Interval at 100 ms (v3, priority 1): 3 × 100 + (255/256) × 100 = 399.6 ms. */
const LONGEST_MDI = 3 * 100 + (255 / 256) * 100;

test('policy: kept only when every fault cause is a service certainly down', () => {
  assert.equal(mayKeepVips([]), false);
  assert.equal(mayKeepVips([{ serviceDown: true }]), true);
  assert.equal(mayKeepVips([{ serviceDown: true }, { serviceDown: false }]), false);
  const kept = keepVips(1000, 400);
  assert.equal(keptVipsReleaseAt(kept), 1000 + 400 + KEPT_VIPS_EXTRA_MS, 'nothing heard: the deadline');
  assert.equal(keptVipsReleaseAt({ ...kept, peerMasterAt: 1100 }), kept.deadline, 'MASTER heard but not active yet: still the deadline');
  assert.equal(keptVipsReleaseAt({ ...kept, peerActiveAt: 1100 }), kept.deadline, 'active but not heard as MASTER: still the deadline');
  assert.equal(keptVipsReleaseAt({ ...kept, peerMasterAt: 1100, peerActiveAt: 1300 }), 1300 + PEER_ACTIVE_GRACE_MS);
  assert.equal(keptVipsReleaseAt({ ...kept, peerMasterAt: 1900, peerActiveAt: 1950 }), kept.deadline, 'never past the deadline');
});

test('a master FAULT for a service certainly down keeps its VIPs (priority 0 sent) until the peer is MASTER and active, +100 ms', () => {
  const core = master();
  const effects = types(core.handle(1000, dbDown));
  assert.ok(effects.includes('→FAULT'), effects.join());
  assert.ok(effects.includes('send-advert(0)'), 'the peer is told at once');
  assert.ok(effects.includes('stop-announcing'));
  assert.ok(!effects.includes('remove-vips'), 'the VIPs stay: the kernel refuses the clients at once');
  assert.equal(core.releasePending, true);
  assert.deepEqual(core.keptVips, { since: 1000, releaseAt: 1000 + LONGEST_MDI + KEPT_VIPS_EXTRA_MS, peerMaster: false, peerActive: false });
  assert.deepEqual(types(core.handle(1100, peerMaster)), [], 'MASTER heard, its service not active yet');
  assert.deepEqual(types(core.handle(1200, peerMaster)), [], 'its next advert');
  assert.deepEqual(types(core.handle(1250, { type: 'peer-active' })), []);
  assert.deepEqual(core.keptVips, { since: 1000, releaseAt: 1250 + PEER_ACTIVE_GRACE_MS, peerMaster: true, peerActive: true });
  core.handle(1300, peerMaster);
  core.handle(1310, { type: 'peer-active' });
  assert.deepEqual(core.keptVips, { since: 1000, releaseAt: 1250 + PEER_ACTIVE_GRACE_MS, peerMaster: true, peerActive: true }, 'later adverts and reports do not push the release out');
  assert.deepEqual(runUntil(core, 1349), []);
  assert.deepEqual(types(runUntil(core, 1350)), ['remove-vips']);
  assert.equal(core.keptVips, undefined);
  assert.equal(core.releasePending, false);
  assert.equal(core.state, 'FAULT');
});

test('kept VIPs: the peer active first, heard as MASTER later: released 100 ms after the later of the two', () => {
  const core = master();
  core.handle(1000, dbDown);
  core.handle(1100, { type: 'peer-active' });
  assert.deepEqual(types(core.handle(1300, peerMaster)).filter((e) => e === 'remove-vips'), []);
  assert.deepEqual(types(runUntil(core, 1399)), []);
  assert.deepEqual(types(runUntil(core, 1400)), ['remove-vips']);
  const core2 = master();
  core2.handle(1000, dbDown);
  core2.handle(1100, { type: 'peer-active' });
  core2.handle(1150, peerMaster);
  assert.deepEqual(types(runUntil(core2, 1250)), ['remove-vips']);
});

test('kept VIPs go at the deadline (longest Master_Down_Interval + 600 ms) when no peer takes over', () => {
  const core = master();
  core.handle(1000, dbDown);
  const deadline = 1000 + LONGEST_MDI + KEPT_VIPS_EXTRA_MS;
  assert.deepEqual(types(runUntil(core, deadline - 1)).filter((e) => e === 'remove-vips'), []);
  assert.deepEqual(types(runUntil(core, deadline)).filter((e) => e === 'remove-vips'), ['remove-vips']);
  assert.equal(core.keptVips, undefined);
});

test('every other FAULT cause drops the VIPs at once', () => {
  for (const fault of [
    { type: 'fault-source' as const, source: 'link', reason: 'eth0 is down' },
    { type: 'fault-source' as const, source: 'checks', reason: 'chk_db failed' },
    { type: 'fault-source' as const, source: 'resources', reason: "resource 'db' monitor failed: does not answer", serviceDown: false },
  ]) {
    const core = master();
    assert.ok(types(core.handle(1000, fault)).includes('remove-vips'), fault.reason);
    assert.equal(core.keptVips, undefined);
  }
  // A second cause of another kind while kept: dropped at once too.
  const core = master();
  core.handle(1000, dbDown);
  assert.ok(core.keptVips);
  assert.deepEqual(types(core.handle(1010, { type: 'fault-source', source: 'link', reason: 'eth0 is down' })), ['remove-vips'], 'a second cause of another kind lets go at once');
  const changed = master();
  changed.handle(1000, dbDown);
  assert.deepEqual(types(changed.handle(1010, { ...dbDown, reason: "resource 'db' monitor failed: hung", serviceDown: false })), ['remove-vips'], 'the service no longer certainly down');
});

test('kept VIPs: recovering from the fault lets them go (a backup does not hold VIPs)', () => {
  const core = master();
  core.handle(1000, dbDown);
  const effects = types(core.handle(1050, { type: 'fault-source', source: 'resources', reason: undefined }));
  assert.ok(effects.includes('→BACKUP'), effects.join());
  assert.ok(effects.includes('remove-vips'));
  assert.equal(core.keptVips, undefined);
});

test('a backup going FAULT for a service down holds nothing to keep', () => {
  const core = new VrrpInstance({ version: 3, priority: 100, advertIntervalMs: 100, preempt: true, preemptDelayMs: 0, answerLowerPriority: true, primaryAddress: Buffer.from([10, 0, 0, 2]) });
  core.handle(0, { type: 'startup' });
  core.handle(10, { ...peerMaster, advert: { ...peerMaster.advert, priority: 200 } });
  assert.equal(core.state, 'BACKUP');
  core.handle(20, dbDown);
  assert.equal(core.state, 'FAULT');
  assert.equal(core.keptVips, undefined);
});
