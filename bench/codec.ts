/**
 * Codec throughput on one core: validate (which decodes) and encode, per second.
 * Run: npm run bench:codec. Target: ≥ 1,000,000/s for v3 decode+validate and for encode.
 */
import { buildAdvert, decodeAdvert, encodeAdvert, encodingLength, type EncodeContext } from '../src/vrrp/codec.js';
import { parseIp } from '../src/vrrp/ip-address.js';
import { validateAdvert, type InstanceRules, type ReceiveContext } from '../src/vrrp/validate.js';

interface Case {
  name: string;
  /** One operation; returns a number so the work cannot be optimised away. */
  run: () => number;
}

const MIN_TIME_NS = 1_000_000_000n;

/** Runs batches until at least a second has passed; returns operations per second. */
function measure(run: () => number): { perSecond: number; sink: number } {
  let sink = 0;
  for (let i = 0; i < 200_000; i++) sink += run(); // warm up (JIT)
  let ops = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0n;
  while (elapsed < MIN_TIME_NS) {
    for (let i = 0; i < 100_000; i++) sink += run();
    ops += 100_000;
    elapsed = process.hrtime.bigint() - start;
  }
  return { perSecond: (ops * 1e9) / Number(elapsed), sink };
}

function main(): void {
  const v4: EncodeContext = { source: '10.0.0.1', destination: '224.0.0.18', pseudoHeader: true };
  const v6: EncodeContext = { source: 'fe80::1', destination: 'ff02::12', pseudoHeader: true };
  const v3ipv4 = buildAdvert({ version: 3, family: 4, vrid: 51, priority: 100, intervalMs: 1000, addresses: ['192.168.1.100'] });
  const v3ipv6 = buildAdvert({
    version: 3, family: 6, vrid: 52, priority: 100, intervalMs: 1000, addresses: ['fe80::1:2', '2001:db8::100'],
  });
  const v2ipv4 = buildAdvert({
    version: 2, family: 4, vrid: 53, priority: 100, intervalMs: 1000, addresses: ['192.168.1.100', '192.168.1.101'], authPass: 'secret',
  });
  const v3ipv4Bytes = encodeAdvert(v3ipv4, v4);
  const v3ipv6Bytes = encodeAdvert(v3ipv6, v6);
  const v2ipv4Bytes = encodeAdvert(v2ipv4, v4);

  // As the socket hands them over: address bytes from the IP header (parsed here once).
  const bytes = (text: string): Buffer => parseIp(text).bytes;
  const rx4: ReceiveContext = { family: 4, source: bytes(v4.source), destination: bytes(v4.destination), ttl: 255 };
  const rx6: ReceiveContext = { family: 6, source: bytes(v6.source), destination: bytes(v6.destination), ttl: 255 };
  const rules = new Map<number, InstanceRules>([
    [51, { version: 3, advertIntervalMs: 1000, v3ChecksumExcludesPseudoHeader: false }],
    [52, { version: 3, advertIntervalMs: 1000, v3ChecksumExcludesPseudoHeader: false }],
    [53, { version: 2, advertIntervalMs: 1000, authPass: 'secret', v3ChecksumExcludesPseudoHeader: false }],
  ]);
  const lookup = (vrid: number): InstanceRules | undefined => rules.get(vrid);
  const out = Buffer.alloc(1500);
  // A raw-socket IPv4 datagram as the transport gets it: the header's addresses go on as bytes.
  const datagram = Buffer.concat([Buffer.alloc(20), v3ipv4Bytes]);
  datagram[0] = 0x45;
  datagram[8] = 255;
  rx4.source.forEach((byte, i) => (datagram[12 + i] = byte));
  rx4.destination.forEach((byte, i) => (datagram[16 + i] = byte));
  const receive = (): ReceiveContext => ({ family: 4, source: datagram.subarray(12, 16), destination: datagram.subarray(16, 20), ttl: datagram[8] as number });

  const okOrThrow = (verdict: ReturnType<typeof validateAdvert>): number => {
    if (!verdict.ok) throw new Error(`Bench packet dropped: ${verdict.reason}`);
    return verdict.advert.priority;
  };
  const cases: Case[] = [
    { name: 'validate+decode v3 IPv4', run: () => okOrThrow(validateAdvert(v3ipv4Bytes, rx4, lookup)) },
    { name: 'encode v3 IPv4', run: () => encodeAdvert(v3ipv4, v4, out, 0)[6] as number },
    { name: 'receive v3 IPv4 datagram (header to advert)', run: () => okOrThrow(validateAdvert(datagram.subarray(20), receive(), lookup)) },
    { name: 'validate+decode v3 IPv6 (2 addr)', run: () => okOrThrow(validateAdvert(v3ipv6Bytes, rx6, lookup)) },
    { name: 'encode v3 IPv6 (2 addr)', run: () => encodeAdvert(v3ipv6, v6, out, 0)[6] as number },
    { name: 'validate+decode v2 IPv4 PASS (2 addr)', run: () => okOrThrow(validateAdvert(v2ipv4Bytes, rx4, lookup)) },
    { name: 'encode v2 IPv4 PASS (2 addr)', run: () => encodeAdvert(v2ipv4, v4, out, 0)[6] as number },
    { name: 'decodeAdvert v3 IPv4 (no checks)', run: () => decodeAdvert(v3ipv4Bytes, 0, 4)[1] },
    { name: 'encode v3 IPv4, new buffer', run: () => encodeAdvert(v3ipv4, v4).length },
  ];

  const rows = cases.map((c) => {
    const { perSecond, sink } = measure(c.run);
    return { name: c.name, perSecond, sink };
  });
  const width = Math.max(...rows.map((r) => r.name.length));
  console.log(`VRRP codec, one core, Node ${process.version} (v3 IPv4 advert: ${encodingLength(v3ipv4)} bytes)`);
  console.log(`${'operation'.padEnd(width)}  ${'ops/s'.padStart(12)}  ${'ns/op'.padStart(7)}`);
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(width)}  ${Math.round(r.perSecond).toLocaleString('en-US').padStart(12)}  ${(1e9 / r.perSecond).toFixed(0).padStart(7)}`,
    );
  }
  const target = 1_000_000;
  const headline = rows.slice(0, 2);
  const missed = headline.filter((r) => r.perSecond < target);
  console.log(
    missed.length === 0
      ? `target ≥ ${target.toLocaleString('en-US')}/s met for v3 validate+decode and encode`
      : `target ≥ ${target.toLocaleString('en-US')}/s MISSED: ${missed.map((r) => r.name).join(', ')}`,
  );
  if (rows.some((r) => Number.isNaN(r.sink))) console.log('(sink)');
}

main();
