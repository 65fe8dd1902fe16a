import { test } from 'node:test';
import assert from 'node:assert/strict';
import { silentLogger } from '../../src/daemon/logger.js';
import { SocketGroups, type SocketSpec } from '../../src/daemon/socket-groups.js';
import type { LinkInfo } from '../../src/net/netlink/link.js';
import { createFakeNative } from '../net/fake-native.js';
import { FakeTime } from '../support/fake-time.js';
import { instanceConfig } from '../support/instance-config.js';

const eth0 = { index: 2, name: 'eth0', up: true, running: true, carrier: true, operState: 'up' } as LinkInfo;
const spec = (overrides: Partial<SocketSpec> = {}): SocketSpec => ({
  instance: instanceConfig(),
  link: eth0,
  source: '10.99.0.2',
  multicastGroup: '224.0.0.18',
  ...overrides,
});

test('SocketGroups: instances placed alike share one transport, closed when the last of them leaves', () => {
  const native = createFakeNative();
  const groups = new SocketGroups(native.binding, new FakeTime(), silentLogger);
  const web = groups.join(spec({ instance: instanceConfig({ name: 'web', vrid: 51 }) }));
  const db = groups.join(spec({ instance: instanceConfig({ name: 'db', vrid: 52 }) }));
  assert.equal(web.transport, db.transport);
  const opened = native.sockets.length;
  assert.ok(opened > 0);
  web.leave();
  web.leave();
  assert.ok(native.sockets.every((s) => !s.closed), 'db still uses the sockets (leaving twice counts once)');
  db.leave();
  assert.ok(native.sockets.every((s) => s.closed), 'the last member closed them');
  assert.deepEqual(Object.keys(groups.unmatchedDrops()), ['eth0/ipv4'], 'the closed group keeps its drop counters');
});

test('SocketGroups: a new source address or multicast group gets sockets of its own', () => {
  const native = createFakeNative();
  const groups = new SocketGroups(native.binding, new FakeTime(), silentLogger);
  const first = groups.join(spec());
  assert.notEqual(groups.join(spec({ source: '10.99.0.5' })).transport, first.transport);
  assert.notEqual(groups.join(spec({ multicastGroup: '224.0.0.19' })).transport, first.transport);
  groups.close();
  assert.ok(native.sockets.every((s) => s.closed));
});
