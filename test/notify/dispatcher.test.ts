import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type SpawnOptions } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { EventRecord } from '../../src/api/daemon-control.js';
import { resolveScriptUser } from '../../src/check/script-security.js';
import { harness, isAlive, ScriptDir, waitFor } from './support.js';

const hookEvents = (events: EventRecord[]): EventRecord[] => events.filter((e) => e.type === 'hook');

test('NotifyDispatcher: hooks of one instance run in order; a slow hook holds back the next state', async () => {
  const dir = await ScriptDir.create();
  try {
    const hook = await dir.script('hook.sh', 'echo "$2 start" >> "$1"; sleep "$3"; echo "$2 end" >> "$1"');
    const log = dir.path('order.log');
    const { dispatcher } = harness();
    const vi1 = { name: 'VI_1', notify: { backup: `${hook} ${log} backup 0.6`, master: `${hook} ${log} master 0` } };

    dispatcher.instanceChanged(vi1, 'BACKUP', 100);
    dispatcher.instanceChanged(vi1, 'MASTER', 100);
    // The caller only enqueued: nothing has run yet when the calls return.
    assert.equal(dispatcher.pending, 2);
    assert.equal(existsSync(log), false);

    await dispatcher.idle();
    assert.deepEqual(await dir.lines('order.log'), ['backup start', 'backup end', 'master start', 'master end']);
    assert.equal(dispatcher.pending, 0);
  } finally {
    await dir.remove();
  }
});

test('NotifyDispatcher: different instances run their hooks at the same time', async () => {
  const dir = await ScriptDir.create();
  try {
    // VI_1's hook waits (up to 10 s) for a file that only VI_2's hook creates.
    const waitFor = await dir.script(
      'wait-for.sh',
      'i=0; while [ ! -e "$1" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done; [ -e "$1" ] && echo saw || echo missed',
    );
    const marker = dir.path('marker');
    const { dispatcher, events } = harness();
    dispatcher.instanceChanged({ name: 'VI_1', notify: { master: `${waitFor} ${marker}` } }, 'MASTER', 100);
    dispatcher.instanceChanged({ name: 'VI_2', notify: { master: `/usr/bin/touch ${marker}` } }, 'MASTER', 100);
    await dispatcher.idle();
    const vi1 = hookEvents(events.since()).find((e) => e.instance === 'VI_1');
    assert.equal(vi1?.fields?.output, 'saw', 'VI_2 ran while VI_1 was still waiting');
    assert.ok(Number(vi1?.fields?.durationMs) < 9_000);
  } finally {
    await dir.remove();
  }
});

test('NotifyDispatcher: the generic notify gets its own words, then TYPE NAME STATE PRIORITY, after the state script', async () => {
  const dir = await ScriptDir.create();
  try {
    const args = await dir.script('args.sh', 'out=$1; shift; printf "%s\\n" "$@" > "$out"; echo "$(basename "$out")" >> "$(dirname "$out")/order.log"');
    const notify = {
      master: `${args} ${dir.path('master.out')} "10.0.0.1 10.0.0.2"`,
      generic: `${args} ${dir.path('generic.out')} 'one two' three`,
    };
    const { dispatcher, events } = harness();
    dispatcher.instanceChanged({ name: 'VI_1', notify }, 'MASTER', 103);
    await dispatcher.idle();
    assert.deepEqual(await dir.lines('master.out'), ['10.0.0.1 10.0.0.2'], 'the state script gets no extra words');
    assert.deepEqual(await dir.lines('generic.out'), ['one two', 'three', 'INSTANCE', 'VI_1', 'MASTER', '103']);
    assert.deepEqual(await dir.lines('order.log'), ['master.out', 'generic.out']);

    dispatcher.groupChanged({ name: 'G1', notify: { generic: `${args} ${dir.path('group.out')}` } }, 'FAULT');
    await dispatcher.idle();
    assert.deepEqual(await dir.lines('group.out'), ['GROUP', 'G1', 'FAULT', '0']);

    const hooks = hookEvents(events.since());
    assert.equal(hooks.length, 3);
    assert.deepEqual(
      hooks.map((e) => [e.instance, e.fields?.group, e.fields?.keyword, e.fields?.state, e.fields?.exitCode]),
      [
        ['VI_1', undefined, 'notify_master', 'MASTER', 0],
        ['VI_1', undefined, 'notify', 'MASTER', 0],
        [undefined, 'G1', 'notify', 'FAULT', 0],
      ],
    );
  } finally {
    await dir.remove();
  }
});

