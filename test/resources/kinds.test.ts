import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { processRunner, type CommandRunner } from '../../src/resources/kinds/command.js';
import { ExecDriver } from '../../src/resources/kinds/exec.js';
import { MountDriver } from '../../src/resources/kinds/mount.js';
import { deviceNumber, parseMountinfo } from '../../src/resources/kinds/mountinfo.js';
import { SystemdDriver } from '../../src/resources/kinds/systemd.js';
import type { OperationContext, ResourceHost } from '../../src/resources/resource.js';
import { quietLog } from './fakes.js';

const clock = { now: () => performance.now() };
const ctx = (signal = new AbortController().signal): OperationContext => ({ signal, log: quietLog });

const host: ResourceHost = {
  name: 'app',
  follows: { instance: 'VI_1' },
  vips: () => [{ instance: 'VI_1', address: '10.0.0.10', prefixLength: 24, family: 4, device: 'eth0' }],
  peers: () => ['10.0.0.2'],
  masterAddress: () => '10.0.0.2',
  stateDir: '/run/hotstandby/resources/app',
  enforceScriptSecurity: false,
  clock,
  timers: { at: (deadline, fn) => { const t = setTimeout(fn, Math.max(0, deadline - clock.now())); return () => clearTimeout(t); } },
  log: quietLog,
};

