/**
 * keepalived.conf network features on a real pair: virtual_routes and virtual_rules follow the
 * master (and a route someone else put there is never removed), use_vmac gives clients one MAC
 * for the VIP whichever node holds it, dont_track_primary keeps a master whose link is down, and
 * vrrp_strict runs (or is refused) as keepalived 2.2.7 runs it. Real netlink, ARP and bridge.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab, labUnavailableReason, nativeAddonUnavailableReason, waitFor } from '../../src/lab/index.js';
import { HotstandbyNode, holders, transitionsOf, withLabLogs } from './support.js';

const skip = labUnavailableReason() ?? nativeAddonUnavailableReason();

function conf(priority: number, body: string, global = ''): string {
  return [
    'global_defs {',
    '  vrrp_garp_master_delay 1',
    global,
    '}',
    'vrrp_instance VI_1 {',
    '  state BACKUP',
    '  interface eth0',
    '  virtual_router_id 51',
    `  priority ${priority}`,
    '  advert_int 1',
    body,
    '}',
    '',
  ].join('\n');
}

async function ip(lab: Lab, host: string, ...args: string[]): Promise<string> {
  return (await lab.exec(host, ['ip', ...args])).stdout;
}

/** The routes and rules of `host` that these tests configure, one per line, sorted. */
async function virtualNetwork(lab: Lab, host: string): Promise<string> {
  const routes = (await ip(lab, host, 'route', 'show', 'table', 'all')).split('\n').filter((l) => /10\.9[78]\.|table 100/.test(l) && !/^local|^broadcast/.test(l));
  const rules = (await ip(lab, host, 'rule', 'show')).split('\n').filter((l) => /^(1000|1001):/.test(l));
  return [...routes, ...rules].map((l) => l.trim().replace(/\s+/g, ' ')).sort().join('\n');
}

test('virtual_routes and virtual_rules are on the master only and move with the VIP on failover', { skip }, async (t) => {
  const lab = await Lab.create({ hosts: ['a', 'b', 'client'], ipv6: false });
  t.after(() => lab.destroy());
  await withLabLogs(t, lab, async () => {
    const vip = lab.vip4(0);
    const gateway = lab.host('client').ipv4;
    const body = [
      `  virtual_ipaddress {\n    ${vip}/24\n  }`,
      '  virtual_routes {',
      `    src ${vip} 10.98.0.0/24 via ${gateway} dev eth0`,
      '    blackhole 10.97.0.1/32',
      `    0.0.0.0/0 via ${gateway} table 100`,
      '  }',
      '  virtual_rules {',
      `    from ${vip}/32 table 100 priority 1000`,
      '    to 10.98.0.0/24 table 100 priority 1001',
      '  }',
    ].join('\n');
    // Someone else's route on b with the same key as a virtual one: b must never remove it.
    await ip(lab, 'b', 'route', 'add', 'blackhole', '10.97.0.1/32');
    const a = new HotstandbyNode(lab, 'a', conf(150, body));
    const b = new HotstandbyNode(lab, 'b', conf(100, body));

    await waitFor(async () => (await holders(lab, vip)) === 'a', { description: 'VIP on a', timeoutMs: 15_000 });
    await waitFor(async () => (await b.state()) === 'BACKUP', { description: 'b is BACKUP' });
    const expected = [
      `10.98.0.0/24 via ${gateway} dev eth0 proto keepalived src ${vip}`,
      `1000: from ${vip} lookup 100 proto keepalived`,
      '1001: from all to 10.98.0.0/24 lookup 100 proto keepalived',
      'blackhole 10.97.0.1 proto keepalived',
      `default via ${gateway} dev eth0 table 100 proto keepalived`,
    ].sort().join('\n');
    await waitFor(async () => (await virtualNetwork(lab, 'a')) === expected, { description: 'routes and rules on the master a', timeoutMs: 10_000 });
    assert.equal(await virtualNetwork(lab, 'b'), 'blackhole 10.97.0.1', 'b (backup) has only the route it had before');

    // Traffic from the VIP really follows the rule: to 10.98.0.1 via the client.
    assert.match(await ip(lab, 'a', 'route', 'get', '10.98.0.1', 'from', vip), /via .* table 100|via /);

    await lab.cutLink('a');
    await waitFor(async () => (await holders(lab, vip)) === 'b', { description: 'VIP on b after the cut', timeoutMs: 15_000 });
    await waitFor(async () => (await virtualNetwork(lab, 'a')) === '', { description: 'a (FAULT) removed its routes and rules', timeoutMs: 10_000 });
    const onB = expected.replace('blackhole 10.97.0.1 proto keepalived', 'blackhole 10.97.0.1');
    await waitFor(async () => (await virtualNetwork(lab, 'b')) === onB, { description: 'b has the routes and rules (its own blackhole kept)', timeoutMs: 10_000 });

    await lab.healLink('a');
    await waitFor(async () => (await holders(lab, vip)) === 'a', { description: 'VIP back on a', timeoutMs: 15_000 });
    await waitFor(async () => (await virtualNetwork(lab, 'b')) === 'blackhole 10.97.0.1', {
      description: 'b removed what it added and left the route it found',
      timeoutMs: 10_000,
    });
    await waitFor(async () => (await virtualNetwork(lab, 'a')) === expected, { description: 'a has them again', timeoutMs: 10_000 });
    await a.stop();
    await waitFor(async () => (await virtualNetwork(lab, 'a')) === '', { description: 'a stopped: nothing left behind', timeoutMs: 10_000 });
    await b.stop();
  });
});

