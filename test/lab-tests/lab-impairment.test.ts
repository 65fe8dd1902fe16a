/**
 * Loss and delay through the userspace relay (this kernel has no netem): 20 % loss loses about a
 * fifth of 500 pings, 30 ms delay adds about 30 ms of round trip, and ordinary traffic still passes.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { CommandError, Lab, labUnavailableReason, nativeAddonUnavailableReason, waitFor } from '../../src/lab/index.js';

const skip = labUnavailableReason() ?? nativeAddonUnavailableReason() ?? false;

let lab: Lab;
before(async () => {
  if (!skip) lab = await Lab.create({ hosts: ['a', 'client'], seed: 20_240_501 });
});
after(async () => {
  await lab?.destroy();
});

/**
 * Shortest round trip to `target` from the client over about a second of 10 ms probes: the
 * relay's delay plus the wire. On a loaded machine the average also has the relay's and the
 * prober's waits for a CPU; the shortest of a hundred is the probe that did not wait.
 */
async function shortestRtt(target: string): Promise<number> {
  const prober = await lab.startProber('client', target, { intervalMs: 10 });
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const report = await prober.stop();
  assert.ok(report.rttMs, 'replies came back');
  return report.rttMs.min;
}

/** iputils ping's own count of sent and received, so the relay is checked by a tool that is not ours. */
async function pingLoss(target: string, count: number): Promise<{ sent: number; received: number }> {
  let stdout: string;
  try {
    ({ stdout } = await lab.exec('client', ['ping', '-n', '-q', '-c', String(count), '-i', '0.005', '-W', '1', target], { timeoutMs: 60_000 }));
  } catch (error) {
    if (!(error instanceof CommandError)) throw error;
    stdout = error.stdout; // ping exits 1 when some replies are missing
  }
  const match = /(\d+) packets transmitted, (\d+) received/.exec(stdout);
  assert.ok(match, `ping summary in: ${stdout}`);
  return { sent: Number(match[1]), received: Number(match[2]) };
}

test('30 ms delay adds about 30 ms of round trip', { skip }, async (t) => {
  const target = lab.host('a').ipv4;
  const baseline = await shortestRtt(target);
  await lab.setImpairment('a', { delayMs: 30 });
  const delayed = await shortestRtt(target);
  t.diagnostic(`shortest round trip ${baseline.toFixed(2)} ms → ${delayed.toFixed(2)} ms with 30 ms delay`);
  assert.ok(baseline < 5, `baseline ${baseline} ms`);
  assert.ok(delayed - baseline > 28 && delayed - baseline < 40, `added ${delayed - baseline} ms`);

  await lab.setImpairment('a', { delayMs: 30, direction: 'both' });
  const both = await shortestRtt(lab.host('a').ipv6 as string);
  t.diagnostic(`shortest round trip ${both.toFixed(2)} ms with 30 ms each way (IPv6)`);
  assert.ok(both > 58 && both < 75, `both ways ${both} ms`);
});

test('20 % loss loses about a fifth of 500 pings', { skip }, async (t) => {
  await lab.setImpairment('a', { lossPercent: 20 });
  const before = await lab.impairmentStats('a');
  const { sent, received } = await pingLoss(lab.host('a').ipv4, 500);
  const after = await lab.impairmentStats('a');
  const lost = (sent - received) / sent;
  t.diagnostic(`${sent - received} of ${sent} pings lost (${(lost * 100).toFixed(1)} %)`);
  assert.equal(sent, 500);
  // Binomial: 100 ± 9 expected losses; ±3.8 σ.
  assert.ok(lost > 0.13 && lost < 0.27, `lost ${lost}`);
  assert.ok(before && after);
  const dropped = after.fromHost.dropped - before.fromHost.dropped;
  // The relay's count includes the odd ARP or neighbour probe the host sent meanwhile.
  assert.ok(Math.abs(dropped - (sent - received)) <= 5, `the relay dropped ${dropped} frames for ${sent - received} lost pings`);
  assert.equal(after.toHost.dropped, 0, 'only the direction asked for is impaired');
});

test('with the impairment cleared the relay is a plain wire, also for TCP', { skip }, async () => {
  await lab.setImpairment('a', {});
  const { sent, received } = await pingLoss(lab.host('a').ipv4, 100);
  assert.equal(received, sent);
  // TCP relies on the relay completing offloaded checksums and on segments that fit a frame.
  const server = lab.spawn('a', [process.execPath, '-e', `
    require('node:net').createServer((c) => { let n = 0; c.on('data', (d) => (n += d.length)); c.on('end', () => c.end(String(n))); })
      .listen(7001, () => console.log('listening'));`], { name: 'tcp-server' });
  await server.waitForLine(/listening/);
  const { stdout } = await lab.exec('client', [process.execPath, '-e', `
    const c = require('node:net').connect(7001, ${JSON.stringify(lab.host('a').ipv4)}, () => c.end(Buffer.alloc(1_000_000, 7)));
    let answer = ''; c.on('data', (d) => (answer += d)); c.on('end', () => console.log(answer));`], { timeoutMs: 20_000 });
  assert.equal(stdout.trim(), '1000000');
  await server.stop();
});

test('both kinds of cut also hold for an impaired host', { skip }, async () => {
  const target = lab.host('a').ipv4;
  for (const carrier of [true, false]) {
    await lab.cutLink('a', { carrier });
    const cut = await pingLoss(target, 5);
    assert.equal(cut.received, 0, `nothing passes a cut with carrier ${carrier}`);
    await lab.healLink('a');
    await waitFor(async () => (await pingLoss(target, 5)).received === 5, { description: `traffic after healing a cut with carrier ${carrier}` });
  }
});
