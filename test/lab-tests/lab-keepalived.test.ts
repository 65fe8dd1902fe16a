/**
 * keepalived 2.2.7 in the lab: a pair elects the higher priority, the VIP moves when the master's
 * cable is pulled (the prober measures the outage) and comes back when it is plugged in again.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Lab, keepalivedUnavailableReason, nativeAddonUnavailableReason, waitFor } from '../../src/lab/index.js';
import { run } from '../../src/lab/shell.js';

const skip = keepalivedUnavailableReason() ?? nativeAddonUnavailableReason() ?? false;

function config(priority: number, vip: string): string {
  return `vrrp_instance VI_1 {
    state BACKUP
    interface eth0
    virtual_router_id 51
    priority ${priority}
    advert_int 1
    virtual_ipaddress {
        ${vip}/32
    }
}
`;
}

let lab: Lab | undefined;
after(async () => {
  await lab?.destroy();
});

test('a keepalived pair fails over on a cable pull and preempts back', { skip, timeout: 90_000 }, async (t) => {
  lab = await Lab.create({ hosts: ['a', 'b', 'client'] });
  const vip = lab.vip4(0);
  const a = lab.host('a');
  const b = lab.host('b');
  const holder = async (): Promise<string> => (await (lab as Lab).vipHolder(vip)).join(',');

  const adverts = await lab.capture('client', 'vrrp');
  const started = Date.now();
  const master = await lab.startKeepalived('a', config(150, vip));
  const backup = await lab.startKeepalived('b', config(100, vip));
  await waitFor(async () => (await holder()) === 'a', { description: `${vip} on a only`, timeoutMs: 20_000 });
  t.diagnostic(`elected after ${Date.now() - started} ms`);
  await master.waitForState('VI_1', 'MASTER');
  assert.equal(backup.state('VI_1'), 'BACKUP');

  const prober = await lab.startProber('client', vip, { intervalMs: 10 });
  assert.equal(await lab.arpEntry('client', vip), a.mac, "the client reaches the VIP at the master's MAC");

  const cutAt = Date.now();
  await lab.cutLink('a');
  await waitFor(async () => (await holder()) === 'b', { description: `${vip} on b only`, timeoutMs: 20_000 });
  t.diagnostic(`VIP on the backup ${Date.now() - cutAt} ms after the cut`);
  await waitFor(async () => (await lab?.arpEntry('client', vip)) === b.mac, { description: "the client's ARP entry for the VIP to be b's MAC" });
  await waitFor(async () => {
    const { stdout } = await (lab as Lab).exec('client', ['ping', '-n', '-c', '1', '-W', '1', vip]).catch(() => ({ stdout: '' }));
    return stdout.includes('1 received');
  }, { description: 'the VIP answering again' });
  const report = await prober.stop();

  const { stdout: seen } = await run(['tcpdump', '-n', '-r', await adverts.stop()]);
  const advertFrom = (host: typeof a, priority: number): RegExp =>
    new RegExp(`${host.ipv4.replaceAll('.', '\\.')} > 224\\.0\\.0\\.18: VRRPv2, Advertisement, vrid 51, prio ${priority}`);
  assert.match(seen, advertFrom(a, 150), 'the client saw the master advertise');
  assert.match(seen, advertFrom(b, 100), 'and then the backup, once it took over');

  t.diagnostic(`failover gap ${report.maxGapMs.toFixed(1)} ms (${report.lost} of ${report.sent} echo requests lost; gaps ${JSON.stringify(report.gaps.map((g) => Math.round(g.ms)))})`);
  // Backup takes over after 3 × advert_int + skew (RFC 3768 §6.1: 3 + (256 − 100)/256 s) from the last advert.
  assert.ok(report.maxGapMs > 2000 && report.maxGapMs < 6000, `gap ${report.maxGapMs} ms`);
  assert.equal(report.gaps.filter((gap) => gap.ms > 500).length, 1, 'one outage');
  assert.equal(report.gaps.at(-1)?.open, false, 'the VIP answered again before the prober stopped');

  const healedAt = Date.now();
  await lab.healLink('a');
  await waitFor(async () => (await holder()) === 'a', { description: `${vip} back on a only`, timeoutMs: 20_000 });
  t.diagnostic(`preempted back ${Date.now() - healedAt} ms after healing`);
  await waitFor(async () => (await lab?.arpEntry('client', vip)) === a.mac, { description: "the client's ARP entry back at a's MAC", timeoutMs: 20_000 });
  await backup.waitForState('VI_1', 'BACKUP');

  const [masterExit, backupExit] = await Promise.all([master.stop(), backup.stop()]);
  assert.deepEqual([masterExit.code, backupExit.code], [0, 0], 'keepalived stops cleanly on SIGTERM');
  assert.equal(await holder(), '', 'keepalived removed the VIP when it stopped');
});

test('a config keepalived rejects is reported with its words', { skip: keepalivedUnavailableReason() ?? false }, async () => {
  const own = await Lab.create({ hosts: ['a'] });
  try {
    await assert.rejects(own.startKeepalived('a', 'vrrp_instance VI_1 {\n  bogus_keyword 1\n}\n'), /rejects the config.*bogus_keyword/s);
  } finally {
    await own.destroy();
  }
});