test('use_vmac: the VIP is on vrrp.51, clients learn 00:00:5e:00:01:33, and failover keeps that MAC while moving the port', { skip }, async (t) => {
  const lab = await Lab.create({ hosts: ['a', 'b', 'client'], ipv6: false });
  t.after(() => lab.destroy());
  await withLabLogs(t, lab, async () => {
    const vip = lab.vip4(0);
    const vmacMac = '00:00:5e:00:01:33';
    const body = `  use_vmac\n  virtual_ipaddress {\n    ${vip}/24\n  }`;
    const a = new HotstandbyNode(lab, 'a', conf(150, body));
    const b = new HotstandbyNode(lab, 'b', conf(100, body));
    await waitFor(async () => (await holders(lab, vip)) === 'a', { description: 'VIP on a', timeoutMs: 15_000 });
    for (const host of ['a', 'b']) {
      const link = await ip(lab, host, '-d', 'link', 'show', 'vrrp.51');
      assert.match(link, /vrrp\.51@eth0:.*\bUP\b/, host);
      assert.match(link, new RegExp(`link/ether ${vmacMac}`), host);
      assert.match(link, /macvlan mode private/, host);
      assert.equal((await lab.exec(host, ['cat', '/proc/sys/net/ipv4/conf/eth0/arp_ignore'])).stdout.trim(), '1', `${host}: base arp_ignore`);
    }
    assert.match(await ip(lab, 'a', '-o', 'addr', 'show', 'dev', 'vrrp.51'), new RegExp(`inet ${vip.replace(/\./g, '\\.')}/24`));
    assert.doesNotMatch(await ip(lab, 'a', '-o', 'addr', 'show', 'dev', 'eth0'), new RegExp(vip.replace(/\./g, '\\.')));

    await lab.exec('client', ['ping', '-c', '1', '-W', '2', vip]);
    assert.equal(await lab.arpEntry('client', vip), vmacMac, 'the client resolved the VIP to the virtual MAC');

    await lab.cutLink('a');
    await waitFor(async () => (await holders(lab, vip)) === 'b', { description: 'VIP on b after the cut', timeoutMs: 15_000 });
    // The switch learned the virtual MAC on b's port from b's GARPs / adverts: the client, whose
    // ARP entry never changed, reaches b.
    await waitFor(
      async () => {
        try {
          await lab.exec('client', ['ping', '-c', '1', '-W', '1', vip]);
          return true;
        } catch {
          return false;
        }
      },
      { description: 'the client reaches the VIP on b', timeoutMs: 10_000 },
    );
    assert.equal(await lab.arpEntry('client', vip), vmacMac, 'the client still has the virtual MAC');
    await lab.healLink('a');
    await waitFor(async () => (await holders(lab, vip)) === 'a', { description: 'VIP back on a', timeoutMs: 15_000 });
    await a.stop();
    await b.stop();
    for (const host of ['a', 'b']) assert.doesNotMatch(await ip(lab, host, 'link', 'show'), /vrrp\.51/, `${host} deleted its VMAC at stop`);
  });
});