test('NotifyDispatcher: a hook that outlives its timeout is killed with its whole process group', async () => {
  const dir = await ScriptDir.create();
  try {
    const hang = await dir.script('hang.sh', 'sleep 300 & echo $! > "$1"; echo $$ >> "$1"; echo started; sleep 300');
    const pidFile = dir.path('pids');
    const { dispatcher, events, logs } = harness({ timeoutMs: 500, killGraceMs: 500 });
    const started = performance.now();
    dispatcher.instanceChanged({ name: 'VI_1', notify: { fault: `${hang} ${pidFile}` } }, 'FAULT', 100);
    await dispatcher.idle();
    assert.ok(performance.now() - started < 5_000, 'the queue moved on soon after the limit');

    const [event] = hookEvents(events.since());
    assert.equal(event?.fields?.outcome, 'timeout');
    assert.equal(event?.fields?.timedOut, true);
    assert.equal(event?.fields?.output, 'started');
    assert.match(event?.message ?? '', /notify_fault for VI_1 timed out/);
    assert.ok(logs.some((l) => l.level === 'warn' && /timed out/.test(l.message)));

    const pids = (await dir.lines('pids')).map(Number);
    assert.equal(pids.length, 2, 'the script recorded its background child and itself');
    for (const pid of pids) await waitFor(`pid ${pid} to die`, async () => !(await isAlive(pid)));
  } finally {
    await dir.remove();
  }
});

test('NotifyDispatcher: failures are logged and kept in the event log', async () => {
  const dir = await ScriptDir.create();
  try {
    const fail = await dir.script('fail.sh', 'echo "oops: $1" >&2; exit 3');
    const { dispatcher, events, logs } = harness();
    dispatcher.instanceChanged({ name: 'VI_1', notify: { backup: `${fail} disk`, fault: dir.path('missing.sh') } }, 'BACKUP', 90);
    dispatcher.instanceChanged({ name: 'VI_1', notify: { backup: `${fail} disk`, fault: dir.path('missing.sh') } }, 'FAULT', 0);
    await dispatcher.idle();
    const [failed, missing] = hookEvents(events.since());
    assert.equal(failed?.fields?.outcome, 'exited');
    assert.equal(failed?.fields?.exitCode, 3);
    assert.equal(failed?.fields?.output, 'oops: disk');
    assert.equal(missing?.fields?.outcome, 'spawn-error');
    assert.equal(missing?.fields?.error, 'ENOENT');
    assert.equal(logs.filter((l) => l.level === 'warn').length, 2);
  } finally {
    await dir.remove();
  }
});

test('NotifyDispatcher: only the first bytes of output are kept', async () => {
  const { dispatcher, events } = harness({ outputBytes: 10 });
  dispatcher.instanceChanged({ name: 'VI_1', notify: { master: '/usr/bin/seq 1 100000' } }, 'MASTER', 100);
  await dispatcher.idle();
  const [event] = hookEvents(events.since());
  assert.equal(event?.fields?.exitCode, 0, 'the rest was read and dropped, so seq was not blocked');
  assert.equal(event?.fields?.output, '1\n2\n3\n4\n5');
});

