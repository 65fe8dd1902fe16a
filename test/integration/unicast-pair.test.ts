/**
 * Unicast VRRP (keepalived's unicast_src_ip / unicast_peer): adverts go to the peer's own
 * address instead of the group 224.0.0.18, for networks without multicast. The election must be
 * the same as with multicast, and so must the interop with keepalived 2.2.7.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab, keepalivedUnavailableReason, labUnavailableReason, nativeAddonUnavailableReason, tcpdumpUnavailableReason, waitFor } from '../../src/lab/index.js';
import { VRRP_MULTICAST_V4 } from '../../src/vrrp/advert.js';
import { HotstandbyNode, capturedAdverts, holders, keepalivedConf, withLabLogs, type InstanceSpec } from './support.js';

const skip = labUnavailableReason() ?? tcpdumpUnavailableReason() ?? nativeAddonUnavailableReason();
const skipInterop = keepalivedUnavailableReason() ?? nativeAddonUnavailableReason();

/** v3 at 100 ms: an election or a takeover settles in well under a second. */
function unicastSpec(lab: Lab, self: string, peer: string): Omit<InstanceSpec, 'priority'> {
  return {
    version: 3,
    advertInt: 0.1,
    vips: [`${lab.vip4(0)}/24`],
    unicastSource: lab.host(self).ipv4,
    unicastPeers: [lab.host(peer).ipv4],
  };
}

/** A node's advert counters from its control socket, to wait for traffic instead of sleeping. */
async function advertCounters(node: HotstandbyNode): Promise<{ sent: number; received: number }> {
  const [instance] = (await node.controlStatus()).instances;
  return { sent: instance?.counters.advertsSent ?? 0, received: instance?.counters.advertsReceived ?? 0 };
}

test('a unicast hotstandby pair elects by priority, sends its adverts only to the peer and fails over', { skip }, async (t) => {
  const lab = await Lab.create({ hosts: ['a', 'b', 'client'], ipv6: false });
  t.after(() => lab.destroy());
  await withLabLogs(t, lab, async () => {
    const vip = lab.vip4(0);
    const a = new HotstandbyNode(lab, 'a', keepalivedConf({ ...unicastSpec(lab, 'a', 'b'), priority: 150 }));
    const b = new HotstandbyNode(lab, 'b', keepalivedConf({ ...unicastSpec(lab, 'b', 'a'), priority: 100 }));

    await waitFor(async () => (await holders(lab, vip)) === 'a', { description: 'VIP on a (priority 150) only', timeoutMs: 15_000 });
    await waitFor(async () => (await b.state()) === 'BACKUP', { description: 'b is BACKUP' });
    const [backup] = await b.status();
    assert.equal(backup?.masterAddress, lab.host('a').ipv4, 'b names a as the master it hears');
    assert.equal(Object.values(backup?.drops ?? {}).reduce((x, y) => x + y, 0), 0, 'unicast adverts pass every check');
    await lab.exec('client', ['ping', '-c', '1', '-W', '2', vip]);

    // On the bridge (promiscuous, so it sees frames between the other ports too): a steady run of
    // a's adverts, then the handover when a stops.
    const capture = await lab.capture('switch', 'proto 112');
    const before = await advertCounters(b);
    await waitFor(async () => (await advertCounters(b)).received >= before.received + 10, { description: 'b received 10 more adverts' });
    assert.deepEqual(await a.stop(), { code: 0, signal: null });
    await waitFor(async () => (await holders(lab, vip)) === 'b', { description: 'VIP on b after a stopped', timeoutMs: 15_000 });
    const sentByB = (await advertCounters(b)).sent;
    await waitFor(async () => (await advertCounters(b)).sent >= sentByB + 5, { description: 'b sent 5 adverts as master' });
    const adverts = await capturedAdverts(await capture.stop());

    const [hostA, hostB] = [lab.host('a'), lab.host('b')];
    assert.ok(adverts.length >= 15, `captured ${adverts.length} adverts`);
    assert.deepEqual(
      adverts.filter((p) => p.destination === VRRP_MULTICAST_V4),
      [],
      'no advert went to the multicast group',
    );
    for (const packet of adverts) {
      const expected = packet.source === hostA.ipv4 ? hostB : packet.source === hostB.ipv4 ? hostA : undefined;
      assert.ok(expected, `advert from an unexpected source ${packet.source}`);
      assert.equal(packet.destination, expected.ipv4, `advert from ${packet.source} goes to the peer's address`);
      assert.equal(packet.destinationMac, expected.mac, `advert from ${packet.source} is an Ethernet unicast to the peer`);
      assert.equal(packet.ttl, 255);
      assert.equal(packet.verdict, 'ok', `advert from ${packet.source} passes the receive checks`);
      assert.equal(packet.advert?.version, 3);
      assert.equal(packet.advert?.vrid, 51);
      assert.deepEqual(packet.advert?.addresses, [vip]);
    }

    // In order: a as master (150), a's goodbye (priority 0, RFC 5798 §6.4.3), then b as master.
    const priorities = adverts.map((p) => `${p.source === hostA.ipv4 ? 'a' : 'b'}${p.advert?.priority}`);
    const goodbye = priorities.indexOf('a0');
    assert.ok(goodbye >= 10, `a's priority 0 advert follows a's adverts as master: ${priorities.join(' ')}`);
    assert.ok(priorities.slice(0, goodbye).every((p) => p === 'a150'), `before the goodbye only a advertises: ${priorities.join(' ')}`);
    const after = priorities.slice(goodbye + 1);
    assert.ok(after.length >= 5 && after.every((p) => p === 'b100'), `after the goodbye only b advertises: ${priorities.join(' ')}`);

    await lab.exec('client', ['ping', '-c', '1', '-W', '2', vip]);
    assert.equal(await lab.arpEntry('client', vip), hostB.mac, 'gratuitous ARP moved the client to b');
  });
});

