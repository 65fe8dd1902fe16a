/**
 * Both sides stopped, a file changed on each while they were down so that only its ctime tells
 * (same size, nanosecond mtime put back with `touch -d`), both started again with the content
 * hashes they kept (content-cache.ts): the comparison after the restart finds both changes and
 * the replica ends equal to the source. The processes are the lab's (node-process.ts), each with
 * its state directory, as the daemon keeps them.
 */
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { nodeEntryCommand } from '../../src/lab/node-entry.js';
import { ContentCache, RACY_NS } from '../../src/replicate/content-cache.js';
import { treeDifferences } from './support/tree-compare.js';

const NODE_PROCESS = new URL('../../src/replicate/node-process.js', import.meta.url).href;

/** A side as a process; resolves the first stdout line matching `re`. */
function side(name: string, config: Record<string, unknown>): { child: ChildProcess; line: (re: RegExp) => Promise<string> } {
  const [exe, ...args] = nodeEntryCommand(NODE_PROCESS, name, config);
  const child = spawn(exe!, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => {
    lines.push(l);
    for (const w of [...waiters]) if (w.re.test(l)) (waiters.splice(waiters.indexOf(w), 1), w.resolve(l));
  });
  const line = (re: RegExp) =>
    new Promise<string>((resolve, reject) => {
      const found = lines.find((l) => re.test(l));
      if (found !== undefined) return resolve(found);
      const timer = setTimeout(() => reject(new Error(`${name}: no line ${re} in 60 s`)), 60_000);
      child.once('exit', (code) => reject(new Error(`${name} exited (${code}) before ${re}`)));
      waiters.push({ re, resolve: (l) => (clearTimeout(timer), resolve(l)) });
    });
  return { child, line };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

/** `touch -d` to the exact nanosecond mtime `st` had. */
function putMtimeBack(file: string, mtimeNs: bigint): void {
  const ns = mtimeNs.toString().padStart(10, '0');
  execFileSync('touch', ['-m', '-d', `@${ns.slice(0, -9)}.${ns.slice(-9)}`, file]);
}

test('A file changed on either side while both daemons were down (same size, mtime put back) is found after the restart', async (t) => {
  const base = mkdtempSync(join(tmpdir(), 'hs-repl-down-'));
  const running: ChildProcess[] = [];
  t.after(async () => {
    for (const child of running) await stop(child);
    rmSync(base, { recursive: true, force: true });
  });
  const source = join(base, 'source');
  const replica = join(base, 'replica');
  const state = { source: join(base, 'ss'), replica: join(base, 'rs') };
  for (const d of [replica, state.source, state.replica, join(source, 'd')]) mkdirSync(d, { recursive: true });
  for (let i = 0; i < 50; i++) writeFileSync(join(source, 'd', `f${i}`), `contents of file ${i}`.padEnd(40, '.'));
  const keyHex = randomBytes(32).toString('hex');
  /** Both sides up until the source's full comparison completes, then both down. */
  const session = async () => {
    const server = side('runReplicaProcess', { root: replica, host: '127.0.0.1', port: 0, keyHex, stateDir: state.replica });
    running.push(server.child);
    const port = (JSON.parse(await server.line(/"listening"/)) as { listening: number }).listening;
    const src = side('runSourceProcess', { root: source, host: '127.0.0.1', port, keyHex, stateDir: state.source });
    running.push(src.child);
    await src.line(/"rescan-done","path":""/);
    await stop(src.child);
    await stop(server.child);
  };
  await session(); // the first copy
  // Past the racy window of every file on both sides, so the next session keeps all their hashes.
  await new Promise((r) => setTimeout(r, Number(RACY_NS / 1_000_000n) + 500));
  await session();
  const cached = async (dir: string) => (await ContentCache.load(join(dir, 'content-hashes.bin'))).size;
  assert.equal(await cached(state.source), 50, 'the source kept a hash of every file');
  assert.equal(await cached(state.replica), 50, 'the replica kept a hash of every file');

  // While both are down: one file changed on each side, same length, mtime put back.
  const onSource = join(source, 'd', 'f7');
  const onReplica = join(replica, 'd', 'f23');
  for (const [file, text] of [[onSource, 'changed on the source while down'], [onReplica, 'changed on the replica while down']] as const) {
    const st = statSync(file, { bigint: true });
    writeFileSync(file, text.padEnd(40, '!'));
    putMtimeBack(file, st.mtimeNs);
    const now = statSync(file, { bigint: true });
    assert.equal(now.size, st.size);
    assert.equal(now.mtimeNs, st.mtimeNs, 'only the ctime tells');
  }
  await session();
  assert.deepEqual(await treeDifferences(source, replica), [], 'the replica equals the source');
  assert.equal(readFileSync(join(replica, 'd', 'f7'), 'utf8'), 'changed on the source while down'.padEnd(40, '!'));
  assert.equal(readFileSync(join(replica, 'd', 'f23'), 'utf8'), 'contents of file 23'.padEnd(40, '.'));
});