test('NotifyDispatcher: a script user that cannot be resolved is reported, and retried next time', async () => {
  let calls = 0;
  const { dispatcher, events } = harness({
    resolveUser: async () => {
      calls++;
      if (calls === 1) throw new Error('Script user "ghost" does not exist');
      return { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
    },
  });
  dispatcher.instanceChanged({ name: 'VI_1', notify: { master: '/usr/bin/true' } }, 'MASTER', 100);
  await dispatcher.idle();
  dispatcher.instanceChanged({ name: 'VI_1', notify: { master: '/usr/bin/true' } }, 'MASTER', 100);
  await dispatcher.idle();
  const hooks = hookEvents(events.since());
  assert.match(hooks[0]?.message ?? '', /not run: Script user "ghost" does not exist/);
  assert.equal(hooks[1]?.fields?.exitCode, 0);
});

test('NotifyDispatcher passes the user, its own process group and no shell to spawn', async () => {
  const seen: Array<{ command: string; args: readonly string[]; options: SpawnOptions }> = [];
  const { dispatcher } = harness({
    resolveUser: async () => ({ uid: 4321, gid: 8765 }),
    spawn: (command, args, options) => {
      seen.push({ command, args, options });
      // Really run something, as ourselves, so the dispatcher sees a normal exit.
      return spawn('/usr/bin/true', [], { ...options, uid: undefined, gid: undefined });
    },
  });
  dispatcher.instanceChanged({ name: 'VI_1', notify: { master: "/opt/hook 'a b' $HOME;x" } }, 'MASTER', 100);
  await dispatcher.idle();
  assert.equal(seen.length, 1);
  assert.equal(seen[0]?.command, '/opt/hook');
  assert.deepEqual(seen[0]?.args, ['a b', '$HOME;x'], 'no shell expansion');
  assert.equal(seen[0]?.options.uid, 4321);
  assert.equal(seen[0]?.options.gid, 8765);
  assert.equal(seen[0]?.options.detached, true);
  assert.equal(seen[0]?.options.shell, undefined);
});

test('NotifyDispatcher runs hooks as the script user (root only)', async (t) => {
  if (process.getuid?.() !== 0) {
    t.skip('needs root: switching to user nobody');
    return;
  }
  const nobody = await resolveScriptUser('nobody');
  const { dispatcher, events } = harness({ resolveUser: resolveScriptUser, scriptUser: 'nobody' });
  dispatcher.instanceChanged({ name: 'VI_1', notify: { master: '/usr/bin/id -u', backup: '/usr/bin/id -g' } }, 'MASTER', 100);
  dispatcher.instanceChanged({ name: 'VI_1', notify: { master: '/usr/bin/id -u', backup: '/usr/bin/id -g' } }, 'BACKUP', 100);
  await dispatcher.idle();
  const [uid, gid] = hookEvents(events.since());
  assert.equal(uid?.fields?.output, String(nobody.uid));
  assert.equal(gid?.fields?.output, String(nobody.gid));
  assert.notEqual(nobody.uid, 0);
});

test('NotifyDispatcher.close kills running hooks, drops waiting ones and ignores later changes', async () => {
  const dir = await ScriptDir.create();
  try {
    const hang = await dir.script('hang.sh', 'echo $$ > "$1"; sleep 300');
    const pidFile = dir.path('pid');
    const { dispatcher, events } = harness({ killGraceMs: 200 });
    const vi1 = { name: 'VI_1', notify: { master: `${hang} ${pidFile}`, backup: '/usr/bin/true' } };
    dispatcher.instanceChanged(vi1, 'MASTER', 100);
    dispatcher.instanceChanged(vi1, 'BACKUP', 100);
    await waitFor('the hook to start', async () => (await readFile(pidFile, 'utf8').catch(() => '')).trim() !== '');
    const started = performance.now();
    await dispatcher.close();
    assert.ok(performance.now() - started < 5_000);
    dispatcher.instanceChanged(vi1, 'BACKUP', 100);
    await dispatcher.idle();
    const hooks = hookEvents(events.since());
    assert.equal(hooks.length, 1, 'the waiting BACKUP hook and the later change never ran');
    assert.equal(hooks[0]?.fields?.outcome, 'aborted');
    const pid = Number((await readFile(pidFile, 'utf8')).trim());
    await waitFor(`pid ${pid} to die`, async () => !(await isAlive(pid)));
  } finally {
    await dir.remove();
  }
});

test('NotifyDispatcher: a master hearing a lower priority runs notify_master_rx_lower_pri with its own words only, not the generic script, and writes the FIFO line', async () => {
  const dir = await ScriptDir.create();
  try {
    const args = await dir.script('args.sh', 'out=$1; shift; printf "%s\\n" "$@" > "$out"');
    const lines: string[] = [];
    const { dispatcher } = harness({ fifo: { write: (line) => lines.push(line) } });
    const notify = { masterRxLowerPri: `${args} ${dir.path('rx.out')} reclaim`, generic: `${args} ${dir.path('generic.out')}` };
    dispatcher.masterHeardLowerPriority({ name: 'VI_1', notify }, 150);
    await dispatcher.idle();
    assert.deepEqual(await dir.lines('rx.out'), ['reclaim']);
    assert.equal(existsSync(dir.path('generic.out')), false, 'keepalived runs no generic notify for this event');
    assert.deepEqual(lines, ['INSTANCE "VI_1" MASTER_RX_LOWER_PRI 150\n']);
  } finally {
    await dir.remove();
  }
});

test('NotifyDispatcher.useScriptUser: after a reload changes script_user, the next hook runs as the new user', async () => {
  const asked: Array<string | undefined> = [];
  const seen: Array<number | undefined> = [];
  const uids: Record<string, number> = { alice: 1001, bob: 1002 };
  const { dispatcher } = harness({
    scriptUser: 'alice',
    resolveUser: async (user) => (asked.push(user), { uid: uids[user ?? ''] ?? 0, gid: 100 }),
    spawn: (_command, _args, options) => {
      seen.push(options.uid);
      return spawn('/usr/bin/true', [], { ...options, uid: undefined, gid: undefined });
    },
  });
  const vi1 = { name: 'VI_1', notify: { master: '/opt/hook', backup: '/opt/hook' } };
  dispatcher.instanceChanged(vi1, 'MASTER', 100);
  await dispatcher.idle();
  dispatcher.useScriptUser('bob');
  dispatcher.instanceChanged(vi1, 'BACKUP', 100);
  await dispatcher.idle();
  assert.deepEqual(asked, ['alice', 'bob']);
  assert.deepEqual(seen, [1001, 1002]);
});
