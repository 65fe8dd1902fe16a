import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { DaemonPriority, sessionOf, type PriorityHost, type PriorityOutcome } from '../../src/daemon/process-priority.js';
import { NICE_PROGRAM } from '../../src/util/child-priority.js';

const isRoot = process.getuid?.() === 0;

type FakeHost = PriorityHost & { set: Array<[number, number]>; autogroup: number | undefined };

function fakeHost(overrides: Partial<PriorityHost> = {}): FakeHost {
  const host: FakeHost = {
    set: [] as Array<[number, number]>,
    autogroup: 0 as number | undefined,
    getPriority: () => 0,
    setThreadPriority: (tid: number, nice: number) => void host.set.push([tid, nice]),
    threads: () => [100, 101, 102],
    sessionLeader: () => true,
    autogroupNice: (): number | undefined => host.autogroup,
    setAutogroupNice: (nice: number) => void (host.autogroup = nice),
    ...overrides,
  };
  return host;
}

/** What setting `nice` on every thread of the fake host records: the main thread (0), then the others. */
const everyThread = (nice: number): Array<[number, number]> => [0, 100, 101, 102].map((tid): [number, number] => [tid, nice]);

const raiseDaemonPriority = (nice: number, host: PriorityHost): PriorityOutcome => DaemonPriority.raise(nice, host).outcome;

test('DaemonPriority.raise() sets every thread and the autogroup of its own session', () => {
  const host = fakeHost();
  const outcome = raiseDaemonPriority(-10, host);
  assert.deepEqual(host.set, everyThread(-10));
  assert.equal(host.autogroup, -10);
  assert.deepEqual(outcome, { original: 0, applied: ['nice 0 → -10', 'autogroup nice 0 → -10'], warnings: [] });
});

