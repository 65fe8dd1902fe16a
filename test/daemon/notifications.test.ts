import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closeSync, constants, existsSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../../src/lab/wait-for.js';
import type { GlobalConfig } from '../../src/config/model.js';
import { EventLog } from '../../src/daemon/event-log.js';
import { silentLogger } from '../../src/daemon/logger.js';
import type { InstanceRunner } from '../../src/daemon/instance-runner.js';
import { Notifications } from '../../src/daemon/notifications.js';
import { FakeTime } from '../support/fake-time.js';
import { instanceConfig } from '../support/instance-config.js';

const global: GlobalConfig = { multicastGroup4: '224.0.0.18', multicastGroup6: 'ff02::12', enableScriptSecurity: false, startupDelayMs: 0, processPriority: -10, garp: instanceConfig().garp };
const group = { name: 'front', instances: [], notify: {}, source: { file: 't.conf', line: 1 } };

/** What is waiting in a FIFO (read without blocking). */
function drain(path: string): string {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const buffer = Buffer.alloc(4096);
    let text = '';
    for (;;) {
      let n = 0;
      try {
        n = readSync(fd, buffer);
      } catch {
        break; // EAGAIN: nothing more
      }
      if (n === 0) break;
      text += buffer.subarray(0, n).toString();
    }
    return text;
  } finally {
    closeSync(fd);
  }
}

test('Notifications: a reload that changes notify_fifo sends lines to the new FIFO from apply() on, and removes the old one', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hs-notify-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const [first, second] = [join(dir, 'first.fifo'), join(dir, 'second.fifo')];
  const time = new FakeTime();
  const deps = { log: silentLogger, events: new EventLog({ wallClock: () => new Date(0) }), clock: time, timers: time, wallClock: () => new Date(0) };
  const notifications = await Notifications.open({ ...global, notifyFifo: first }, deps);
  t.after(() => notifications.close());
  notifications.groupChanged(group, 'MASTER');
  const prepared = await notifications.prepare({ ...global, notifyFifo: second });
  notifications.groupChanged(group, 'BACKUP');
  assert.equal(drain(second), '', 'nothing goes to the new FIFO before apply()');
  prepared.apply();
  notifications.groupChanged(group, 'FAULT');
  assert.equal(drain(second), 'GROUP "front" FAULT 0\n');
  await waitFor(() => !existsSync(first), { description: 'the FIFO this daemon made is removed once replaced' });
});

test('Notifications: a notify_fifo that cannot be opened refuses the reload, naming the key', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hs-notify-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const notAFifo = join(dir, 'plain-file');
  writeFileSync(notAFifo, '');
  const time = new FakeTime();
  const notifications = await Notifications.open(global, { log: silentLogger, events: new EventLog({ wallClock: () => new Date(0) }), clock: time, timers: time, wallClock: () => new Date(0) });
  t.after(() => notifications.close());
  await assert.rejects(notifications.prepare({ ...global, notifyFifo: notAFifo }), /notifyFifo \(notify_fifo\): cannot open .*plain-file.*not a FIFO/);
});

test('Notifications: a master hearing another master is a split-brain event, but not during a hand-over, and not again within 30 s', async (t) => {
  const time = new FakeTime();
  const events = new EventLog({ wallClock: () => new Date(0) });
  const notifications = await Notifications.open(global, { log: silentLogger, events, clock: time, timers: time, wallClock: () => new Date(0) });
  t.after(() => notifications.close());
  const config = instanceConfig({ name: 'web', advertIntervalMs: 1000 });
  const runner = { config, status: () => ({ effectivePriority: 100 }) } as unknown as InstanceRunner;
  const became = (to: 'MASTER' | 'BACKUP') => notifications.instanceChanged({ instance: 'web', time: '', from: to === 'MASTER' ? 'BACKUP' : 'MASTER', to, reason: 'test' }, runner);
  const splitBrains = () => events.since().filter((e) => e.type === 'split-brain').length;
  became('MASTER');
  time.advanceBy(500);
  notifications.masterHeardLowerPriority(runner);
  assert.equal(splitBrains(), 0, 'just took over: the old master (in maintenance, priority 1) hands over');
  time.advanceBy(10_000);
  notifications.masterHeardLowerPriority(runner);
  assert.equal(splitBrains(), 1, 'master for 10 s and another master appears: a split brain (healing)');
  assert.match(events.since().at(-1)?.message ?? '', /split brain: this master \(priority 100\) heard another master's advert/);
  time.advanceBy(5000);
  notifications.masterHeardLowerPriority(runner);
  assert.equal(splitBrains(), 1, 'once in 30 s');
  time.advanceBy(30_000);
  notifications.masterHeardLowerPriority(runner);
  assert.equal(splitBrains(), 2);
});

test('Notifications: another MAC claiming a VIP of a master is an address-conflict event naming the MAC and the VIPs', async (t) => {
  const time = new FakeTime();
  const events = new EventLog({ wallClock: () => new Date(0) });
  const notifications = await Notifications.open(global, { log: silentLogger, events, clock: time, timers: time, wallClock: () => new Date(0) });
  t.after(() => notifications.close());
  const config = instanceConfig({ name: 'web' });
  const runner = { config } as unknown as InstanceRunner;
  notifications.addressClaimed(runner, '02:00:00:00:00:99', 2000);
  const [record] = events.since().filter((e) => e.type === 'address-conflict');
  assert.equal(record?.instance, 'web');
  assert.equal(record?.message, 'address conflict: 02:00:00:00:00:99 announces a VIP of this master; it announces its VIPs again in 2000 ms');
  assert.deepEqual(record?.fields, { claimedBy: '02:00:00:00:00:99', inMs: 2000, vips: config.vips.map((v) => v.address) });
});
