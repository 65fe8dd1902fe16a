/**
 * The lab leaves nothing behind: not after destroy(), not when its process dies of an error or a
 * signal; a SIGKILLed process's leftovers (a detached process like PostgreSQL included) are removed
 * by its reaper, or without one by the next lab's sweep.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { test } from 'node:test';
import { Lab, labUnavailableReason, sweepStaleLabs } from '../../src/lab/index.js';
import { isProcessAlive, listNamespaces } from '../../src/lab/namespaces.js';
import { run } from '../../src/lab/shell.js';
import { waitFor } from '../../src/lab/wait-for.js';

const skip = labUnavailableReason() ?? false;
const labModule = new URL('../../src/lab/lab.js', import.meta.url).href;

async function rootLinks(): Promise<string[]> {
  const { stdout } = await run(['ip', '-o', 'link', 'show']);
  return stdout
    .split('\n')
    .map((line) => line.split(':')[1]?.trim().split('@')[0] ?? '')
    .filter(Boolean)
    .sort();
}

async function namespacesOf(pid: number): Promise<string[]> {
  return (await listNamespaces()).filter((name) => name.startsWith(`hs${pid}-`));
}

interface ChildLab {
  pid: number;
  namespaces: string[];
  dir: string;
  sleeperPid: number;
  /** A process in the lab detached from the lab's children (its own session), as a PostgreSQL is. */
  detachedPid: number;
}

/**
 * Starts a Node process that builds a lab with a long-running process in it, reports what it made,
 * and then does `then` (throw, or wait for a signal).
 */
function startChild(then: 'throw' | 'wait', reaper = true): { child: ReturnType<typeof spawn>; lab: Promise<ChildLab>; exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }> } {
  const script = `
    const { Lab } = await import(${JSON.stringify(labModule)});
    const lab = await Lab.create({ hosts: ['a', 'b'], reaper: ${reaper} });
    // Reported only once it runs: the parent-death signal is armed by then (setpriv ran).
    const sleeper = lab.spawn('a', ['sh', '-c', 'echo running; exec sleep 600']);
    await sleeper.waitForLine(/running/);
    // One that escapes the parent-death signal as \`pg_ctl start\` does (a fork in its own session).
    const starter = lab.spawn('b', ['sh', '-c', 'setsid sleep 600 </dev/null >/dev/null 2>&1 & echo detached $!; exec sleep 600']);
    const detachedPid = Number((await starter.waitForLine(/detached \\d+/)).split(' ')[1]);
    console.log(JSON.stringify({ pid: process.pid, namespaces: [lab.switchNs, ...lab.hosts().map((h) => h.ns)], dir: lab.dir, sleeperPid: sleeper.pid, detachedPid }));
    ${then === 'throw' ? "setTimeout(() => { throw new Error('deliberate failure'); }, 100);" : 'setInterval(() => {}, 1000);'}
  `;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lab = new Promise<ChildLab>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split('\n').find((l) => l.startsWith('{'));
      if (line) resolve(JSON.parse(line) as ChildLab);
    });
    child.on('exit', () => reject(new Error(`The child exited before reporting its lab: ${stderr}`)));
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stderr })),
  );
  return { child, lab, exited };
}

test('destroy removes every namespace, process and file of the lab', { skip }, async () => {
  const linksBefore = await rootLinks();
  const lab = await Lab.create({ hosts: ['a', 'b', 'client'] });
  const sleeper = lab.spawn('a', ['sleep', '600']);
  const ours = await namespacesOf(process.pid);
  try {
    assert.equal(ours.length, 4, `switch and three hosts: ${ours.join(', ')}`);
    assert.ok(existsSync(lab.dir));
    assert.ok(isProcessAlive(sleeper.pid));
  } finally {
    await lab.destroy();
  }
  assert.deepEqual(await namespacesOf(process.pid), []);
  assert.equal(isProcessAlive(sleeper.pid), false);
  assert.equal(existsSync(lab.dir), false);
  assert.deepEqual(await rootLinks(), linksBefore, 'nothing was created outside the namespaces');
  await lab.destroy(); // a second call is harmless
  assert.throws(() => lab.spawn('a', ['true']), /destroyed/);
});