test('DaemonPriority.raise() leaves the autogroup of a session it shares (it would lift the shell too)', () => {
  const host = fakeHost({ sessionLeader: () => false });
  const outcome = raiseDaemonPriority(-10, host);
  assert.equal(host.autogroup, 0);
  assert.match(outcome.applied.join('\n'), /autogroup nice left at 0: the daemon shares its session \(start it with setsid/);
  assert.deepEqual(outcome.warnings, []);
});

test('DaemonPriority.raise() without CAP_SYS_NICE: warnings, no exception', () => {
  const denied = (): never => {
    throw Object.assign(new Error('A system error occurred: uv_os_setpriority returned EACCES (permission denied)'), { code: 'ERR_SYSTEM_ERROR' });
  };
  const host = fakeHost({ setThreadPriority: denied, setAutogroupNice: denied });
  const outcome = raiseDaemonPriority(-10, host);
  assert.equal(outcome.warnings.length, 2);
  assert.match(outcome.warnings[0] ?? '', /cannot set the daemon's nice value to -10 \(.*EACCES.*\); it runs at 0, .*needs CAP_SYS_NICE/);
  assert.match(outcome.warnings[1] ?? '', /cannot set the session's autogroup nice value to -10/);
});

test('DaemonPriority.raise() does nothing when the value is already right or autogroups do not exist', () => {
  const host = fakeHost({ getPriority: () => -10 });
  assert.deepEqual(raiseDaemonPriority(-10, host), { original: -10, applied: [], warnings: [] });
  assert.deepEqual(host.set, []);
  const noAutogroup = fakeHost();
  noAutogroup.autogroup = undefined;
  assert.deepEqual(raiseDaemonPriority(-5, noAutogroup).applied, ['nice 0 → -5']);
});

/** A fake host whose main thread's nice value follows what is set on it (tid 0). */
function trackingHost(start: number): FakeHost & { now: number } {
  const host = fakeHost({ getPriority: () => host.now }) as FakeHost & { now: number };
  host.now = start;
  host.autogroup = start;
  host.setThreadPriority = (tid, nice) => {
    host.set.push([tid, nice]);
    if (tid === 0) host.now = nice;
  };
  return host;
}

test('DaemonPriority.change() (a reload): every thread and the autogroup again, the original kept for the children', () => {
  const host = trackingHost(0);
  const { priority } = DaemonPriority.raise(-10, host, { getPriority: () => host.now, niceAvailable: () => true });
  assert.deepEqual(priority.children.command(['/bin/true']), [NICE_PROGRAM, '-n', '10', '/bin/true']);
  host.set.length = 0;

  const outcome = priority.change(-5);
  assert.deepEqual(host.set, everyThread(-5));
  assert.equal(host.autogroup, -5);
  assert.deepEqual(outcome, { original: 0, applied: ['nice -10 → -5', 'autogroup nice -10 → -5'], warnings: [] });
  assert.equal(priority.original, 0, 'the start priority does not change');
  assert.deepEqual(priority.children.command(['/bin/true']), [NICE_PROGRAM, '-n', '5', '/bin/true'], 'children: delta to the original from the new value');

  // Back to where it started: children need no prefix any more.
  assert.deepEqual(priority.change(0).applied, ['nice -5 → 0', 'autogroup nice -5 → 0']);
  assert.deepEqual(priority.children.command(['/bin/true']), ['/bin/true']);
  // Unchanged: nothing is set.
  host.set.length = 0;
  assert.deepEqual(priority.change(0), { original: 0, applied: [], warnings: [] });
  assert.deepEqual(host.set, []);
});

test('DaemonPriority.change() in a shared session leaves the autogroup, and without CAP_SYS_NICE warns, keeping the value it has', () => {
  const shared = trackingHost(0);
  shared.sessionLeader = () => false;
  const { priority } = DaemonPriority.raise(-10, shared);
  assert.match(priority.change(-12).applied.join('\n'), /^nice -10 → -12\nautogroup nice left at 0: the daemon shares its session/);
  assert.equal(shared.autogroup, 0);

  const host = trackingHost(0);
  const { priority: denied } = DaemonPriority.raise(-10, host);
  const denial = (): never => {
    throw new Error('uv_os_setpriority returned EACCES (permission denied)');
  };
  host.setThreadPriority = denial;
  host.setAutogroupNice = denial;
  const outcome = denied.change(-15);
  assert.deepEqual(outcome.applied, []);
  assert.match(outcome.warnings[0] ?? '', /cannot set the daemon's nice value to -15 \(.*EACCES.*\); it runs at -10/);
  assert.match(outcome.warnings[1] ?? '', /cannot set the session's autogroup nice value to -15/);
  assert.equal(host.now, -10);
});

test('sessionOf() reads field 6 of /proc/PID/stat, whatever the command name holds', () => {
  assert.equal(sessionOf('4242 (node) S 1 4242 4242 0 -1 4194560 ...'), 4242);
  assert.equal(sessionOf('77 (a) b (c)) R 5 6 9 0 -1'), 9);
  assert.throws(() => sessionOf('garbage'), SyntaxError);
});

test('a real process: every thread at the new nice value, its own session\'s autogroup too', { skip: isRoot ? undefined : 'needs CAP_SYS_NICE (root)' }, () => {
  // A child node in its own session (setsid), as systemd and the lab start the daemon.
  const module = new URL('../../src/daemon/process-priority.js', import.meta.url).href;
  const script = `
    import { readdirSync, readFileSync } from 'node:fs';
    const { DaemonPriority } = await import(${JSON.stringify(module)});
    const { outcome } = DaemonPriority.raise(-7);
    const nice = (tid) => { const s = readFileSync('/proc/self/task/' + tid + '/stat', 'utf8'); return Number(s.slice(s.lastIndexOf(')') + 2).split(' ')[16]); };
    const threads = readdirSync('/proc/self/task').map(nice);
    console.log(JSON.stringify({ outcome, threads, autogroup: readFileSync('/proc/self/autogroup', 'utf8').trim() }));`;
  const result = spawnSync('setsid', [process.execPath, '--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60_000, cwd: fileURLToPath(new URL('.', import.meta.url)) });
  assert.equal(result.status, 0, result.stderr);
  const { outcome, threads, autogroup } = JSON.parse(result.stdout) as { outcome: { warnings: string[] }; threads: number[]; autogroup: string };
  assert.deepEqual(outcome.warnings, []);
  assert.ok(threads.length > 1);
  assert.deepEqual(threads, threads.map(() => -7), 'V8 and libuv threads too');
  assert.match(autogroup, /nice -7$/);
});
