/**
 * A reload is checked against the host as a start would be: interfaces and addresses are read
 * again, scripts are checked again, and changed globals are applied or refused — never ignored.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Lab, labUnavailableReason, nativeAddonUnavailableReason, waitFor } from '../../src/lab/index.js';
import { packageRoot } from '../../src/lab/environment.js';
import { PID_FILE_NAME } from '../../src/daemon/runtime-dir.js';
import { HotstandbyNode, holders, keepalivedConf, transitionsOf, withLabLogs } from './support.js';

const skip = labUnavailableReason() ?? nativeAddonUnavailableReason();
const CLI = join(packageRoot(), 'bin', 'hotstandby');

/** The nice value of each thread of `pid` (proc(5) /proc/PID/task/TID/stat field 19). */
function threadNices(pid: string): number[] {
  return readdirSync(`/proc/${pid}/task`).flatMap((tid) => {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    } catch {
      return []; // a thread that ended meanwhile
    }
    return [Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])];
  });
}

async function reload(lab: Lab, node: HotstandbyNode): Promise<{ code: number; output: string }> {
  try {
    const result = await lab.exec(node.host, [process.execPath, CLI, 'reload', '--runtime-dir', node.runtimeDir]);
    return { code: 0, output: result.stdout + result.stderr };
  } catch (err) {
    const e = err as { exitCode?: number; stderr?: string; stdout?: string };
    return { code: e.exitCode ?? -1, output: (e.stdout ?? '') + (e.stderr ?? '') };
  }
}

test('reload re-reads interfaces and addresses, re-checks scripts and reports changed globals', { skip }, async (t) => {
  const lab = await Lab.create({ hosts: ['a', 'b'], ipv6: false });
  t.after(() => lab.destroy());
  await withLabLogs(t, lab, async () => {
    const vip = lab.vip4(0);
    const spec = { version: 3 as const, advertInt: 0.1, vips: [`${vip}/24`] };
    const confA = keepalivedConf({ ...spec, priority: 150 });
    const a = new HotstandbyNode(lab, 'a', confA);
    const b = new HotstandbyNode(lab, 'b', keepalivedConf({ ...spec, priority: 100 }));
    await waitFor(async () => (await holders(lab, vip)) === 'a', { description: 'VIP on a' });
    await waitFor(async () => (await b.state()) === 'BACKUP', { description: 'b BACKUP' });
    const transitions = (await transitionsOf(a, 'VI_1')).length;

    // Script security is checked again: an insecure notify script refuses the reload.
    const script = lab.writeFile('insecure-notify.sh', '#!/bin/sh\nexit 0\n');
    chmodSync(script, 0o777);
    a.rewriteConfig(
      confA.replace('global_defs {', 'global_defs {\n  enable_script_security').replace('  virtual_ipaddress {', `  notify_master ${script}\n  virtual_ipaddress {`),
    );
    const insecure = await reload(lab, a);
    assert.notEqual(insecure.code, 0, 'an insecure script refuses the reload');
    assert.match(insecure.output, /insecure-notify\.sh.*writable by everyone/);

    // A changed global is applied and said so, never silently ignored.
    a.rewriteConfig(confA.replace('global_defs {', 'global_defs {\n  vrrp_startup_delay 2'));
    const delayed = await reload(lab, a);
    assert.equal(delayed.code, 0, delayed.output);
    assert.match(delayed.output, /vrrp_startup_delay\) 0 → 2000: used at the next start/);

    // processPriority (vrrp_priority) is applied by the reload as at start: every thread of the
    // daemon, and the autogroup of the session it leads (the lab starts it with setsid).
    a.rewriteConfig(confA.replace('global_defs {', 'global_defs {\n  vrrp_priority -4'));
    const reniced = await reload(lab, a);
    assert.equal(reniced.code, 0, reniced.output);
    assert.match(reniced.output, /vrrp_priority\) -10 → -4: the daemon's threads .* set to it now/);
    const pid = readFileSync(join(a.runtimeDir, PID_FILE_NAME), 'utf8').trim();
    assert.deepEqual([...new Set(threadNices(pid))], [-4], 'every thread at the new value');
    assert.match(readFileSync(`/proc/${pid}/autogroup`, 'utf8'), /nice -4$/m);
    await waitFor(async () => /scheduling priority \(reload\): nice -10 → -4; autogroup nice -10 → -4/.test(await a.process.readLog()), { description: 'the change in the log' });

    // An instance on an interface that does not exist yet is refused, naming it; once it exists, it runs.
    const second = keepalivedConf({ version: 3, advertInt: 0.1, vips: ['192.0.2.200/24'], priority: 120, vrid: 62, name: 'VI_2' }).replace(
      'interface eth0',
      'interface extra7',
    );
    a.rewriteConfig(`${confA}\n${second}`);
    const missing = await reload(lab, a);
    assert.notEqual(missing.code, 0, 'a missing interface refuses the reload');
    assert.match(missing.output, /interface 'extra7' does not exist on this host/);
    for (const command of [
      // A veth pair (this kernel has no dummy devices); both ends up, so extra7 has a carrier.
      ['ip', 'link', 'add', 'extra7', 'type', 'veth', 'peer', 'name', 'extra7p'],
      ['ip', 'addr', 'add', '192.0.2.77/24', 'dev', 'extra7'],
      ['ip', 'link', 'set', 'extra7p', 'up'],
      ['ip', 'link', 'set', 'extra7', 'up'],
    ]) {
      await lab.exec('a', command);
    }
    const added = await reload(lab, a);
    assert.equal(added.code, 0, added.output);
    assert.match(added.output, /added VI_2/);
    await waitFor(async () => (await a.status()).find((i) => i.name === 'VI_2')?.state === 'MASTER', { description: 'VI_2 MASTER on extra7' });
    assert.equal((await transitionsOf(a, 'VI_1')).length, transitions, 'VI_1 made no transition through the refused and accepted reloads');

    // The source address changes under a running instance: the reload rebuilds it on the new one.
    const oldSource = lab.host('a').ipv4;
    await lab.exec('a', ['sysctl', '-q', '-w', 'net.ipv4.conf.eth0.promote_secondaries=1']);
    await lab.exec('a', ['ip', 'addr', 'add', '198.51.100.10/24', 'dev', 'eth0']);
    await lab.exec('a', ['ip', 'addr', 'del', `${oldSource}/24`, 'dev', 'eth0']);
    const moved = await reload(lab, a);
    assert.equal(moved.code, 0, moved.output);
    assert.match(moved.output, new RegExp(`replaced VI_1: source address ${oldSource.replaceAll('.', '\\.')} → 198\\.51\\.100\\.10`));
    assert.doesNotMatch(moved.output, /VI_2/, 'VI_2 is untouched');
    await waitFor(async () => (await b.status())[0]?.masterAddress === '198.51.100.10', { description: "b hears a's adverts from the new source" });
    await waitFor(async () => (await holders(lab, vip)) === 'a', { description: 'VIP back on a' });
  });
});