for (const order of [
  { master: 'ka', backup: 'hs' },
  { master: 'hs', backup: 'ka' },
] as const) {
  test(`a mixed unicast pair with keepalived 2.2.7 elects ${order.master === 'ka' ? 'keepalived' : 'hotstandby'} with the higher priority and fails over`, { skip: skipInterop }, async (t) => {
    const lab = await Lab.create({ hosts: ['ka', 'hs', 'client'], ipv6: false });
    t.after(() => lab.destroy());
    await withLabLogs(t, lab, async () => {
      const vip = lab.vip4(0);
      const priority = (host: string) => (host === order.master ? 150 : 100);
      const ka = await lab.startKeepalived('ka', keepalivedConf({ ...unicastSpec(lab, 'ka', 'hs'), priority: priority('ka') }));
      const hs = new HotstandbyNode(lab, 'hs', keepalivedConf({ ...unicastSpec(lab, 'hs', 'ka'), priority: priority('hs') }));
      const deadline = { timeoutMs: 20_000 };

      await waitFor(async () => (await holders(lab, vip)) === order.master, { description: `VIP on ${order.master} only`, ...deadline });
      await ka.waitForState('VI_1', order.master === 'ka' ? 'MASTER' : 'BACKUP');
      await waitFor(async () => (await hs.state()) === (order.master === 'hs' ? 'MASTER' : 'BACKUP'), { description: 'hotstandby in its role', ...deadline });

      // The election holds for 40 intervals, ten times the backup's master-down interval: a
      // backup that did not hear the master's unicast adverts would have taken over meanwhile.
      const hsReceived = (await advertCounters(hs)).received;
      const hsSent = (await advertCounters(hs)).sent;
      await waitFor(
        async () => {
          const now = await advertCounters(hs);
          return order.master === 'ka' ? now.received >= hsReceived + 40 : now.sent >= hsSent + 40;
        },
        { description: '40 more adverts from the master', ...deadline },
      );
      assert.equal(ka.state('VI_1'), order.master === 'ka' ? 'MASTER' : 'BACKUP', 'keepalived stays in its role');
      assert.equal(await hs.state(), order.master === 'hs' ? 'MASTER' : 'BACKUP', 'hotstandby stays in its role');
      assert.equal(await holders(lab, vip), order.master);
      const [status] = await hs.status();
      assert.equal(status?.masterAddress, lab.host(order.master).ipv4);
      if (order.master === 'ka') {
        assert.equal(Object.values(status?.drops ?? {}).reduce((x, y) => x + y, 0), 0, 'keepalived unicast adverts pass every check');
      }

      // The master stops (priority 0 to its peer): the backup takes over.
      if (order.master === 'ka') await ka.stop();
      else assert.deepEqual(await hs.stop(), { code: 0, signal: null });
      await waitFor(async () => (await holders(lab, vip)) === order.backup, { description: `VIP on ${order.backup} after the master stopped`, ...deadline });
      if (order.backup === 'ka') await ka.waitForState('VI_1', 'MASTER');
      else await waitFor(async () => (await hs.state()) === 'MASTER', { description: 'hotstandby MASTER', ...deadline });
    });
  });
}
