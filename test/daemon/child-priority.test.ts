/**
 * The processes the daemon starts run at the priority it was started with, not at its raised one
 * (src/util/child-priority.ts): each spawn site, given the daemon's ChildPriority, runs a script
 * that prints its own nice value; given none (CLI, tests) it leaves the command alone.
 *
 * As root the test process raises its own main thread by 5 (as the daemon does by 10) and puts it
 * back afterwards; otherwise it pretends to have been started 3 lower (a nicer value), which any
 * user may go to. Either way, without the reset the child would print the test's own value.
 */
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { getPriority, setPriority, tmpdir } from 'node:os';
import { join } from 'node:path';
import { WorkerProcess } from '../../src/backup/jobs/worker-client.js';
import { createExecProbe } from '../../src/check/exec-probe.js';
import { runHookProcess } from '../../src/notify/hook-process.js';
import { runCommand } from '../../src/resources/postgresql/commands.js';
import { childPriority, NICE_PROGRAM, STARTED_PRIORITY, type ChildPriority, type ChildPriorityHost } from '../../src/util/child-priority.js';
import { probeTime } from '../check/helpers.js';

const isRoot = process.getuid?.() === 0;

/** Makes this process look like a daemon that moved from `original` to its current value; undone after the test. */
function daemonLike(t: TestContext): { original: number; raised: number; children: ChildPriority } {
  const start = getPriority(0);
  t.after(() => {
    try {
      setPriority(0, start);
    } catch {
      // only a raised value needs putting back, and root may
    }
  });
  if (isRoot && start - 5 >= -20) {
    setPriority(0, start - 5);
    return { original: start, raised: start - 5, children: childPriority(start) };
  }
  return { original: start + 3, raised: start, children: childPriority(start + 3) };
}

async function niceScript(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hs-nice-'));
  await chmod(dir, 0o755);
  t.after(() => rm(dir, { recursive: true, force: true }));
  const path = join(dir, 'print-nice');
  // nice(1) without a command prints the niceness it runs at; a background child too, to show
  // that what the script forks inherits the reset value.
  await writeFile(path, '#!/bin/sh\nnice\n(nice) &\nwait\n', { mode: 0o755 });
  return path;
}

const numbers = (text: string): number[] => text.trim().split(/\s+/).filter(Boolean).map(Number);

/** A host whose main thread runs at `nice`, with or without nice(1). */
const fakeHost = (nice: number, niceAvailable = true): ChildPriorityHost => ({ getPriority: () => nice, niceAvailable: () => niceAvailable });

test('command() leaves a command alone when the daemon did not change its priority', () => {
  assert.deepEqual(childPriority(undefined, fakeHost(-10)).command(['/bin/true', 'x']), ['/bin/true', 'x']);
  assert.deepEqual(STARTED_PRIORITY.command(['/bin/true', 'x']), ['/bin/true', 'x']);
});

test('command() prefixes nice with the difference to the original or to a target', () => {
  const children = childPriority(0, fakeHost(-10));
  assert.deepEqual(children.command(['/bin/true']), [NICE_PROGRAM, '-n', '10', '/bin/true']);
  assert.deepEqual(children.command(['/bin/true'], -10), ['/bin/true'], 'no prefix when the target is the current value');
  assert.deepEqual(children.command(['/bin/true'], 10), [NICE_PROGRAM, '-n', '20', '/bin/true']);
  assert.deepEqual(childPriority(undefined, fakeHost(-10)).command(['/bin/true'], 10), [NICE_PROGRAM, '-n', '20', '/bin/true'], 'a target without an original');
});

test('command() computes the delta when it is asked: a changed daemon priority (reload) moves it, the original stays', () => {
  let now = -10;
  const children = childPriority(0, { getPriority: () => now, niceAvailable: () => true });
  assert.deepEqual(children.command(['/bin/true']), [NICE_PROGRAM, '-n', '10', '/bin/true']);
  now = -5;
  assert.deepEqual(children.command(['/bin/true']), [NICE_PROGRAM, '-n', '5', '/bin/true']);
  now = 0;
  assert.deepEqual(children.command(['/bin/true']), ['/bin/true']);
});

test('command() without nice(1) runs the command as it is, and never changes the array it was given', () => {
  assert.deepEqual(childPriority(0, fakeHost(-10, false)).command(['/bin/true']), ['/bin/true']);
  const argv = ['/bin/true'];
  const out = childPriority(0, fakeHost(0)).command(argv);
  assert.notEqual(out, argv);
});

test('childPriority() refuses an original that is not an integer', () => {
  assert.throws(() => childPriority(1.5), { name: 'RangeError', message: /Original nice value must be an integer, got 1\.5/ });
});

test('the real host: the prefix is /usr/bin/nice with the delta to this thread', (t) => {
  const { original, raised, children } = daemonLike(t);
  assert.deepEqual(children.command(['/bin/true']), [NICE_PROGRAM, '-n', String(original - raised), '/bin/true']);
});

test('a notify script (runHookProcess) and what it forks run at the original priority', async (t) => {
  const script = await niceScript(t);
  const { original, raised, children } = daemonLike(t);
  assert.equal(getPriority(0), raised);
  const options = { command: [script], timeoutMs: 10_000, killGraceMs: 500, outputBytes: 256 };
  const clock = { now: () => performance.now() };
  const result = await runHookProcess(options, { clock, childPriority: children });
  assert.equal(result.outcome, 'exited', result.error);
  assert.deepEqual(numbers(result.output), [original, original]);
  const unchanged = await runHookProcess(options, { clock });
  assert.deepEqual(numbers(unchanged.output), [raised, raised], 'without a ChildPriority (CLI, tests): as it is');
});

test('an exec check runs at the original priority', async (t) => {
  const script = await niceScript(t);
  const { original, children } = daemonLike(t);
  const probe = createExecProbe({ command: [script], timeoutMs: 10_000 }, probeTime, {
    users: { resolve: async () => ({ uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 }) },
    childPriority: children,
  });
  const result = await probe.run(new AbortController().signal);
  assert.equal(result.ok, true, result.detail);
  assert.match(result.detail, /^exit 0: /);
  // The detail shows the output with its newline made printable: take the numbers.
  assert.deepEqual((result.detail.replace(/^exit 0: /, '').match(/-?\d+/g) ?? []).map(Number), [original, original]);
});

test('a PostgreSQL program (runCommand) runs at the original priority', async (t) => {
  const script = await niceScript(t);
  const { original, children } = daemonLike(t);
  const result = await runCommand(script, [], { signal: new AbortController().signal, childPriority: children });
  assert.deepEqual(numbers(result.stdout), [original, original]);
});

test('a backup worker process runs at nice 10 in every thread, whatever the daemon runs at', { skip: process.platform === 'linux' ? undefined : 'Linux /proc' }, async (t) => {
  const { children } = daemonLike(t);
  const log = { log: () => {}, child: () => log };
  const worker = new WorkerProcess(log, 'nice-test', children);
  t.after(() => worker.close());
  const pid = worker.pid;
  assert.ok(pid !== undefined);
  // V8 and libuv start their threads as node starts; each has its own nice value (setpriority(2)).
  const niceOf = (tid: string): number => {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]); // field 19: nice
  };
  let threads: string[] = [];
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    threads = readdirSync(`/proc/${pid}/task`);
    if (threads.length > 1 && readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('worker-main')) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert.ok(threads.length > 1, 'node started its threads');
  assert.deepEqual(threads.map(niceOf), threads.map(() => 10));
});
