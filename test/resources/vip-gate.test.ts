import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { VipGates } from '../../src/daemon/vip-gate.js';

function fakes() {
  const calls: string[] = [];
  const holder = { take: () => calls.push('take'), release: () => calls.push('release'), releaseStale: () => calls.push('stale'), settled: async () => undefined };
  const announcer = { start: () => calls.push('announce'), burst: () => calls.push('burst'), lowerPriorityHeard: () => calls.push('lower'), stop: () => calls.push('quiet'), sent: 0 };
  return { calls, holder, announcer };
}

/** An instance's gateway behind a closed gate, after the master asked for its VIPs and announcements. */
function closedMaster() {
  const { calls, holder, announcer } = fakes();
  const gates = new VipGates();
  gates.set('VI_1', false);
  const gw = gates.wrap('VI_1', holder, announcer);
  gw.vips.take();
  gw.announcer.start();
  return { calls, gates, gw };
}

describe('VIP gate', () => {
  it('open by default: an instance nothing gates takes its VIPs at once', () => {
    const { calls, holder, announcer } = fakes();
    const gw = new VipGates().wrap('VI_1', holder, announcer);
    gw.vips.take();
    gw.announcer.start();
    assert.deepEqual(calls, ['take', 'announce']);
  });

  it('closed: a master adds and announces nothing until it opens; release is never held back', () => {
    const { calls, gates, gw } = closedMaster();
    gw.announcer.burst();
    gw.vips.releaseStale();
    assert.deepEqual(calls, ['stale']);
    gates.set('VI_1', true);
    assert.deepEqual(calls, ['stale', 'take', 'announce']);
  });

  it('a master that left before the gate opened gets nothing when it opens', () => {
    const { calls, gates, gw } = closedMaster();
    gw.announcer.stop();
    gw.vips.release();
    gates.set('VI_1', true);
    assert.deepEqual(calls, ['quiet', 'release']);
  });

  it('a rebuilt instance (reload) starts in its name’s gate state', () => {
    const { calls, holder, announcer } = fakes();
    const gates = new VipGates();
    gates.wrap('VI_1', holder, announcer);
    gates.set('VI_1', false);
    const rebuilt = gates.wrap('VI_1', holder, announcer);
    rebuilt.vips.take();
    assert.deepEqual(calls, []);
  });
});
