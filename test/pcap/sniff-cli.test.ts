/**
 * Runs the compiled CLI as a user would: `node bin/hotstandby sniff ...`.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildAdvert, encodeAdvert } from '../../src/vrrp/codec.js';
import {
  classicPcap,
  enhancedPacketBlock,
  ethernet,
  interfaceBlock,
  ipv4,
  ipv6,
  linuxSll2,
  sectionHeaderBlock,
} from './capture-builder.js';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'hs-sniff-test-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function sniff(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/hotstandby', 'sniff', ...args], { cwd: repoRoot }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout.trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
}

test('sniff --pcap --json on the keepalived v2 capture: one object per advert with exactly the documented fields', async () => {
  const run = await sniff('--pcap', 'test/data/keepalived-v2-pass.pcap', '--json');
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stderr, '');
  const lines = jsonLines(run.stdout);
  assert.ok(lines.length >= 4);
  for (const line of lines) {
    assert.deepEqual(Object.keys(line), [
      'time', 'src', 'dst', 'ttl', 'version', 'type', 'vrid', 'priority', 'intervalMs', 'addresses',
      'authType', 'authData', 'checksumOk', 'verdict',
    ]);
    assert.equal(typeof line.time, 'number');
    assert.equal(line.src, '10.99.0.1');
    assert.equal(line.dst, '224.0.0.18');
    assert.equal(line.ttl, 255);
    assert.equal(line.version, 2);
    assert.equal(line.type, 1);
    assert.equal(line.vrid, 51);
    assert.equal(line.intervalMs, 1000);
    assert.deepEqual(line.addresses, ['10.99.0.100', '10.99.0.101']);
    assert.equal(line.authType, 1);
    assert.equal(line.authData, 'secret-p');
    assert.equal(line.checksumOk, true);
    assert.equal(line.verdict, 'ok');
  }
  assert.equal(lines.at(-1)?.priority, 0);
  assert.equal(lines[0]?.priority, 150);
});

test('sniff --json on the v3 captures: sub-second interval, IPv6 link-local source, no auth fields', async () => {
  const v4 = jsonLines((await sniff('--pcap', 'test/data/keepalived-v3-ipv4.pcap', '--json')).stdout);
  assert.ok(v4.every((l) => l.version === 3 && l.intervalMs === 100 && l.verdict === 'ok' && l.checksumOk === true));
  assert.ok(v4.every((l) => !('authType' in l) && !('authData' in l)));
  const v6 = jsonLines((await sniff('--pcap', 'test/data/keepalived-v3-ipv6.pcap', '--json')).stdout);
  assert.ok(v6.every((l) => String(l.src).startsWith('fe80::') && l.dst === 'ff02::12' && l.verdict === 'ok'));
  assert.deepEqual(v6[0]?.addresses, ['fd00:99::100', 'fd00:99::101']);
});

test('sniff without --json prints one readable line per advert', async () => {
  const run = await sniff('--pcap', 'test/data/keepalived-v2-pass.pcap');
  assert.equal(run.code, 0);
  const lines = run.stdout.trimEnd().split('\n');
  assert.equal(lines.length, jsonLines((await sniff('--pcap', 'test/data/keepalived-v2-pass.pcap', '--json')).stdout).length);
  assert.match(
    lines[0] ?? '',
    /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z 10\.99\.0\.1 → 224\.0\.0\.18 ttl 255 v2 vrid 51 prio 150 int 1s addrs 10\.99\.0\.100,10\.99\.0\.101 auth pass "secret-p" ok$/,
  );
  assert.match(lines.at(-1) ?? '', / prio 0 /);
});

test('broken and foreign packets: drops get a line with what is known, damaged VRRP is reported, other traffic ignored', async () => {
  const ctx = { source: '10.99.0.1', destination: '224.0.0.18', pseudoHeader: true };
  const good = encodeAdvert(buildAdvert({ version: 3, family: 4, vrid: 5, priority: 90, intervalMs: 1000, addresses: ['10.99.0.5'] }), ctx);
  const badChecksum = Buffer.from(good);
  badChecksum.writeUInt8(badChecksum.readUInt8(7) ^ 0xff, 7);
  const frames = [
    ethernet(0x0800, ipv4(good, { ttl: 254 })),
    ethernet(0x0800, ipv4(badChecksum)),
    ethernet(0x0800, ipv4(good.subarray(0, 5))),
    ethernet(0x0800, ipv4(Buffer.alloc(8), { protocol: 17 })), // UDP: not VRRP
    ethernet(0x0806, Buffer.alloc(28)), // ARP
    ethernet(0x86dd, ipv6(good.subarray(0, 8))),
    ethernet(0x0800, ipv4(Buffer.alloc(400), { protocol: 6 })).subarray(0, 96), // TCP cut at the snap length
    ethernet(0x0800, ipv4(good)).subarray(0, 40), // VRRP cut short
    ethernet(0x0800, ipv4(good, { fragment: 0x2000 })),
  ];
  const file = join(scratch, 'broken.pcap');
  writeFileSync(file, classicPcap(frames.map((data, i) => ({ seconds: 1000 + i, fraction: 0, data }))));

  const run = await sniff('--pcap', file, '--json');
  assert.equal(run.code, 0, run.stderr);
  const lines = jsonLines(run.stdout);
  assert.deepEqual(lines.map((l) => [l.time, l.verdict]), [
    [1000, 'ttl'],
    [1001, 'checksum'],
    [1002, 'too-short'],
    [1005, 'address-count'],
  ]);
  assert.equal(lines[0]?.ttl, 254);
  assert.equal(lines[0]?.vrid, 5);
  assert.equal(lines[1]?.checksumOk, false);
  assert.deepEqual([lines[2]?.vrid, lines[2]?.priority, lines[2]?.addresses, lines[2]?.checksumOk], [5, 90, null, null]);
  assert.equal(lines[3]?.src, 'fe80::1');
  assert.deepEqual(run.stderr.trimEnd().split('\n'), [
    'hotstandby sniff: packet 8 skipped: IPv4 packet truncated: total length 32, 26 bytes captured',
    'hotstandby sniff: packet 9 skipped: IPv4 fragment (fragments are not reassembled)',
  ]);
});

test('a pcapng file: packets numbered as in the file, a bad record reported and skipped', async () => {
  const advert = encodeAdvert(buildAdvert({ version: 3, family: 6, vrid: 8, priority: 10, intervalMs: 20, addresses: ['fd00:99::8'] }), {
    source: 'fe80::1',
    destination: 'ff02::12',
    pseudoHeader: true,
  });
  const head = Buffer.concat([sectionHeaderBlock('be'), interfaceBlock('be', 276, { tsresol: 9 })]);
  const frame = linuxSll2(0x86dd, ipv6(advert));
  const file = join(scratch, 'capture.pcapng');
  writeFileSync(file, Buffer.concat([head, enhancedPacketBlock('be', 5, 0n, frame), enhancedPacketBlock('be', 0, 7_250_000_000n, frame)]));
  const run = await sniff('--pcap', file, '--json');
  assert.equal(run.code, 0);
  assert.deepEqual(
    jsonLines(run.stdout).map((l) => [l.time, l.vrid, l.intervalMs, l.addresses, l.verdict]),
    [[7.25, 8, 20, ['fd00:99::8'], 'ok']],
  );
  assert.equal(run.stderr, `hotstandby sniff: packet 1 (offset ${head.length}) skipped: enhanced packet block names interface 5, which was not described\n`);
});

test('an unknown link type is reported once', async () => {
  const file = join(scratch, 'linktype.pcap');
  const packet = { seconds: 1, fraction: 0, data: ipv4(Buffer.alloc(8)) };
  writeFileSync(file, classicPcap([packet, packet, packet], { linkType: 147 }));
  const run = await sniff('--pcap', file);
  assert.equal(run.code, 0);
  assert.equal(run.stdout, '');
  assert.equal(run.stderr, 'hotstandby sniff: unsupported link type 147: its packets are skipped\n');
});

test('a malformed file: lines before the damage, then the problem with its offset, exit 65', async () => {
  const file = join(scratch, 'cut.pcap');
  writeFileSync(file, twoAdvertsCutShort());
  const run = await sniff('--pcap', file, '--json');
  assert.equal(run.code, 65);
  assert.equal(jsonLines(run.stdout).length, 1);
  assert.match(run.stderr, /Truncated pcap record at offset \d+/);

  const garbage = join(scratch, 'garbage.pcap');
  writeFileSync(garbage, 'not a capture at all');
  const bad = await sniff('--pcap', garbage);
  assert.equal(bad.code, 65);
  assert.match(bad.stderr, /Not a pcap or pcapng file/);
});

/** A capture of two good v3 adverts, cut in the middle of the second record. */
function twoAdvertsCutShort(): Buffer {
  const advert = encodeAdvert(buildAdvert({ version: 3, family: 4, vrid: 1, priority: 1, intervalMs: 10, addresses: [] }), {
    source: '10.99.0.1',
    destination: '224.0.0.18',
    pseudoHeader: true,
  });
  const frame = ethernet(0x0800, ipv4(advert));
  const whole = classicPcap([0, 1].map((seconds) => ({ seconds, fraction: 0, data: frame })));
  return whole.subarray(0, whole.length - 10);
}

test('usage errors exit 64, a missing file 66, an unknown interface 69, --help 0', async () => {
  for (const args of [[], ['--pcap'], ['--bogus'], ['--pcap', 'a', '--interface', 'eth0'], ['stray'], ['--pcap', '']]) {
    const run = await sniff(...args);
    assert.equal(run.code, 64, `args ${JSON.stringify(args)}`);
    assert.match(run.stderr, /usage: hotstandby sniff --pcap FILE/);
  }
  const missing = await sniff('--pcap', join(scratch, 'nope.pcap'));
  assert.equal(missing.code, 66);
  assert.match(missing.stderr, /cannot read '.*nope\.pcap': no such file/);
  const directory = await sniff('--pcap', scratch);
  assert.equal(directory.code, 66);
  const live = await sniff('--interface', 'hs-no-such-if');
  assert.equal(live.code, 69);
  assert.match(live.stderr, /no interface named 'hs-no-such-if'/);
  const help = await sniff('--help');
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--json/);
});
