import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CheckSet } from '../../src/check/check-set.js';
import { createInterfaceProbe } from '../../src/check/interface-probe.js';
import type { CheckConfig } from '../../src/config/check-model.js';
import { keepingLogger, probeTime, realTime, waitFor } from './helpers.js';

const signal = () => new AbortController().signal;

/** A fake /sys/class/net with one interface. */
async function fakeSys(t: TestContext, name: string, files: { flags: string; carrier?: string; operstate: string }): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'hs-sysnet-'));
  t.after(() => rm(root, { recursive: true, force: true }));
  await mkdir(join(root, name));
  await writeFile(join(root, name, 'flags'), `${files.flags}\n`);
  if (files.carrier !== undefined) await writeFile(join(root, name, 'carrier'), `${files.carrier}\n`);
  await writeFile(join(root, name, 'operstate'), `${files.operstate}\n`);
  return root;
}

test('interface: lo is up (IFF_UP and carrier; its operstate is "unknown")', async () => {
  const result = await createInterfaceProbe({ interface: 'lo', timeoutMs: 1000 }, probeTime).run(signal());
  assert.equal(result.ok, true, result.detail);
  assert.equal(result.detail, 'lo is up (operstate unknown)');
});

test('interface: a missing interface fails', async () => {
  const result = await createInterfaceProbe({ interface: 'hs-none0', timeoutMs: 1000 }, probeTime).run(signal());
  assert.deepEqual([result.ok, result.detail], [false, 'interface hs-none0 does not exist']);
});

test('interface: administratively down, and up without carrier, both fail', async (t) => {
  const down = await fakeSys(t, 'eth1', { flags: '0x1002', operstate: 'down' }); // no carrier file: EINVAL when down
  const a = await createInterfaceProbe({ interface: 'eth1', timeoutMs: 1000 }, probeTime, { sysClassNet: down }).run(signal());
  assert.deepEqual([a.ok, a.detail], [false, 'eth1 is administratively down (operstate down)']);
  const noCarrier = await fakeSys(t, 'eth1', { flags: '0x1003', carrier: '0', operstate: 'down' });
  const b = await createInterfaceProbe({ interface: 'eth1', timeoutMs: 1000 }, probeTime, { sysClassNet: noCarrier }).run(signal());
  assert.deepEqual([b.ok, b.detail], [false, 'eth1 has no carrier (operstate down)']);
  const up = await fakeSys(t, 'eth1', { flags: '0x1003', carrier: '1', operstate: 'up' });
  const c = await createInterfaceProbe({ interface: 'eth1', timeoutMs: 1000 }, probeTime, { sysClassNet: up }).run(signal());
  assert.deepEqual([c.ok, c.detail], [true, 'eth1 is up (operstate up)']);
});

test('interface: a pushed link change probes at once, not at the next interval', async (t) => {
  const root = await fakeSys(t, 'eth1', { flags: '0x1003', carrier: '1', operstate: 'up' });
  const config: CheckConfig = {
    kind: 'interface', name: 'uplink', interface: 'eth1', intervalMs: 60_000, timeoutMs: 1000,
    weight: -20, rise: 1, fall: 1, initFail: false, source: { file: 'test', line: 1 },
  };
  const checks = new CheckSet([config], { clock: realTime, timers: realTime, log: keepingLogger(), wallClock: () => new Date(), sysClassNet: root });
  t.after(() => checks.stop());
  const runner = checks.get('uplink');
  assert.ok(runner);
  checks.start();
  await waitFor(() => runner.status().runs === 1, 'the first probe');
  assert.equal(runner.healthy, true);
  await writeFile(join(root, 'eth1', 'carrier'), '0\n');
  checks.notifyLinkChange('eth0', false); // another interface: nothing
  checks.notifyLinkChange('eth1', false);
  await waitFor(() => runner.status().runs === 2, 'the pushed probe');
  assert.equal(runner.healthy, false);
  assert.deepEqual(runner.contribution(), { delta: -20 });
  assert.equal(runner.status().runs, 2, 'eth0 did not cause a probe');
});