test('dont_track_primary: a master whose own link is cut stays MASTER', { skip }, async (t) => {
  const lab = await Lab.create({ hosts: ['a'], ipv6: false });
  t.after(() => lab.destroy());
  await withLabLogs(t, lab, async () => {
    const vip = lab.vip4(0);
    const a = new HotstandbyNode(lab, 'a', conf(150, `  dont_track_primary\n  virtual_ipaddress {\n    ${vip}/24\n  }`));
    await waitFor(async () => (await a.state()) === 'MASTER', { description: 'a is MASTER', timeoutMs: 15_000 });
    await lab.cutLink('a');
    // Three advert intervals with the link down: a tracked primary would have gone to FAULT.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    assert.equal(await a.state(), 'MASTER');
    assert.equal(await holders(lab, vip), 'a');
    await a.stop();
  });
});

test('vrrp_strict: the RHEL sample\'s shape runs as keepalived runs it (BACKUP start, no auth, traffic to the VIP dropped); no VIP is refused', { skip }, async (t) => {
  const lab = await Lab.create({ hosts: ['a', 'client'], ipv6: false });
  t.after(() => lab.destroy());
  await withLabLogs(t, lab, async () => {
    const vip = lab.vip4(0);
    const rhel = conf(
      100,
      `  authentication {\n    auth_type PASS\n    auth_pass 1111\n  }\n  virtual_ipaddress {\n    ${vip}/24\n  }`,
      '  vrrp_strict',
    ).replace('state BACKUP', 'state MASTER');
    const a = new HotstandbyNode(lab, 'a', rhel);
    await waitFor(async () => (await a.state()) === 'MASTER', { description: 'a becomes MASTER after its down timer', timeoutMs: 15_000 });
    const log = await a.process.readLog();
    assert.match(log, /state MASTER without priority 255 \(address owner\): starts as BACKUP/);
    assert.match(log, /Authentication is not allowed/);
    assert.deepEqual((await transitionsOf(a)).slice(0, 2), ['BACKUP', 'MASTER'], 'strict mode starts a non-owner as BACKUP');
    // no_accept (strict, priority 100): the master answers ARP for the VIP but drops what is sent to it.
    assert.equal(await answers(lab, 'client', lab.host('a').ipv4), true, 'a answers on its own address');
    assert.equal(await answers(lab, 'client', vip), false, 'traffic to the VIP is dropped');
    assert.equal(await lab.arpEntry('client', vip), lab.host('a').mac, 'ARP for the VIP is answered');
    await a.stop();
    // The drop rule went with the daemon: the address answers again once someone holds it.
    await lab.exec('a', ['ip', 'addr', 'add', `${vip}/24`, 'dev', 'eth0']);
    assert.equal(await answers(lab, 'client', vip), true, 'no drop rule left behind');
    await lab.exec('a', ['ip', 'addr', 'del', `${vip}/24`, 'dev', 'eth0']);

    const refused = new HotstandbyNode(lab, 'a', conf(100, '', '  vrrp_strict'), 'hs-novip');
    const exit = await refused.process.exited;
    assert.notEqual(exit.code, 0);
    assert.match(await refused.process.readLog(), /hs-novip\.conf:5: vrrp_strict: Instance "VI_1" has no virtual address; strict mode requires at least one/);
  });
});

/** Whether one ping from `host` to `address` is answered within 2 s. */
async function answers(lab: Lab, host: string, address: string): Promise<boolean> {
  try {
    await lab.exec(host, ['ping', '-c', '1', '-W', '2', address]);
    return true;
  } catch {
    return false;
  }
}
