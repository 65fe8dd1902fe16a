/**
 * Hostile adverts on the LAN: a client floods a hotstandby pair with adverts for its VRID that each
 * break one receive rule of RFC 3768 §7.1 (all claiming priority 254). The master must not move,
 * both daemons must count every packet under its reason, and one valid advert at the end must
 * still take effect — proof the flood arrived and was judged, not lost on the way.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Lab, labUnavailableReason, nativeAddonUnavailableReason, waitFor } from '../../src/lab/index.js';
import { nodeEntryCommand } from '../../src/lab/node-entry.js';
import { VRRP_MULTICAST_V4, VRRP_TTL } from '../../src/vrrp/advert.js';
import { internetChecksum } from '../../src/vrrp/checksum.js';
import { DROP_REASONS, type DropReason } from '../../src/vrrp/drop-reason.js';
import { parseIp } from '../../src/vrrp/ip-address.js';
import { type InstanceRules, validateAdvert } from '../../src/vrrp/validate.js';
import {
  type AdvertKind,
  type AdvertTarget,
  HOSTILE_KINDS,
  HOSTILE_PRIORITY,
  type HostileKind,
  hostilePacket,
  vrrpFrame,
} from './fixtures/hostile-adverts.js';
import type { InjectConfig, InjectReport } from './fixtures/inject-adverts.js';
import { HotstandbyNode, type StatusInstance, holders, keepalivedConf } from './support.js';

const skip = labUnavailableReason() ?? nativeAddonUnavailableReason();

const VRID = 51;
const PASSWORD = 'Fl00dPr1';
const ADVERT_INTERVAL_SECONDS = 1;
/** Frames of each hostile kind: 18 kinds × 300 ≈ 5400 frames over about 3 s. */
const PER_KIND = 300;
const PAUSE_MS = 10;
const HOSTILE = Object.keys(HOSTILE_KINDS) as HostileKind[];
const INJECTOR_URL = new URL('./fixtures/inject-adverts.js', import.meta.url).href;

function targetFor(client: string, master: string, vip: string): AdvertTarget {
  return {
    vrid: VRID,
    unknownVrid: VRID + 1,
    authPass: PASSWORD,
    advertIntervalSeconds: ADVERT_INTERVAL_SECONDS,
    addresses: [vip],
    source: client,
    spoofedSource: master,
  };
}

/** Per-reason counts that `kinds` (each sent `sent[kind]` times) must add. */
function expectedDrops(kinds: readonly HostileKind[], sent: Partial<Record<AdvertKind, number>>): Record<DropReason, number> {
  const drops = Object.fromEntries(DROP_REASONS.map((reason) => [reason, 0])) as Record<DropReason, number>;
  for (const kind of kinds) drops[HOSTILE_KINDS[kind]] += sent[kind] ?? 0;
  return drops;
}

function pick(counts: Record<string, number>, reasons: readonly DropReason[]): Record<string, number> {
  return Object.fromEntries(reasons.map((reason) => [reason, counts[reason] ?? 0]));
}

function dropDelta(after: StatusInstance, before: StatusInstance): Record<string, number> {
  return Object.fromEntries(DROP_REASONS.map((reason) => [reason, (after.drops[reason] ?? 0) - (before.drops[reason] ?? 0)]));
}

