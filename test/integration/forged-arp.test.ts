/**
 * A host that forges ARP claims for the VIP (gratuitous ARPs from a MAC of its own choosing, 1,000
 * a second for 6 s) cannot take the clients for good, nor make the master flood the LAN: the
 * master announces its VIPs again at doubling gaps (address-defence.ts), stays master with the
 * backup staying backup, and the client is back on it after the flood.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab, labUnavailableReason, nativeAddonUnavailableReason, waitFor } from '../../src/lab/index.js';
import { nodeEntryCommand } from '../../src/lab/node-entry.js';
import { controlSocketPath, getJson } from '../../src/api/control-socket.js';
import type { ArpClaimFlood } from './fixtures/inject-arp.js';
import { gratuitousArps, holders, settledPair, transitionsOf, withLabLogs } from './support.js';

const skip = labUnavailableReason() ?? nativeAddonUnavailableReason();
const INJECTOR_URL = new URL('./fixtures/inject-arp.js', import.meta.url).href;
const FORGED_MAC = '02:66:66:66:66:66';
const FLOOD_MS = 6_000;

test('forged ARP claims for the VIP: the master answers at doubling gaps, keeps the role, and has the client back after the flood', { skip, timeout: 120_000 }, async (t) => {
  const lab = await Lab.create({ hosts: ['a', 'b', 'client', 'mallory'], ipv6: false });
  t.after(() => lab.destroy());
  await withLabLogs(t, lab, async () => {
    const { vip, a, b } = await settledPair(lab);
    // Past a's start-up announcements (garp_master_delay 1 s): every GARP of a from here is a defence.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const aMac = lab.host('a').mac;
    assert.equal((await lab.neighbour('client', vip))?.mac, aMac, 'the client is on a');
    const transitionsBefore = { a: (await transitionsOf(a)).length, b: (await transitionsOf(b)).length };

    const capture = await lab.capture('client', 'arp');
    const mallory = lab.host('mallory');
    const flood: ArpClaimFlood = { interfaceName: mallory.iface, claimedMac: FORGED_MAC, address: vip, perSecond: 1000, durationMs: FLOOD_MS };
    const { stdout } = await lab.exec('mallory', nodeEntryCommand(INJECTOR_URL, 'injectArpClaims', flood), { timeoutMs: FLOOD_MS + 30_000 });
    const report = JSON.parse(stdout) as { sent: number };
    assert.ok(report.sent > 1000, `the flood went out (${stdout.trim()})`);

    // The defence due after the flood's last claim (at most 32 s after the one before) brings the client back.
    await waitFor(async () => (await lab.neighbour('client', vip))?.mac === aMac, { description: "the client's neighbour entry back on a", timeoutMs: 40_000, intervalMs: 50 });
    await lab.exec('client', ['ping', '-c', '1', '-W', '2', vip]);
    const arps = await gratuitousArps(await capture.stop(), vip);
    const fromA = arps.filter((g) => g.mac === aMac);
    const forged = arps.filter((g) => g.mac === FORGED_MAC).length;
    t.diagnostic(`${forged} forged claims seen by the client; a's GARPs: ${fromA.length}`);
    assert.ok(fromA.length >= 5, `a defended (GARPs of a: ${fromA.length})`);
    // Defences at +0.2 s, then gaps of 1, 2, 4, 8 s: at most 5 bursts of 5 frames in the flood
    // and the wait after it.
    assert.ok(fromA.length <= 25, `a's defence is rate-limited: ${fromA.length} GARPs against ${forged} forged claims`);
    const { counters } = (await getJson(controlSocketPath(a.runtimeDir), '/v1/instances/VI_1')) as { counters: { vipClaims: number; vipDefences: number } };
    assert.ok(counters.vipClaims >= report.sent * 0.9, `a counted the claims: ${counters.vipClaims} of ${report.sent}`);
    assert.equal(fromA.length, 5 * counters.vipDefences, `each counted defence is one burst of 5 GARPs (${counters.vipDefences} counted)`);
    // The operator hears of it: one address-conflict record per defence (one may still be pending), naming the MAC.
    const { events } = (await getJson(controlSocketPath(a.runtimeDir), '/v1/events')) as { events: Array<{ type: string; fields?: { claimedBy?: string } }> };
    const conflicts = events.filter((e) => e.type === 'address-conflict');
    assert.ok(conflicts.length >= counters.vipDefences && conflicts.length <= counters.vipDefences + 1, `${conflicts.length} address-conflict records for ${counters.vipDefences} defences`);
    assert.ok(conflicts.every((e) => e.fields?.claimedBy === FORGED_MAC), 'each names the forged MAC');
    assert.equal(await holders(lab, vip), 'a', 'the VIP stayed on a alone');
    assert.deepEqual({ a: (await transitionsOf(a)).length, b: (await transitionsOf(b)).length }, transitionsBefore, 'no transitions');
  });
});
