/** The lab's wiring: hosts reach each other, link cuts of both kinds, captures, managed processes. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CommandError, Lab, labUnavailableReason, tcpdumpUnavailableReason, waitFor } from '../../src/lab/index.js';
import { run } from '../../src/lab/shell.js';

const skip = labUnavailableReason() ?? false;

/** Whether one quick ping from `from` to `to` is answered. */
async function reaches(lab: Lab, from: string, to: string): Promise<boolean> {
  const family = to.includes(':') ? ['-6'] : [];
  const scope = to.startsWith('fe80:') ? ['-I', 'eth0'] : [];
  try {
    await lab.exec(from, ['ping', ...family, ...scope, '-n', '-c', '1', '-W', '1', to]);
    return true;
  } catch (error) {
    if (error instanceof CommandError) return false;
    throw error;
  }
}

async function linkFlags(lab: Lab, host: string): Promise<string> {
  return (await lab.exec(host, ['ip', '-o', 'link', 'show', 'eth0'])).stdout;
}

let lab: Lab;
before(async () => {
  if (!skip) lab = await Lab.create({ hosts: ['a', 'b'] });
});
after(async () => {
  await lab?.destroy();
});

test('hosts reach each other over IPv4, IPv6 and link-local addresses', { skip }, async () => {
  const a = lab.host('a');
  const b = lab.host('b');
  for (const [from, to] of [
    ['a', b],
    ['b', a],
  ] as const) {
    for (const address of [to.ipv4, to.ipv6, to.linkLocal]) {
      assert.ok(address, `${to.name} has every address`);
      const { stdout } = await lab.exec(from, ['ping', ...(address.includes(':') ? ['-6', '-I', 'eth0'] : []), '-n', '-c', '2', '-i', '0.2', '-W', '2', address]);
      assert.match(stdout, /2 packets transmitted, 2 received/, `${from} → ${address}`);
    }
  }
  assert.equal(await lab.arpEntry('a', b.ipv4), b.mac, "a learned b's MAC");
  assert.equal(await lab.arpEntry('a', '10.99.0.77'), undefined);
});

test('exec reports a failing command with its stderr', { skip }, async () => {
  await assert.rejects(lab.exec('a', ['ip', 'link', 'show', 'nosuchdev']), (error: unknown) => {
    assert.ok(error instanceof CommandError);
    assert.match(error.message, /nosuchdev/);
    assert.match(error.stderr, /does not exist/);
    return true;
  });
});

test('a cut with carrier loss takes the host link down; healing restores it', { skip }, async () => {
  const b = lab.host('b');
  await lab.cutLink('b');
  assert.match(await linkFlags(lab, 'b'), /NO-CARRIER/);
  assert.equal(await reaches(lab, 'a', b.ipv4), false);
  await assert.rejects(lab.cutLink('b'), /already cut/);
  await lab.healLink('b');
  await waitFor(async () => !(await linkFlags(lab, 'b')).includes('NO-CARRIER'), { description: "b's carrier" });
  await waitFor(() => reaches(lab, 'a', b.ipv4), { description: 'a reaching b again' });
});

test('a cut without carrier loss keeps the host link up but passes nothing', { skip }, async () => {
  const b = lab.host('b');
  await lab.cutLink('b', { carrier: false });
  const flags = await linkFlags(lab, 'b');
  assert.match(flags, /LOWER_UP/);
  assert.doesNotMatch(flags, /NO-CARRIER/);
  assert.equal(await reaches(lab, 'a', b.ipv4), false);
  assert.equal(await reaches(lab, 'a', b.ipv6 as string), false);
  await lab.healLink('b');
  await waitFor(() => reaches(lab, 'a', b.ipv4), { description: 'a reaching b again' });
});

test('spawn logs the output and stop ends the process', { skip }, async () => {
  const child = lab.spawn('a', ['sh', '-c', 'echo hello from $(ip -o link show eth0 | cut -d: -f2); exec sleep 600'], { name: 'greeter' });
  const line = await child.waitForLine(/hello from/);
  assert.match(line, /hello from eth0/, 'it runs inside the host namespace');
  const exit = await child.stop();
  assert.equal(exit.signal, 'SIGTERM');
  assert.equal(child.running, false);
  assert.match(await child.readLog(), /hello from eth0/);
});

test('capture records the frames on a host into a pcap file', { skip: tcpdumpUnavailableReason() ?? false }, async () => {
  const capture = await lab.capture('b', 'icmp');
  await lab.exec('a', ['ping', '-n', '-c', '3', '-i', '0.2', lab.host('b').ipv4]);
  // tcpdump writes each packet as it reads it (-U); on a loaded machine it may still be reading
  // when ping is done, and what it has not read at SIGINT is not in the file.
  const counts = async () => {
    const { stdout } = await run(['tcpdump', '-n', '-r', capture.path]);
    return { requests: stdout.match(/ICMP echo request/g)?.length ?? 0, replies: stdout.match(/ICMP echo reply/g)?.length ?? 0 };
  };
  await waitFor(async () => {
    const { requests, replies } = await counts();
    return requests >= 3 && replies >= 3;
  }, { description: 'three echo requests and replies in the capture file' }).catch(() => undefined);
  await capture.stop();
  assert.deepEqual(await counts(), { requests: 3, replies: 3 });
});
