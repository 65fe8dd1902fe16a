/**
 * Mixed pairs: hotstandby and keepalived 2.2.7 in one VRID, each side master in turn. The
 * election must come out as it would between two keepalived: the higher priority wins, a stopping
 * master hands over through priority 0, a higher-priority router coming back preempts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab, keepalivedUnavailableReason, nativeAddonUnavailableReason, waitFor } from '../../src/lab/index.js';
import { HotstandbyNode, holders, keepalivedConf, type InstanceSpec } from './support.js';

const skip = keepalivedUnavailableReason() ?? nativeAddonUnavailableReason();

interface Variant {
  name: string;
  family: 4 | 6;
  spec: (vip: string) => Omit<InstanceSpec, 'priority'>;
}

const variants: Variant[] = [
  { name: 'v2 with PASS authentication, advert_int 1', family: 4, spec: (vip) => ({ version: 2, advertInt: 1, vips: [`${vip}/24`], authPass: 'interop1' }) },
  { name: 'v3 IPv4, advert_int 0.1', family: 4, spec: (vip) => ({ version: 3, advertInt: 0.1, vips: [`${vip}/24`] }) },
  { name: 'v3 IPv6, advert_int 0.1', family: 6, spec: (vip) => ({ version: 3, advertInt: 0.1, vips: [`${vip}/64`] }) },
];

for (const variant of variants) {
  test(`interop with keepalived 2.2.7: ${variant.name}`, { skip }, async (t) => {
    const lab = await Lab.create({ hosts: ['ka', 'hs', 'client'], ipv6: variant.family === 6 });
    t.after(() => lab.destroy());
    const vip = variant.family === 4 ? lab.vip4(0) : lab.vip6(0);
    const spec = variant.spec(vip);
    const deadline = { timeoutMs: 20_000 };

    // 1. keepalived has the higher priority: it is master, hotstandby backup and silent.
    let ka = await lab.startKeepalived('ka', keepalivedConf({ ...spec, priority: 150 }));
    let hs = new HotstandbyNode(lab, 'hs', keepalivedConf({ ...spec, priority: 100 }));
    await ka.waitForState('VI_1', 'MASTER');
    await waitFor(async () => (await hs.state()) === 'BACKUP', { description: 'hotstandby BACKUP under keepalived', ...deadline });
    assert.equal(await holders(lab, vip), 'ka');
    const [backup] = await hs.status();
    assert.equal(backup?.masterAddress, variant.family === 4 ? lab.host('ka').ipv4 : lab.host('ka').linkLocal);
    assert.equal(Object.values(backup?.drops ?? {}).reduce((x, y) => x + y, 0), 0, 'keepalived adverts pass every check');

    // 2. keepalived stops (priority 0): hotstandby takes over.
    await ka.stop();
    await waitFor(async () => (await holders(lab, vip)) === 'hs', { description: 'VIP on hotstandby after keepalived stopped', ...deadline });

    // 3. keepalived comes back lower: it stays backup under hotstandby.
    ka = await lab.startKeepalived('ka', keepalivedConf({ ...spec, priority: 50 }), { name: 'keepalived-low' });
    await ka.waitForState('VI_1', 'BACKUP');
    await new Promise((resolve) => setTimeout(resolve, 4 * spec.advertInt * 1000));
    assert.equal(ka.state('VI_1'), 'BACKUP', 'keepalived accepts hotstandby as master');
    assert.equal(await holders(lab, vip), 'hs');

    // 4. hotstandby stops (priority 0): keepalived takes over.
    assert.deepEqual(await hs.stop(), { code: 0, signal: null });
    await ka.waitForState('VI_1', 'MASTER');
    await waitFor(async () => (await holders(lab, vip)) === 'ka', { description: 'VIP on keepalived after hotstandby stopped', ...deadline });

    // 5. hotstandby comes back with the higher priority and preempts keepalived.
    hs = new HotstandbyNode(lab, 'hs', keepalivedConf({ ...spec, priority: 100 }), 'hs-again');
    await waitFor(async () => (await holders(lab, vip)) === 'hs', { description: 'hotstandby preempts keepalived', ...deadline });
    await ka.waitForState('VI_1', 'BACKUP');
  });
}