describe('exec kind', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hs-exec-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const sh = (script: string) => ['/bin/sh', '-c', script];
  const driver = (commands: Record<string, string[]>) => new ExecDriver({ commands }, host, processRunner(clock));

  it('runs each operation with the resource, role and VIPs in its environment', async () => {
    const out = join(dir, 'env');
    await driver({ promote: sh(`env | grep ^HOTSTANDBY_ | sort > ${out}`) }).promote(ctx());
    assert.deepEqual(readFileSync(out, 'utf8').trim().split('\n'), [
      'HOTSTANDBY_INSTANCE=VI_1',
      'HOTSTANDBY_MASTER=10.0.0.2',
      'HOTSTANDBY_OPERATION=promote',
      'HOTSTANDBY_RESOURCE=app',
      'HOTSTANDBY_STATE_DIR=/run/hotstandby/resources/app',
      'HOTSTANDBY_VIPS=10.0.0.10/24',
    ]);
  });

  it('a non-zero exit fails the operation with its status and output; none configured does nothing', async () => {
    await assert.rejects(driver({ demote: sh('echo cannot demote >&2; exit 3') }).demote(ctx()), /exited with status 3: cannot demote/);
    await driver({ demote: sh('exit 0') }).stop(ctx());
  });

  it('monitor: 0 healthy, 100 healthy but not eligible (why on the first line), other unhealthy; gauge lines', async () => {
    assert.deepEqual(await driver({ promote: ['true'], monitor: sh('echo gauge lag_bytes 42; echo streaming') }).monitor(ctx()), { healthy: true, gauges: { lag_bytes: 42 }, detail: 'streaming' });
    assert.deepEqual(await driver({ promote: ['true'], monitor: sh('echo timeline 3 behind 4; exit 100') }).monitor(ctx()), {
      healthy: true,
      gauges: {},
      eligibility: { eligible: false, reason: 'timeline 3 behind 4' },
      detail: 'timeline 3 behind 4',
    });
    assert.deepEqual(await driver({ promote: ['true'], monitor: sh('echo down; exit 1') }).monitor(ctx()), { healthy: false, gauges: {}, detail: 'exit status 1: down' });
    assert.deepEqual(await driver({ promote: ['true'] }).monitor(ctx()), { healthy: true });
  });

  it('an aborted operation kills the command and what it started', async () => {
    const pidFile = join(dir, 'child.pid');
    const abort = new AbortController();
    const running = driver({ promote: sh(`sleep 600 & echo $! > ${pidFile}; wait`) }).promote(ctx(abort.signal));
    while (!existsSync(pidFile) || readFileSync(pidFile, 'utf8').trim() === '') await new Promise((r) => setTimeout(r, 20));
    const child = Number(readFileSync(pidFile, 'utf8'));
    abort.abort(new Error('promote timed out after 2000 ms'));
    await assert.rejects(running, /promote timed out/);
    for (let i = 0; i < 100 && alive(child); i++) await new Promise((r) => setTimeout(r, 20));
    assert.ok(!alive(child), 'the background sleep was killed with the group');
  });
});

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('systemd kind (injected systemctl)', () => {
  function fake(active: { state: string }) {
    const calls: string[] = [];
    const run: CommandRunner = async (command) => {
      calls.push(command.slice(1).join(' '));
      if (command[1] === 'is-active') return { exitCode: active.state === 'active' ? 0 : 3, output: `${active.state}\n` };
      if (command[1] === 'start') active.state = 'active';
      if (command[1] === 'stop') active.state = 'inactive';
      return { exitCode: 0, output: '' };
    };
    return { calls, driver: new SystemdDriver({ unit: 'app.service', systemctl: 'systemctl' }, run) };
  }

  it('stops the unit at start, starts it on promote, stops it on demote', async () => {
    const unit = { state: 'active' };
    const { calls, driver } = fake(unit);
    await driver.start(ctx());
    assert.equal(unit.state, 'inactive', 'a unit left running on a backup is stopped');
    await driver.promote(ctx());
    assert.deepEqual(await driver.monitor(ctx()), { healthy: true, detail: 'app.service active' });
    await driver.demote(ctx());
    assert.deepEqual(calls, ['stop app.service', 'start app.service', 'is-active app.service', 'stop app.service']);
  });

  it('the monitor fails when the unit runs where it should not, or died where it should run', async () => {
    const unit = { state: 'inactive' };
    const { driver } = fake(unit);
    await driver.start(ctx());
    unit.state = 'active';
    assert.deepEqual(await driver.monitor(ctx()), { healthy: false, detail: 'app.service is active, should be inactive here' });
    await driver.promote(ctx());
    unit.state = 'failed';
    assert.deepEqual(await driver.monitor(ctx()), { healthy: false, detail: 'app.service is failed, should be active here' });
  });

  it('a failed systemctl fails the operation', async () => {
    const driver = new SystemdDriver({ unit: 'app.service', systemctl: 'systemctl' }, async () => ({ exitCode: 5, output: 'Unit app.service not found.' }));
    await assert.rejects(driver.promote(ctx()), /systemctl start app\.service exited with status 5: Unit app\.service not found\./);
  });

  const systemdSkip = readFileSync('/proc/1/comm', 'utf8').trim() !== 'systemd' ? `systemd is not PID 1 here (PID 1 is ${readFileSync('/proc/1/comm', 'utf8').trim()}): no real unit to start` : undefined;
  it('drives a real unit', { skip: systemdSkip }, async (t) => {
    const unitFile = '/run/systemd/system/hs-res-test.service';
    writeFileSync(unitFile, '[Service]\nExecStart=/bin/sleep 600\n');
    execFileSync('systemctl', ['daemon-reload']);
    t.after(() => {
      execFileSync('systemctl', ['stop', 'hs-res-test.service']);
      execFileSync('rm', ['-f', unitFile]);
      execFileSync('systemctl', ['daemon-reload']);
    });
    const driver = new SystemdDriver({ unit: 'hs-res-test.service', systemctl: 'systemctl' }, processRunner(clock));
    await driver.start(ctx());
    await driver.promote(ctx());
    assert.deepEqual(await driver.monitor(ctx()), { healthy: true, detail: 'hs-res-test.service active' });
    await driver.demote(ctx());
    assert.equal((await driver.monitor(ctx())).healthy, true);
    assert.notEqual(spawnSync('systemctl', ['is-active', 'hs-res-test.service'], { encoding: 'utf8' }).stdout.trim(), 'active');
  });
});

describe('mountinfo', () => {
  it('parses mount points, devices, types and sources, with octal escapes', () => {
    const text = '36 35 98:0 /mnt1 /mnt\\040two rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n40 36 0:45 / /run rw - tmpfs tmpfs rw\n';
    assert.deepEqual(parseMountinfo(text), [
      { device: '98:0', mountPoint: '/mnt two', fsType: 'ext3', source: '/dev/root' },
      { device: '0:45', mountPoint: '/run', fsType: 'tmpfs', source: 'tmpfs' },
    ]);
    assert.equal(deviceNumber(0x0700n), '7:0');
    assert.equal(deviceNumber((259n << 8n) | 1n), '259:1');
  });
});