test('each hostile advert kind breaks exactly the receive rule it is named for, in a sound frame', () => {
  const target = targetFor('10.99.0.3', '10.99.0.1', '10.99.0.100');
  const rules: InstanceRules = {
    version: 2,
    authPass: PASSWORD,
    advertIntervalMs: ADVERT_INTERVAL_SECONDS * 1000,
    v3ChecksumExcludesPseudoHeader: false,
  };
  const judge = (kind: AdvertKind) => {
    const packet = hostilePacket(kind, target);
    return validateAdvert(
      packet.payload,
      {
        family: 4,
        source: parseIp(packet.source).bytes,
        destination: parseIp(VRRP_MULTICAST_V4).bytes,
        ttl: packet.ttl,
        ownAddresses: [parseIp(target.spoofedSource).bytes],
      },
      (vrid) => (vrid === VRID ? rules : undefined),
    );
  };
  for (const kind of HOSTILE) {
    const verdict = judge(kind);
    assert.equal(verdict.ok ? 'accepted' : verdict.reason, HOSTILE_KINDS[kind], kind);
  }
  const valid = judge('valid');
  assert.ok(valid.ok, 'the valid advert is accepted');
  assert.equal(valid.advert.priority, HOSTILE_PRIORITY);

  // The frame: multicast MAC, IPv4 with a correct header checksum and length, padded to 60 bytes.
  const packet = hostilePacket('short-header', target);
  const frame = vrrpFrame(packet, '02:68:73:00:00:03', 7);
  assert.equal(frame.length, 60);
  assert.equal(frame.subarray(0, 6).toString('hex'), '01005e000012');
  assert.equal(frame.subarray(6, 12).toString('hex'), '026873000003');
  assert.equal(frame.readUInt16BE(12), 0x0800);
  assert.equal(internetChecksum(frame, 14, 34), 0, 'IPv4 header checksum verifies');
  assert.equal(frame.readUInt16BE(16), 20 + packet.payload.length, 'IPv4 total length excludes the padding');
  assert.equal(frame[22], VRRP_TTL);
  assert.equal(frame[23], 112);
  assert.deepEqual(frame.subarray(34, 34 + packet.payload.length), packet.payload);
});