test('two labs live side by side with their own ids and names', { skip }, async () => {
  const [first, second] = await Promise.all([Lab.create({ hosts: ['a'] }), Lab.create({ hosts: ['a'] })]);
  try {
    assert.notEqual(first.id, second.id);
    assert.notEqual(first.host('a').ns, second.host('a').ns);
    assert.notEqual(first.host('a').ipv4, second.host('a').ipv4);
  } finally {
    await Promise.all([first.destroy(), second.destroy()]);
  }
  assert.deepEqual(await namespacesOf(process.pid), []);
});

test('a lab is removed when its process dies of an uncaught error', { skip }, async () => {
  const { lab, exited } = startChild('throw');
  const made = await lab;
  const exit = await exited;
  assert.equal(exit.code, 1);
  assert.match(exit.stderr, /deliberate failure/);
  assert.deepEqual(await namespacesOf(made.pid), []);
  assert.equal(existsSync(made.dir), false);
  await waitFor(() => !isProcessAlive(made.sleeperPid), { description: 'the process in the lab to end', timeoutMs: 5000 });
});

test('a lab is removed when its process is ended by SIGTERM', { skip }, async () => {
  const { child, lab, exited } = startChild('wait');
  const made = await lab;
  assert.equal((await namespacesOf(made.pid)).length, 3);
  child.kill('SIGTERM');
  const exit = await exited;
  assert.equal(exit.signal, 'SIGTERM', 'the process still ends the way the signal asked');
  assert.deepEqual(await namespacesOf(made.pid), []);
  assert.equal(existsSync(made.dir), false);
});

test("a SIGKILLed process's lab is swept by the next one", { skip }, async () => {
  const { child, lab, exited } = startChild('wait', false);
  const made = await lab;
  child.kill('SIGKILL');
  await exited;
  // Nothing could run in the killed process: the namespaces are still there…
  assert.deepEqual((await namespacesOf(made.pid)).sort(), [...made.namespaces].sort());
  // …but what ran inside got the parent-death signal…
  await waitFor(() => !isProcessAlive(made.sleeperPid), { description: 'the orphaned sleep to end', timeoutMs: 5000 });
  // …except what detached itself from it, as PostgreSQL does: that runs on until the sweep.
  assert.equal(isProcessAlive(made.detachedPid), true);
  const swept = await sweepStaleLabs();
  assert.deepEqual(swept.filter((name) => made.namespaces.includes(name)).sort(), [...made.namespaces].sort());
  assert.deepEqual(await namespacesOf(made.pid), []);
  await waitFor(() => !isProcessAlive(made.detachedPid), { description: 'the detached process to end', timeoutMs: 5000 });
});

test('Lab.create sweeps stale labs by itself', { skip }, async () => {
  const { child, lab, exited } = startChild('wait', false);
  const made = await lab;
  child.kill('SIGKILL');
  await exited;
  assert.equal(existsSync(made.dir), true, 'nothing could remove the directory of the killed process');
  const next = await Lab.create({ hosts: ['a'] });
  try {
    assert.deepEqual(await namespacesOf(made.pid), []);
    // Its directory too (a failover bench's PostgreSQL data directories: hundreds of MB each run).
    assert.equal(existsSync(made.dir), false);
  } finally {
    await next.destroy();
  }
});

test("a SIGKILLed process's reaper removes its lab, the detached processes in it included, with no other lab made", { skip }, async () => {
  const { child, lab, exited } = startChild('wait');
  const made = await lab;
  assert.equal(isProcessAlive(made.detachedPid), true);
  child.kill('SIGKILL');
  await exited;
  await waitFor(async () => (await namespacesOf(made.pid)).length === 0 && !existsSync(made.dir), { description: "the killed process's namespaces and directory to be removed", timeoutMs: 20_000 });
  await waitFor(() => !isProcessAlive(made.detachedPid), { description: 'the detached process in the lab to end', timeoutMs: 5000 });
});

test('bad host names are refused before anything is created', async () => {
  await assert.rejects(Lab.create({ hosts: ['Alpha'] }), TypeError);
  await assert.rejects(Lab.create({ hosts: ['a', 'a'] }), /given twice/);
});