const mountSkip = process.getuid?.() !== 0 ? 'needs root (loop device, mount namespace)' : !existsSync('/dev/loop-control') ? 'no loop devices here' : undefined;

describe('mount kind (a loop device in a private mount namespace)', { skip: mountSkip }, () => {
  it('mounts on promote only, refuses a device mounted elsewhere, unmounts on demote, kills users on stop', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'hs-mount-'));
    const image = join(dir, 'disk.img');
    writeFileSync(image, Buffer.alloc(0));
    execFileSync('truncate', ['-s', '16M', image]);
    execFileSync('mkfs.ext4', ['-q', '-F', image]);
    const loop = execFileSync('losetup', ['-f', '--show', image], { encoding: 'utf8' }).trim();
    const ns = spawn('unshare', ['--mount', '--propagation', 'private', 'sleep', '600'], { stdio: 'ignore' });
    t.after(() => {
      ns.kill('SIGKILL');
      try {
        execFileSync('losetup', ['-d', loop]);
      } catch {
        // already detached
      }
      rmSync(dir, { recursive: true, force: true });
    });
    // unshare has exec'd sleep once its mount namespace differs from ours.
    while (readLink(`/proc/${ns.pid}/ns/mnt`) === readLink('/proc/self/ns/mnt')) await new Promise((r) => setTimeout(r, 20));
    const inNs = processRunner(clock);
    const run: CommandRunner = (command, options) => inNs(['nsenter', '-t', String(ns.pid), '-m', '--', ...command], options);
    const host = { run, mountinfo: () => readFile(`/proc/${ns.pid}/mountinfo`, 'utf8'), deviceNumber: async (path: string) => { const { stat } = await import('node:fs/promises'); const s = await stat(path, { bigint: true }); return s.isBlockDevice() ? deviceNumber(s.rdev) : undefined; } };
    const mountPoint = join(dir, 'data');
    const other = join(dir, 'other');
    execFileSync('mkdir', [mountPoint, other]);
    const driver = new MountDriver({ device: loop, mountPoint, fsType: 'ext4', options: 'defaults', killUsers: true }, host);

    await driver.start(ctx());
    assert.deepEqual(await driver.monitor(), { healthy: true, detail: 'not mounted here' });
    await driver.promote(ctx());
    assert.deepEqual(await driver.monitor(), { healthy: true, detail: `${loop} on ${mountPoint} mounted` });
    await driver.promote(ctx()); // idempotent
    await driver.demote(ctx());
    assert.deepEqual(await driver.monitor(), { healthy: true, detail: 'not mounted here' });

    // Someone mounted the device elsewhere on this host: promote refuses, the monitor says so.
    await run(['mount', loop, other], { signal: new AbortController().signal });
    await assert.rejects(driver.promote(ctx()), new RegExp(`refusing to mount ${loop}: already mounted on ${other}`));
    assert.deepEqual(await driver.monitor(), { healthy: false, detail: `${loop} is mounted on ${other}` });
    await run(['umount', other], { signal: new AbortController().signal });

    // A process keeps the filesystem busy: demote fails, stop kills it and unmounts.
    await driver.promote(ctx());
    const user = spawn('nsenter', ['-t', String(ns.pid), '-m', '--', 'sh', '-c', `cd ${mountPoint} && exec sleep 600`], { stdio: 'ignore' });
    // Busy once the process stands in the filesystem (nsenter execs, so the pid is the sleep's).
    for (let i = 0; i < 500 && readLinkOrNone(`/proc/${user.pid}/cwd`) !== mountPoint; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(readLinkOrNone(`/proc/${user.pid}/cwd`), mountPoint, 'the user process is in the filesystem');
    await assert.rejects(driver.demote(ctx()), /umount .* failed/);
    await driver.stop(ctx());
    assert.deepEqual(await driver.monitor(), { healthy: true, detail: 'not mounted here' });
    await new Promise<void>((resolve) => (user.exitCode !== null || user.signalCode !== null ? resolve() : user.on('exit', () => resolve())));
    assert.equal(user.signalCode, 'SIGKILL', 'the filesystem user was killed by the stop');
  });
});

function readLinkOrNone(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

function readLink(path: string): string {
  return execFileSync('readlink', [path], { encoding: 'utf8' }).trim();
}