test('a hotstandby pair shrugs off a flood of hostile adverts, counts each by reason, and still obeys a valid one', { skip }, async (t) => {
  const lab = await Lab.create({ hosts: ['a', 'b', 'client'], ipv6: false });
  t.after(() => lab.destroy());
  const vip = lab.vip4(0);
  const spec = { version: 2 as const, advertInt: ADVERT_INTERVAL_SECONDS, vips: [`${vip}/24`], authPass: PASSWORD, vrid: VRID };
  const a = new HotstandbyNode(lab, 'a', keepalivedConf({ ...spec, priority: 150 }));
  const b = new HotstandbyNode(lab, 'b', keepalivedConf({ ...spec, priority: 100 }));
  const client = lab.host('client');
  const target = targetFor(client.ipv4, lab.host('a').ipv4, vip);
  const inject = async (kinds: AdvertKind[], perKind: number): Promise<InjectReport> => {
    const config: InjectConfig = { interfaceName: client.iface, sourceMac: client.mac, target, kinds, perKind, pauseMs: PAUSE_MS };
    const { stdout } = await lab.exec('client', nodeEntryCommand(INJECTOR_URL, 'injectAdverts', config), { timeoutMs: 30_000 });
    return JSON.parse(stdout) as InjectReport;
  };

  await waitFor(async () => (await holders(lab, vip)) === 'a', { description: 'VIP on a (priority 150) only', timeoutMs: 15_000 });
  await waitFor(async () => (await b.state()) === 'BACKUP', { description: 'b is BACKUP' });
  // Linux drops a packet whose source is one of the host's own addresses as a martian before any
  // socket sees it, unless accept_local is set: set, so the spoofed adverts test hotstandby's own
  // defence rather than the kernel's.
  await lab.exec('a', ['sysctl', '-qw', 'net.ipv4.conf.eth0.accept_local=1']);
  const [aBefore] = await a.status();
  const [bBefore] = await b.status();
  assert.ok(aBefore && bBefore);

  // The flood, sampled while it lasts: a must stay MASTER and the only holder of the VIP.
  let flooding = true;
  const flood = inject(HOSTILE, PER_KIND).finally(() => {
    flooding = false;
  });
  const seen: string[] = [];
  let samples = 0;
  // States through the control socket: a `hotstandby status` process per sample would take
  // seconds on a loaded machine, leaving the flood almost unsampled.
  const stateOf = async (node: HotstandbyNode) => (await node.controlStatus()).instances[0]?.state;
  while (flooding) {
    const [holder, aState, bState] = await Promise.all([holders(lab, vip), stateOf(a), stateOf(b)]);
    samples++;
    if (holder !== 'a' || aState !== 'MASTER' || bState !== 'BACKUP') seen.push(`holders '${holder}', a ${aState}, b ${bState}`);
  }
  const report = await flood;
  assert.equal(report.refused, 0, 'the kernel took every frame');
  for (const kind of HOSTILE) assert.equal(report.sent[kind], PER_KIND, `${kind} frames sent`);
  assert.ok(samples >= 5, `only ${samples} samples during a ${report.durationMs} ms flood`);
  assert.deepEqual(seen, [], 'a stayed the only master and VIP holder during the flood');

  // Every frame was delivered (veth loses none at this pace) and judged under its reason. An
  // unknown VRID is no instance's business; b takes a spoofed advert from a's address for a's own
  // (valid, and no threat to a backup); a's own-address count is checked apart below.
  const expected = expectedDrops(
    HOSTILE.filter((kind) => kind !== 'unknown-vrid' && kind !== 'own-address'),
    report.sent,
  );
  const settled = async (node: HotstandbyNode, before: StatusInstance) => {
    const [now] = await node.status();
    if (now === undefined) return undefined;
    const delta = dropDelta(now, before);
    return DROP_REASONS.every((reason) => (delta[reason] ?? 0) >= expected[reason]) ? delta : undefined;
  };
  const counted = async (node: HotstandbyNode, before: StatusInstance) => {
    try {
      return await waitFor(() => settled(node, before), { description: `${node.host} to count every hostile advert`, timeoutMs: 5_000 });
    } catch (error) {
      const now = JSON.stringify((await node.status())[0]?.drops);
      return assert.fail(`${(error as Error).message}; ${node.host} drops now ${now}, expected ${JSON.stringify(expected)} more`);
    }
  };
  const aDrops = await counted(a, aBefore);
  const bDrops = await counted(b, bBefore);
  assert.deepEqual({ ...aDrops, 'own-address': 0 }, expected, 'a counted each hostile advert once, under its reason');
  assert.deepEqual(bDrops, expected, 'b counted each hostile advert once, under its reason');
  assert.equal(aDrops.vrid, 0, 'an unknown VRID is on no instance');
  assert.equal(aDrops['own-address'], report.sent['own-address'], 'a counts the adverts spoofed from its own address');

  // The unknown VRID is counted apart, on the interface.
  for (const node of [a, b]) {
    const status = await node.controlStatus();
    const vridDrops = status.unmatchedDrops['eth0/ipv4']?.vrid;
    assert.equal(vridDrops, report.sent['unknown-vrid'], `${node.host} counts the unknown VRID on eth0`);
  }
  assert.ok(a.process.running && b.process.running, 'both daemons are alive');
  assert.equal(await holders(lab, vip), 'a');
  assert.equal(await a.state(), 'MASTER');

  // One valid advert with a higher priority: a steps down at once (RFC 3768 §6.4.3) and names the
  // client as master — the flood's frames took this same path and were refused on their merits.
  const valid = await inject(['valid'], 1);
  assert.equal(valid.sent.valid, 1);
  // State and master address from one snapshot, through the control socket (no CLI process to
  // start): a is BACKUP only until its Master_Down_Interval runs out, a loaded machine may take
  // that long to start a `hotstandby status`.
  const aBackup = await waitFor(
    async () => {
      const instance = (await a.controlStatus()).instances[0];
      return instance?.state === 'BACKUP' ? instance : undefined;
    },
    { description: 'a BACKUP after a valid priority-254 advert', timeoutMs: 3_000, intervalMs: 20 },
  );
  assert.equal(aBackup.masterAddress, client.ipv4, 'a names the client as master');
  await waitFor(async () => (await holders(lab, vip)) === '', { description: 'the VIP released by a', timeoutMs: 3_000 });

  // The client falls silent: a's master-down interval (3 + 106/256 s) runs out before b's
  // (3 + 156/256 s), so a takes over again (RFC 3768 §6.1, Skew_Time).
  await waitFor(async () => (await holders(lab, vip)) === 'a', { description: 'VIP back on a', timeoutMs: 10_000 });
  assert.equal(await a.state(), 'MASTER');
  assert.equal(await b.state(), 'BACKUP');
  assert.ok(a.process.running && b.process.running, 'both daemons are alive at the end');
});
