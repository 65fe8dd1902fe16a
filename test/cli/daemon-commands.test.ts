/**
 * status, events, reload and maintenance, run as processes against a fake daemon's control socket.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ConflictError } from '../../src/api/daemon-control.js';
import { cli, startCli, startFakeDaemon, waitFor, type FakeDaemon } from './support.js';

let daemon: FakeDaemon;
before(async () => {
  daemon = await startFakeDaemon();
});
after(() => daemon.stop());

const emptyDir = mkdtempSync(join(tmpdir(), 'hs-cli-none-'));
after(() => rmSync(emptyDir, { recursive: true, force: true }));

test('status: instance table with a checks summary, then the checks', async () => {
  const run = await cli('status', '--runtime-dir', daemon.runtimeDir);
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stdout.trimEnd().split('\n');
  assert.match(lines[0] ?? '', /^INSTANCE\s+VRID\s+IFACE\s+STATE\s+PRIO\s+EFF\s+MASTER\s+VIPS\s+CHECKS\s+DROPS$/);
  assert.match(lines[1] ?? '', /^web\s+51\s+eth0\s+MASTER\s+150\s+130\s+192\.0\.2\.1\s+192\.0\.2\.10\/32\s+1\/2 ok\s+4$/);
  assert.match(lines[2] ?? '', /^db\s+52\s+eth1\s+BACKUP\s+100\s+100\s+192\.0\.2\.2\s+198\.51\.100\.20\/24\s+1\/1 ok\s+0$/);
  assert.equal(lines[3], '');
  assert.match(lines[4] ?? '', /^CHECK\s+KIND\s+STATE\s+LAST\s+LATENCY\s+TRACKED BY\s+DETAIL$/);
  assert.match(lines[5] ?? '', /^chk_haproxy\s+exec\s+healthy\s+ok\s+12ms\s+web\(0\),db\(0\)\s+exit 0$/);
  assert.match(lines[6] ?? '', /^chk_api\s+http\s+FAILED\s+fail\s+250ms\s+web\(-20\)\s+status 503$/);
});

test('status --json keeps exactly its documented shape', async () => {
  const run = await cli('status', '--json', '--runtime-dir', daemon.runtimeDir);
  assert.equal(run.code, 0, run.stderr);
  const parsed = JSON.parse(run.stdout);
  assert.deepEqual(Object.keys(parsed), ['instances']);
  for (const instance of parsed.instances) {
    assert.deepEqual(Object.keys(instance), ['name', 'vrid', 'interface', 'state', 'priority', 'effectivePriority', 'vips', 'masterAddress', 'drops']);
  }
  assert.deepEqual(parsed.instances[0], {
    name: 'web',
    vrid: 51,
    interface: 'eth0',
    state: 'MASTER',
    priority: 150,
    effectivePriority: 130,
    vips: ['192.0.2.10/32'],
    masterAddress: '192.0.2.1',
    drops: JSON.parse(JSON.stringify(daemon.control.instances[0]?.drops)),
  });
});

test('without a daemon: exit 69 and a message naming the socket; bad usage: 64', async () => {
  const run = await cli('status', '--runtime-dir', emptyDir);
  assert.equal(run.code, 69);
  assert.match(run.stderr, new RegExp(`No daemon is running with control socket ${emptyDir}/control.sock`));
  for (const command of ['status', 'events', 'reload', 'maintenance']) {
    const bad = await cli(command, '--bogus');
    assert.equal(bad.code, 64, command);
    assert.match(bad.stderr, /Unknown option '--bogus'/);
    const help = await cli(command, '--help');
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Exit codes: 0 /, `${command} --help documents its exit codes`);
  }
});

test('events: the kept events, as lines or JSON, after --since', async () => {
  const text = await cli('events', '--runtime-dir', daemon.runtimeDir);
  assert.equal(text.code, 0, text.stderr);
  const lines = text.stdout.trimEnd().split('\n');
  assert.equal(lines.length, 3);
  assert.match(lines[1] ?? '', /^2025-01-01T00:00:01\.000Z {2}#2 transition\s+web\s+BACKUP → MASTER$/);

  const json = await cli('events', '--json', '--since', '1', '--runtime-dir', daemon.runtimeDir);
  assert.equal(json.code, 0, json.stderr);
  const events = json.stdout.trimEnd().split('\n').map((l) => JSON.parse(l));
  assert.deepEqual(
    events.map((e) => e.seq),
    [2, 3],
  );
  assert.equal((await cli('events', '--since', 'soon', '--runtime-dir', daemon.runtimeDir)).code, 64);
});

test('events --follow prints new events as they happen and leaves cleanly on SIGINT', async () => {
  const { control } = daemon;
  const since = control.eventList.length;
  const follower = startCli('events', '--follow', '--json', '--since', String(since), '--runtime-dir', daemon.runtimeDir);
  try {
    await waitFor(() => control.listeners.size === 1, 'the CLI to subscribe');
    control.emit('transition', 'MASTER → BACKUP', 'web');
    control.emit('reload', 'Configuration reloaded');
    await waitFor(() => follower.stdout().trimEnd().split('\n').length === 2, 'two events printed');
    const printed = follower.stdout().trimEnd().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(
      printed.map((e) => [e.seq, e.message]),
      [
        [since + 1, 'MASTER → BACKUP'],
        [since + 2, 'Configuration reloaded'],
      ],
    );
    follower.child.kill('SIGINT');
    assert.equal(await follower.exited, 0, follower.stderr());
    await waitFor(() => control.listeners.size === 0, 'the stream to unsubscribe');
  } finally {
    follower.child.kill('SIGKILL');
  }
});

test('events --follow exits 69 when the daemon ends the stream', async () => {
  const other = await startFakeDaemon();
  const follower = startCli('events', '--follow', '--runtime-dir', other.runtimeDir);
  try {
    await waitFor(() => other.control.listeners.size === 1, 'the CLI to subscribe');
    await other.stop();
    assert.equal(await follower.exited, 69);
    assert.match(follower.stderr(), /closed the stream/);
  } finally {
    follower.child.kill('SIGKILL');
  }
});

test('reload: 0 with what changed; 1 with the error when the daemon refuses the new file', async () => {
  const { control } = daemon;
  control.reloadAnswer = async () => ({ ok: true, message: 'Configuration reloaded', changes: ['instance web: priority 150 -> 160'] });
  const ok = await cli('reload', '--runtime-dir', daemon.runtimeDir);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.stdout, 'Configuration reloaded\n  instance web: priority 150 -> 160\n');

  control.reloadAnswer = async () => ({ ok: false, message: '/etc/hotstandby/hs.yaml:4: vrid: Virtual router id 300 is out of range', changes: [] });
  const refused = await cli('reload', '--runtime-dir', daemon.runtimeDir);
  assert.equal(refused.code, 1);
  assert.equal(refused.stderr, 'hotstandby reload: refused: /etc/hotstandby/hs.yaml:4: vrid: Virtual router id 300 is out of range\n');

  const json = await cli('reload', '--json', '--runtime-dir', daemon.runtimeDir);
  assert.equal(json.code, 1);
  assert.equal(JSON.parse(json.stdout).ok, false);

  control.reloadAnswer = async () => {
    throw new ConflictError('A reload is already running');
  };
  const busy = await cli('reload', '--runtime-dir', daemon.runtimeDir);
  assert.equal(busy.code, 1);
  assert.match(busy.stderr, /A reload is already running/);
});

test('maintenance on INSTANCE, off for all; unknown instance exits 1; on/off is required', async () => {
  const { control } = daemon;
  control.maintenanceCalls = [];
  const on = await cli('maintenance', 'on', 'web', '--runtime-dir', daemon.runtimeDir);
  assert.equal(on.code, 0, on.stderr);
  assert.equal(on.stdout, 'web: maintenance on\n');

  const off = await cli('maintenance', 'off', '--json', '--runtime-dir', daemon.runtimeDir);
  assert.equal(off.code, 0, off.stderr);
  assert.deepEqual(
    off.stdout.trimEnd().split('\n').map((l) => JSON.parse(l)),
    [
      { instance: 'web', maintenance: false },
      { instance: 'db', maintenance: false },
    ],
  );
  assert.deepEqual(control.maintenanceCalls, [
    ['web', true],
    ['web', false],
    ['db', false],
  ]);

  const unknown = await cli('maintenance', 'on', 'nope', '--runtime-dir', daemon.runtimeDir);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /nope: No instance named 'nope'/);

  const usage = await cli('maintenance', 'maybe', '--runtime-dir', daemon.runtimeDir);
  assert.equal(usage.code, 64);
  assert.match(usage.stderr, /expected on or off, got 'maybe'/);
});
