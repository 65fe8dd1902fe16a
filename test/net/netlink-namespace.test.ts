/**
 * rtnetlink against the real kernel, inside a scratch network namespace with a veth pair.
 * A Node process lives in one namespace, so the client runs in child fixtures started with
 * `ip netns exec`. Needs root and the built addon; skips otherwise. Only 10.99.x.x and fd00:99::/64
 * inside the namespace are used, and the namespace is deleted whatever happens.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { namespaceSkipReason } from '../support/namespace.js';
import type { LinkInfo } from '../../src/net/netlink/link.js';

const run = promisify(execFile);

function fixture(name: string): string {
  return fileURLToPath(new URL(`./fixtures/${name}.js`, import.meta.url));
}

const skipReason = namespaceSkipReason;

async function inNamespace(ns: string, command: string, ...args: string[]): Promise<string> {
  const { stdout } = await run('ip', ['netns', 'exec', ns, command, ...args], { timeout: 20_000 });
  return stdout;
}

async function fixtureJson(ns: string, name: string, ...args: string[]): Promise<any> {
  const out = await inNamespace(ns, process.execPath, fixture(name), ...args);
  return JSON.parse(out.trim().split('\n').at(-1) ?? 'null');
}

/** A running event fixture: lines so far, and a way to wait for one that matches. */
function startEvents(ns: string, ...args: string[]) {
  const child = spawn('ip', ['netns', 'exec', ns, process.execPath, fixture('netlink-events'), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: any[] = [];
  const waiters = new Set<() => void>();
  createInterface({ input: child.stdout }).on('line', (line) => {
    lines.push(JSON.parse(line));
    for (const wake of waiters) wake();
  });
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  return {
    lines,
    send(line: string): void {
      child.stdin.write(`${line}\n`);
    },
    /** The first line from index `since` on that matches; rejects after the deadline. */
    async waitFor(predicate: (line: any) => boolean, what: string, since = 0, deadlineMs = 10_000): Promise<any> {
      const deadline = Date.now() + deadlineMs;
      for (;;) {
        const found = lines.slice(since).find(predicate);
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`No ${what} within ${deadlineMs} ms; got ${JSON.stringify(lines)}`);
        await new Promise<void>((resolve) => {
          const wake = () => (waiters.delete(wake), clearTimeout(timer), resolve());
          const timer = setTimeout(wake, 200);
          waiters.add(wake);
        });
      }
    },
    async stop(): Promise<void> {
      child.stdin.end();
      const timer = setTimeout(() => child.kill(), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

test('rtnetlink in a network namespace with a veth pair', async (t) => {
  const reason = skipReason();
  if (reason) {
    t.skip(reason);
    return;
  }
  const ns = `hsnl-${process.pid}-${Math.floor(Math.random() * 1e6)}`;
  await run('ip', ['netns', 'add', ns]);
  try {
    await inNamespace(ns, 'ip', 'link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'veth1');
    await inNamespace(ns, 'ip', 'link', 'set', 'veth0', 'up');
    await inNamespace(ns, 'ip', 'link', 'set', 'veth1', 'up');

    await t.test('lists links with the MAC from sysfs and up / carrier state', async () => {
      const result = await fixtureJson(ns, 'netlink-links', 'veth0');
      const names = (result.links as LinkInfo[]).map((l) => l.name).sort();
      assert.deepEqual(names, ['lo', 'veth0', 'veth1']);
      for (const name of ['veth0', 'veth1']) {
        const link = (result.links as LinkInfo[]).find((l) => l.name === name);
        const sysMac = (await inNamespace(ns, 'cat', `/sys/class/net/${name}/address`)).trim();
        const sysIndex = Number((await inNamespace(ns, 'cat', `/sys/class/net/${name}/ifindex`)).trim());
        assert.equal(link?.mac, sysMac, name);
        assert.equal(link?.index, sysIndex, name);
        assert.equal(link?.up, true, name);
        assert.equal(link?.mtu, 1500, name);
      }
      assert.equal(result.byName?.name, 'veth0');
      assert.equal(result.missing, null);
      const lo = (result.links as LinkInfo[]).find((l) => l.name === 'lo');
      assert.equal(lo?.up, false, 'lo is down in a fresh namespace');
    });

    await t.test('reports carrier once both ends of the veth pair are up', async () => {
      // Carrier comes up asynchronously after `ip link set up`; poll with a generous deadline.
      const deadline = Date.now() + 10_000;
      let veth0: LinkInfo | undefined;
      do {
        const result = await fixtureJson(ns, 'netlink-links');
        veth0 = (result.links as LinkInfo[]).find((l) => l.name === 'veth0');
      } while (!veth0?.carrier && Date.now() < deadline);
      assert.equal(veth0?.carrier, true);
      assert.equal(veth0?.operState, 'up');
      const sysCarrier = (await inNamespace(ns, 'cat', '/sys/class/net/veth0/carrier')).trim();
      assert.equal(sysCarrier, '1');
    });

    await t.test('adds an IPv4 VIP with label and an IPv6 VIP with nodad; a second add says exists', async () => {
      const result = await fixtureJson(ns, 'netlink-vip', 'add', 'veth0');
      assert.deepEqual([result.v4, result.v4Again, result.v6, result.v6Again], ['added', 'exists', 'added', 'exists']);
      const shown = await inNamespace(ns, 'ip', '-o', 'addr', 'show', 'dev', 'veth0');
      const v4Line = shown.split('\n').find((l) => l.includes('10.99.0.10/32'));
      const v6Line = shown.split('\n').find((l) => l.includes('fd00:99::10/64'));
      assert.ok(v4Line, shown);
      assert.match(v4Line, /veth0:vip/);
      assert.ok(v6Line, shown);
      assert.doesNotMatch(v6Line, /tentative/);
      assert.match(v6Line, /nodad/);
      const v6 = result.addresses.find((a: any) => a.address === 'fd00:99::10');
      assert.deepEqual([v6?.flags.nodad, v6?.flags.tentative], [true, false]);
      assert.equal(result.addresses.find((a: any) => a.address === '10.99.0.10')?.label, 'veth0:vip');
    });

    await t.test('deletes both VIPs; deleting again gives EADDRNOTAVAIL', async () => {
      const result = await fixtureJson(ns, 'netlink-vip', 'delete', 'veth0');
      assert.deepEqual([result.v4, result.v4Again, result.v6, result.v6Again], ['deleted', 'EADDRNOTAVAIL', 'deleted', 'EADDRNOTAVAIL']);
      const shown = await inNamespace(ns, 'ip', '-o', 'addr', 'show', 'dev', 'veth0');
      assert.doesNotMatch(shown, /10\.99\.0\.10|fd00:99::10/);
    });

    await t.test('routes, a rule and a macvlan are accepted by the kernel as asked; a second add says exists', async () => {
      await inNamespace(ns, 'ip', 'addr', 'add', '10.99.0.1/24', 'dev', 'veth0');
      const result = await fixtureJson(ns, 'netlink-routes', 'add', 'veth0');
      assert.deepEqual(result, {
        via: 'added', viaAgain: 'exists', blackhole: 'added', blackholeAgain: 'exists', multipath: 'added', multipathAgain: 'exists',
        rule: 'added', ruleAgain: 'exists', macvlan: 'added', macvlanAgain: 'exists', macvlanUp: 'up',
      });
      const table100 = await inNamespace(ns, 'ip', 'route', 'show', 'table', '100');
      assert.match(table100, /^10\.98\.0\.0\/24 via 10\.99\.0\.254 dev veth0 proto keepalived src 10\.99\.0\.1 metric 7/m);
      const main = await inNamespace(ns, 'ip', 'route', 'show');
      assert.match(main, /^blackhole 10\.97\.0\.1 proto keepalived/m);
      assert.match(main, /^10\.96\.0\.0\/16 proto keepalived \n\s+nexthop via 10\.99\.0\.252 dev veth0 weight 1 \n\s+nexthop via 10\.99\.0\.253 dev veth0 weight 1/m);
      const rules = await inNamespace(ns, 'ip', 'rule', 'show');
      assert.match(rules, /^1234:\s+from 10\.99\.0\.0\/24 fwmark 0x5\/0xff iif veth0 lookup 100 proto keepalived/m);
      const vmac = await inNamespace(ns, 'ip', '-d', 'link', 'show', 'vrrp.51');
      assert.match(vmac, /vrrp\.51@veth0: <[^>]*\bUP\b/);
      assert.match(vmac, /link\/ether 00:00:5e:00:01:33/);
      assert.match(vmac, /macvlan mode private/);
    });

    await t.test('deletes the routes, the rule and the macvlan; deleting again names what is missing', async () => {
      const result = await fixtureJson(ns, 'netlink-routes', 'delete', 'veth0');
      assert.deepEqual(result, {
        via: 'deleted', viaAgain: 'ESRCH', blackhole: 'deleted', blackholeAgain: 'ESRCH', multipath: 'deleted', multipathAgain: 'ESRCH',
        rule: 'deleted', ruleAgain: 'ENOENT', macvlan: 'deleted', macvlanAgain: 'ENODEV',
      });
      assert.doesNotMatch(await inNamespace(ns, 'ip', 'route', 'show', 'table', 'all'), /10\.9[678]\./);
      assert.doesNotMatch(await inNamespace(ns, 'ip', 'rule', 'show'), /^1234:/m);
      assert.doesNotMatch(await inNamespace(ns, 'ip', 'link', 'show'), /vrrp\.51/);
      await inNamespace(ns, 'ip', 'addr', 'del', '10.99.0.1/24', 'dev', 'veth0');
    });

    await t.test('notifies address removal and link down / up', async () => {
      await inNamespace(ns, 'ip', 'addr', 'add', '10.99.0.20/24', 'dev', 'veth0');
      const events = startEvents(ns);
      try {
        await events.waitFor((l) => l.ready, 'ready line');
        let since = events.lines.length;
        await inNamespace(ns, 'ip', 'addr', 'del', '10.99.0.20/24', 'dev', 'veth0');
        await events.waitFor((l) => l.kind === 'address' && l.change === 'del' && l.address === '10.99.0.20', 'address removal', since);
        since = events.lines.length;
        await inNamespace(ns, 'ip', 'link', 'set', 'veth1', 'down');
        await events.waitFor((l) => l.kind === 'link' && l.name === 'veth1' && l.up === false, 'veth1 down', since);
        await events.waitFor((l) => l.kind === 'link' && l.name === 'veth0' && l.up === true && l.carrier === false, 'veth0 carrier loss', since);
        since = events.lines.length;
        await inNamespace(ns, 'ip', 'link', 'set', 'veth1', 'up');
        await events.waitFor((l) => l.kind === 'link' && l.name === 'veth1' && l.up === true, 'veth1 up', since);
        await events.waitFor((l) => l.kind === 'link' && l.name === 'veth0' && l.carrier === true, 'veth0 carrier back', since);
        assert.equal(events.lines.filter((l) => l.kind === 'error' || l.kind === 'resync').length, 0, JSON.stringify(events.lines));
      } finally {
        await events.stop();
      }
    });

    await t.test('lost notifications (ENOBUFS) are reported as a resync request', async () => {
      const marker = join(tmpdir(), `${ns}-unblock`);
      const events = startEvents(ns, '4096');
      try {
        await events.waitFor((l) => l.ready, 'ready line');
        events.send(`block ${marker}`);
        await events.waitFor((l) => l.blocking, 'blocking line');
        // 200 address changes while the child does not read: far more than 4 KiB of notifications.
        const batch = Array.from({ length: 100 }, (_, i) => `addr add 10.99.1.${i + 1}/32 dev veth0\naddr del 10.99.1.${i + 1}/32 dev veth0`).join('\n');
        const batchFile = join(tmpdir(), `${ns}-batch`);
        await writeFile(batchFile, `${batch}\n`);
        await inNamespace(ns, 'ip', '-batch', batchFile);
        await rm(batchFile);
        await writeFile(marker, '');
        const resync = await events.waitFor((l) => l.kind === 'resync', 'resync line');
        // The addon reports the overflow as ENOBUFS, or as libuv's POLLERR (uv_poll EBADF).
        assert.match(resync.reason, /re-read links and addresses/);
        // Notifications keep coming after the overflow.
        const since = events.lines.length;
        await inNamespace(ns, 'ip', 'addr', 'add', '10.99.2.1/32', 'dev', 'veth0');
        await events.waitFor((l) => l.kind === 'address' && l.change === 'new' && l.address === '10.99.2.1', 'a notification after the overflow', since);
      } finally {
        await events.stop();
        await rm(marker, { force: true });
      }
    });
  } finally {
    await run('ip', ['netns', 'del', ns]).catch(() => {});
  }
});
