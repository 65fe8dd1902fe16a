/** The chaos soak's checker: convergence, stale VIPs, the client's neighbour entry and dual-VIP time from a history. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dualHoldingMs, rightSince, stateAt, verdict, type VipHistory } from '../../src/lab/chaos/history.js';

const MAC_A = '02:68:73:07:00:01';
const MAC_B = '02:68:73:07:00:02';

/** a held the VIP from 0; a killed at 1000 (the VIP stays); b takes over at 1400 and the client follows at 1410. */
const takeover: VipHistory = {
  holding: [
    { ms: 0, host: 'a', held: true },
    { ms: 0, host: 'b', held: false },
    { ms: 1400, host: 'b', held: true },
  ],
  neighbour: [
    { ms: 0, mac: MAC_A },
    { ms: 1410, mac: MAC_B },
  ],
};

test('rightSince(): from when the VIP is on the expected node and the client points at it', () => {
  assert.equal(rightSince(takeover, { holder: 'a', excused: [] }, MAC_A, 500), 0);
  assert.equal(rightSince(takeover, { holder: 'b', excused: ['a'] }, MAC_B, 1405), undefined, 'the client still points at a');
  assert.equal(rightSince(takeover, { holder: 'b', excused: ['a'] }, MAC_B, 2000), 1410);
  assert.equal(rightSince(takeover, { holder: 'b', excused: [] }, MAC_B, 2000), undefined, 'a stale VIP on a node that is not excused');
});

test('rightSince(): a relapse restarts the count', () => {
  const flapping: VipHistory = {
    holding: [...takeover.holding, { ms: 3000, host: 'a', held: false }, { ms: 3500, host: 'b', held: false }, { ms: 3600, host: 'b', held: true }],
    neighbour: takeover.neighbour,
  };
  assert.equal(rightSince(flapping, { holder: 'b', excused: [] }, MAC_B, 3200), 3000);
  assert.equal(rightSince(flapping, { holder: 'b', excused: [] }, MAC_B, 3550), undefined);
  assert.equal(rightSince(flapping, { holder: 'b', excused: [] }, MAC_B, 4000), 3600);
  assert.deepEqual(stateAt(flapping, 3550), { holders: [], mac: MAC_B });
});

test('dualHoldingMs(): both nodes holding counts, except a node while its daemon is dead', () => {
  assert.equal(dualHoldingMs(takeover, 0, 2000, []), 600);
  assert.equal(dualHoldingMs(takeover, 0, 2000, [{ host: 'a', from: 1000, to: 1800 }]), 200, 'a restarted at 1800 and kept the VIP');
  assert.equal(dualHoldingMs(takeover, 0, 1400, []), 0);
  assert.equal(dualHoldingMs(takeover, 1500, 1500, []), 0);
});

test('verdict(): converged once answered by the deadline and right for the settle time; failed after deadline + settle', () => {
  const base = { from: 1000, deadline: 3300, settleMs: 500 };
  assert.deepEqual(verdict({ ...base, rightSince: 1410, replyAt: 1420, now: 1600 }), { state: 'pending' });
  assert.deepEqual(verdict({ ...base, rightSince: 1410, replyAt: 1420, now: 1920 }), { state: 'converged', convergeMs: 420 });
  assert.deepEqual(verdict({ ...base, rightSince: 1410, replyAt: null, now: 3000 }), { state: 'pending' });
  assert.deepEqual(verdict({ ...base, rightSince: undefined, replyAt: null, now: 3799 }), { state: 'pending' });
  assert.deepEqual(verdict({ ...base, rightSince: undefined, replyAt: null, now: 3800 }), { state: 'failed' });
  assert.deepEqual(verdict({ ...base, rightSince: 3400, replyAt: 3410, now: 3950 }), { state: 'failed' }, 'right only after the deadline');
  assert.deepEqual(verdict({ ...base, rightSince: 0, replyAt: 1005, now: 1505 }), { state: 'converged', convergeMs: 5 }, 'nothing had to change');
});
