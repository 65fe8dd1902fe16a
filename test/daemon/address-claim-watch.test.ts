import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressClaimWatch } from '../../src/daemon/address-claim-watch.js';
import { silentLogger } from '../../src/daemon/logger.js';
import { buildGratuitousArp, parseArpClaim } from '../../src/net/arp.js';
import type { CapturedFrame } from '../../src/net/packet-socket.js';

function fakeCaptures() {
  const open = new Map<number, (captured: CapturedFrame) => void>();
  const opened: number[] = [];
  const closed: number[] = [];
  const watch = new AddressClaimWatch(
    'ARP',
    (ifindex, onFrame) => {
      opened.push(ifindex);
      open.set(ifindex, onFrame);
      return { close: () => closed.push(ifindex) };
    },
    parseArpClaim,
    silentLogger,
  );
  const deliver = (ifindex: number, frame: Buffer, pkttype = 1) => open.get(ifindex)?.({ frame, pkttype, ifindex });
  return { watch, opened, closed, deliver };
}

test('one capture per interface, shared, closed with its last listener', () => {
  const { watch, opened, closed } = fakeCaptures();
  const stopA = watch.watch(2, '10.0.0.9', () => {});
  const stopB = watch.watch(2, '10.0.0.10', () => {});
  const stopC = watch.watch(3, '10.0.0.9', () => {});
  assert.deepEqual(opened, [2, 3]);
  stopA();
  assert.deepEqual(closed, []);
  stopB();
  stopB(); // twice is harmless
  assert.deepEqual(closed, [2]);
  watch.close();
  assert.deepEqual(closed, [2, 3]);
  stopC();
  assert.deepEqual(closed, [2, 3]);
});

test('claims reach the listeners of their address only; our own frames, non-ARP frames and a throwing listener do not stop them', () => {
  const { watch, deliver } = fakeCaptures();
  const heard: string[] = [];
  watch.watch(2, '10.0.0.9', () => {
    throw new Error('broken listener');
  });
  watch.watch(2, '10.0.0.9', (claim) => heard.push(`${claim.address} ${claim.mac}`));
  watch.watch(2, '10.0.0.10', (claim) => heard.push(`other ${claim.address}`));
  deliver(2, buildGratuitousArp('02:00:00:00:00:07', '10.0.0.9'));
  deliver(2, buildGratuitousArp('02:00:00:00:00:01', '10.0.0.9'), 4); // PACKET_OUTGOING
  deliver(2, Buffer.alloc(60));
  assert.deepEqual(heard, ['10.0.0.9 02:00:00:00:00:07']);
});
