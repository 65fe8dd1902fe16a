/**
 * The daemon's Node runtime (src/daemon/node-runtime.ts): node started again with the daemon's
 * flags in the same process, and start-up's file pages given back. Each runs in a child process:
 * both act on the whole process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { DAEMON_NODE_FLAGS } from '../../src/daemon/node-runtime.js';

const RUNTIME_MODULE = new URL('../../src/daemon/node-runtime.js', import.meta.url).href;

/** Runs `script` (an ES module body) in a new node; resolves with its pid, output and exit code. */
function runNode(script: string, env: NodeJS.ProcessEnv = process.env): Promise<{ pid: number; stdout: string; stderr: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ pid: child.pid ?? -1, stdout, stderr, code }));
  });
}

const RELAUNCH = `
import { relaunchWithDaemonFlags } from ${JSON.stringify(RUNTIME_MODULE)};
relaunchWithDaemonFlags((message) => console.error('warn: ' + message));
console.log(JSON.stringify({ pid: process.pid, execArgv: process.execArgv, marker: process.env.HOTSTANDBY_RELAUNCHED ?? null }));
`;

test('the daemon relaunches node with its flags in the same process (same pid, output and exit code), once', async () => {
  const run = await runNode(RELAUNCH);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(run.stderr, '', 'no warning');
  const lines = run.stdout.trim().split('\n');
  assert.equal(lines.length, 1, 'the script ran to its end once, in the relaunched node');
  const seen = JSON.parse(lines[0] as string) as { pid: number; execArgv: string[]; marker: string | null };
  assert.equal(seen.pid, run.pid, 'same pid: a supervisor keeps the process');
  for (const flag of DAEMON_NODE_FLAGS) assert.ok(seen.execArgv.includes(flag), `${flag} in ${seen.execArgv.join(' ')}`);
  assert.equal(seen.marker, null, 'the loop guard is not left for hook scripts');
});

test('a node that was relaunched and still lacks the flags runs on with a warning instead of looping', async () => {
  const run = await runNode(RELAUNCH, { ...process.env, HOTSTANDBY_RELAUNCHED: '1' });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stderr, /warn: node was started again but without --no-memory-reducer/);
  const seen = JSON.parse(run.stdout.trim()) as { pid: number; execArgv: string[] };
  for (const flag of DAEMON_NODE_FLAGS) assert.ok(!seen.execArgv.includes(flag), 'not relaunched');
  assert.equal(seen.pid, run.pid);
});

test("start-up's file pages leave the resident set, and code that runs again faults back in", async () => {
  const run = await runNode(`
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { releaseStartupPages } from ${JSON.stringify(RUNTIME_MODULE)};
const rssFileKb = () => Number(/RssFile:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]);
const before = rssFileKb();
const releasedKb = releaseStartupPages();
const after = rssFileKb();
// Work that needs node's code and read-only data again (compiler, crypto, JSON, regular expressions).
const digest = createHash('sha256').update(JSON.stringify({ a: [1, 2, 3] }).replace(/\\d/g, 'x')).digest('hex');
const fn = new Function('x', 'return x * 2');
console.log(JSON.stringify({ before, releasedKb, after, digest, doubled: fn(21) }));
`);
  assert.equal(run.code, 0, run.stderr);
  const seen = JSON.parse(run.stdout.trim()) as { before: number; releasedKb: number; after: number; digest: string; doubled: number };
  assert.ok(seen.releasedKb > 0, 'some pages released');
  assert.ok(seen.after < seen.before / 2, `file-backed RSS ${seen.before} kB → ${seen.after} kB`);
  const expected = createHash('sha256').update(JSON.stringify({ a: [1, 2, 3] }).replace(/\d/g, 'x')).digest('hex');
  assert.equal(seen.digest, expected, 'crypto, JSON and regular expressions give the same result as here');
  assert.equal(seen.doubled, 42, 'the compiler runs');
});
