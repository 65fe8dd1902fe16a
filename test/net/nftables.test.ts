/**
 * nf_tables batches: the frame (batch begin / end around acknowledged messages), the drop rule's
 * expressions against their bytes, and in a scratch namespace that the kernel applies them
 * (traffic to a blocked address is dropped, to others not, and removing the table undoes it).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { blockMessages, encodeBatch, removeTableMessages } from '../../src/net/netlink/nftables.js';
import { decodeMessages } from '../../src/net/netlink/message.js';
import * as K from '../../src/net/netlink/constants.js';
import { namespaceSkipReason } from '../support/namespace.js';

const run = promisify(execFile);

test('a batch is begin, the messages (each acknowledged, consecutive sequence numbers), end', () => {
  const { datagram, seqs } = encodeBatch(blockMessages(4, ['192.0.2.10', '192.0.2.11']), 100);
  const { messages, malformed } = decodeMessages(datagram);
  assert.equal(malformed, undefined);
  assert.deepEqual(messages.map((m) => m.type), [0x10, 0x0a00, 0x0a03, 0x0a08, 0x0a06, 0x0a06, 0x11]);
  assert.deepEqual(messages.map((m) => m.seq), [100, 101, 102, 103, 104, 105, 106]);
  assert.deepEqual(seqs, [101, 102, 103, 104, 105]);
  for (const m of messages.slice(1, -1)) assert.ok((m.flags & K.NLM_F_ACK) !== 0);
  // nfgenmsg: family NFPROTO_IPV4 (2), version 0; the batch markers name the nftables subsystem (10).
  assert.deepEqual([...(messages[1]?.payload.subarray(0, 4) ?? [])], [2, 0, 0, 0]);
  assert.deepEqual([...(messages[0]?.payload.subarray(0, 4) ?? [])], [0, 0, 0, 10]);
});

test('the drop rule loads the destination address (offset 16, 4 bytes) and compares it with the VIP', () => {
  const rule = blockMessages(4, ['192.0.2.10'])[3];
  const hex = rule?.payload.toString('hex') ?? '';
  assert.ok(hex.includes(Buffer.from('payload\0').toString('hex')));
  assert.ok(hex.includes('00000010' + '0800' + '0400' + '00000004'), 'offset 16 then length 4, big-endian');
  assert.ok(hex.includes('c000020a'), 'the VIP bytes');
  const rule6 = blockMessages(6, ['2001:db8::1'])[3]?.payload.toString('hex') ?? '';
  assert.ok(rule6.includes('00000018' + '0800' + '0400' + '00000010'), 'IPv6: offset 24, 16 bytes');
  assert.deepEqual(removeTableMessages(6).map((m) => m.type & 0xff), [0, 2]);
});

const skipReason = namespaceSkipReason;

test('in a namespace: a blocked address stops answering, others do not, and removing the table undoes it', { skip: skipReason() }, async () => {
  const ns = `hsnft-${process.pid}`;
  const inNs = async (...args: string[]) => (await run('ip', ['netns', 'exec', ns, ...args], { timeout: 20_000 })).stdout;
  const fixture = fileURLToPath(new URL('./fixtures/nftables-block.js', import.meta.url));
  const answers = async (address: string) => {
    try {
      await inNs('ping', '-c', '1', '-W', '1', address);
      return true;
    } catch {
      return false;
    }
  };
  await run('ip', ['netns', 'add', ns]);
  try {
    await inNs('ip', 'link', 'set', 'lo', 'up');
    await inNs('ip', 'addr', 'add', '10.99.5.5/32', 'dev', 'lo');
    await inNs('ip', 'addr', 'add', '10.99.5.6/32', 'dev', 'lo');
    await inNs('ip', 'addr', 'add', 'fd00:99:5::5/128', 'dev', 'lo', 'nodad');
    assert.deepEqual(JSON.parse(await inNs(process.execPath, fixture, 'block4', '10.99.5.5')), { ok: true });
    assert.deepEqual(JSON.parse(await inNs(process.execPath, fixture, 'block6', 'fd00:99:5::5')), { ok: true });
    assert.deepEqual([await answers('10.99.5.5'), await answers('10.99.5.6'), await answers('fd00:99:5::5')], [false, true, false]);
    assert.deepEqual(JSON.parse(await inNs(process.execPath, fixture, 'block4')), { ok: true }, 'an empty block list empties the chain');
    assert.equal(await answers('10.99.5.5'), true);
    assert.deepEqual(JSON.parse(await inNs(process.execPath, fixture, 'remove')), { ok: true });
    assert.deepEqual(JSON.parse(await inNs(process.execPath, fixture, 'remove')), { ok: true }, 'removing twice is fine');
    assert.equal(await answers('fd00:99:5::5'), true);
  } finally {
    await run('ip', ['netns', 'del', ns]).catch(() => undefined);
  }
});
