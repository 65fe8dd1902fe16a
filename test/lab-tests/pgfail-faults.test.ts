/**
 * The fault's instant (src/lab/pgfail/faults.ts): the rig's "time to first write" counts from the
 * moment the fault takes effect. A power-off takes effect when the node's processes are signalled,
 * not once they have all been reaped (that wait ran 0.1–0.4 s on a loaded machine while the peer
 * was already taking over, and the first-write times came out that much too short).
 */
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import type { Lab } from '../../src/lab/lab.js';
import type { FailoverCluster } from '../../src/lab/pgfail/cluster.js';
import { injectFault } from '../../src/lab/pgfail/faults.js';

function fakeCluster(events: string[]): FailoverCluster {
  const lab = {
    cutLink: async (host: string) => void events.push(`link of ${host} cut`),
    healLink: async (host: string) => void events.push(`link of ${host} healed`),
    exec: async (host: string, command: readonly string[]) => void events.push(`${host}: ${command.join(' ')}`),
  } as unknown as Lab;
  return {
    label: 'fake',
    lab,
    hosts: ['a', 'b'],
    vip: '10.0.0.100',
    canSwitchOver: false,
    start: async () => undefined,
    settled: async () => ({ primary: 'a' }),
    daemonPids: () => [],
    postmasterPid: () => undefined,
    restartDaemon: async () => undefined,
    killNode: async (host: string, killed?: () => void) => {
      events.push(`${host} signalled`);
      killed?.();
      await sleep(300); // the processes being reaped
      events.push(`${host} reaped`);
    },
    bootNode: async (host: string) => void events.push(`${host} booted`),
    switchOver: async () => undefined,
    endSwitchOver: async () => undefined,
    stop: async () => undefined,
  };
}

test('a power-off takes effect when the node is signalled, before its processes are reaped and its link is cut', async () => {
  const events: string[] = [];
  const injected = await injectFault(fakeCluster(events), 'power-off', 'a', () => events.push('fault marked'));
  assert.deepEqual(events.slice(0, 4), ['a signalled', 'fault marked', 'a reaped', 'link of a cut']);
  await injected.restore();
  assert.deepEqual(events.slice(-2), ['link of a healed', 'a booted']);
});

// A powered-off machine loses its addresses. The lab host kept the VIP, and after the heal its
// kernel could still send from it (the killed server's sockets) and point the client's ARP entry
// for the VIP at itself: no first write within 60 s in 2 of 15 power-offs (docs/postgresql-proof.md).
test('a power-off drops the VIP from the dead node before its link is healed', async () => {
  const events: string[] = [];
  const injected = await injectFault(fakeCluster(events), 'power-off', 'a', () => events.push('fault marked'));
  await injected.restore();
  const dropped = events.indexOf('a: ip addr flush to 10.0.0.100/32');
  assert.ok(dropped >= 0, `the VIP is removed from a; events: ${events.join(', ')}`);
  assert.ok(dropped < events.indexOf('link of a healed'), `before the link is healed; events: ${events.join(', ')}`);
  assert.ok(dropped > events.indexOf('a reaped'), `after the processes are gone (nothing re-adds it); events: ${events.join(', ')}`);
});
