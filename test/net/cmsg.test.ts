import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IP_PKTINFO, IP_TTL, IPPROTO_IP, IPPROTO_IPV6, IPV6_HOPLIMIT, IPV6_PKTINFO, parseControl } from '../../src/net/cmsg.js';
import { loadNative } from '../../src/net/native.js';
import { parseIp } from '../../src/vrrp/ip-address.js';

const ip = (text: string): Buffer => parseIp(text).bytes;

/** One cmsghdr as Linux x86_64/aarch64 lays it out: 8-byte length, level, type, data, padding to 8. */
function cmsg(level: number, type: number, data: Buffer): Buffer {
  const length = 16 + data.length;
  const buf = Buffer.alloc((length + 7) & ~7);
  buf.writeBigUInt64LE(BigInt(length), 0);
  buf.writeInt32LE(level, 8);
  buf.writeInt32LE(type, 12);
  data.copy(buf, 16);
  return buf;
}

function int32(value: number): Buffer {
  const buf = Buffer.alloc(4);
  buf.writeInt32LE(value);
  return buf;
}

function inPktinfo(ifindex: number, specDst: number[], addr: number[]): Buffer {
  return Buffer.concat([int32(ifindex), Buffer.from(specDst), Buffer.from(addr)]);
}

test('IPv4: IP_PKTINFO gives the ifindex and header destination, IP_TTL the TTL', () => {
  const control = Buffer.concat([
    cmsg(IPPROTO_IP, IP_PKTINFO, inPktinfo(22, [10, 99, 0, 2], [224, 0, 0, 18])),
    cmsg(IPPROTO_IP, IP_TTL, int32(255)),
  ]);
  assert.deepEqual(parseControl(control), { ifindex: 22, destination: ip('224.0.0.18'), ttl: 255 });
});

test('IPv6: IPV6_PKTINFO gives destination and ifindex, IPV6_HOPLIMIT the hop limit', () => {
  const pktinfo = Buffer.concat([Buffer.from('ff020000000000000000000000000012', 'hex'), int32(22)]);
  const control = Buffer.concat([cmsg(IPPROTO_IPV6, IPV6_HOPLIMIT, int32(64)), cmsg(IPPROTO_IPV6, IPV6_PKTINFO, pktinfo)]);
  assert.deepEqual(parseControl(control), { ifindex: 22, destination: ip('ff02::12'), ttl: 64 });
});

test('unknown messages are skipped', () => {
  const control = Buffer.concat([cmsg(1, 29, Buffer.alloc(16, 7)), cmsg(IPPROTO_IP, IP_TTL, int32(1))]);
  assert.deepEqual(parseControl(control), { ttl: 1 });
});

test('a truncated or malformed buffer keeps what was parsed and never throws', () => {
  const whole = Buffer.concat([cmsg(IPPROTO_IP, IP_TTL, int32(9)), cmsg(IPPROTO_IP, IP_PKTINFO, inPktinfo(3, [0, 0, 0, 0], [10, 0, 0, 1]))]);
  // Cut inside the second message's data (its last 4 of 8 bytes are padding).
  assert.deepEqual(parseControl(whole.subarray(0, whole.length - 8)), { ttl: 9 });
  // Without the trailing padding the last message is still whole.
  assert.deepEqual(parseControl(whole.subarray(0, whole.length - 4)), { ttl: 9, ifindex: 3, destination: ip('10.0.0.1') });
  assert.deepEqual(parseControl(Buffer.alloc(0)), {});
  assert.deepEqual(parseControl(Buffer.alloc(7)), {});
  // A length below the header size would loop forever if trusted.
  const bogus = cmsg(IPPROTO_IP, IP_TTL, int32(9));
  bogus.writeBigUInt64LE(4n, 0);
  assert.deepEqual(parseControl(bogus), {});
  // A length running past the end.
  const long = cmsg(IPPROTO_IP, IP_TTL, int32(9));
  long.writeBigUInt64LE(4096n, 0);
  assert.deepEqual(parseControl(long), {});
  // Data shorter than the structure it claims to be.
  assert.deepEqual(parseControl(cmsg(IPPROTO_IPV6, IPV6_PKTINFO, Buffer.alloc(8))), {});
});

test('the option numbers used here agree with the addon', () => {
  const { constants } = loadNative();
  assert.deepEqual(
    { IPPROTO_IP, IPPROTO_IPV6, IP_TTL, IP_PKTINFO, IPV6_PKTINFO, IPV6_HOPLIMIT },
    {
      IPPROTO_IP: constants.IPPROTO_IP,
      IPPROTO_IPV6: constants.IPPROTO_IPV6,
      IP_TTL: constants.IP_TTL,
      IP_PKTINFO: constants.IP_PKTINFO,
      IPV6_PKTINFO: constants.IPV6_PKTINFO,
      IPV6_HOPLIMIT: constants.IPV6_HOPLIMIT,
    },
  );
});
