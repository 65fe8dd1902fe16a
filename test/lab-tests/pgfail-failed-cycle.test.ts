/**
 * A cycle that fails (the pair does not settle again) keeps its logs too (src/lab/pgfail/run.ts,
 * cycle-logs.ts): its daemon and PostgreSQL logs, the rig's error and what each node says about
 * itself (pg_controldata). Before, only finished cycles were kept, and the one cycle whose logs
 * mattered (an old primary that streamed but stayed unreadable, 2026-12-04) was swept with the lab.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Lab } from '../../src/lab/lab.js';
import type { FailoverCluster } from '../../src/lab/pgfail/cluster.js';
import { runFailovers, type RigWorkload } from '../../src/lab/pgfail/run.js';

function fakeWorkload(): RigWorkload {
  return {
    history: [],
    brokenLines: [],
    acknowledged: async () => undefined,
    markFault: (kind: string) => ({ kind, at: performance.now() }),
    firstAckAfter: async (since: number) => since + 50,
    check: async () => ({ type: 'check', label: 'x' }) as never,
    stop: async () => [],
  } as unknown as RigWorkload;
}

function fakeCluster(dir: string, events: { faulted: boolean }): FailoverCluster {
  return {
    label: 'fake pair',
    lab: {} as Lab,
    hosts: ['a', 'b'],
    vip: '10.0.0.100',
    canSwitchOver: false,
    start: async () => undefined,
    // Settled until the fault; then a stays unreadable for good (what was seen on 2026-12-04).
    settled: async () => (events.faulted ? { reason: 'a not answering: FATAL:  the database system is starting up' } : { primary: 'a' }),
    daemonPids: () => [],
    postmasterPid: () => {
      events.faulted = true;
      return undefined;
    },
    restartDaemon: async () => undefined,
    killNode: async () => undefined,
    bootNode: async () => undefined,
    switchOver: async () => undefined,
    endSwitchOver: async () => undefined,
    stop: async () => undefined,
    logFiles: () => [
      { host: 'a', source: 'postgresql', path: join(dir, 'a-server.log') },
      { host: 'a', source: 'daemon', path: join(dir, 'a-daemon.log') },
    ],
    snapshots: async () => [{ host: 'a', name: 'pg_controldata', text: 'Database cluster state:               in archive recovery\n' }],
  };
}

test('runFailovers() keeps a failed cycle\'s logs, its error and the nodes\' pg_controldata', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'pgfail-failed-'));
  try {
    await writeFile(join(dir, 'a-server.log'), '2026-12-04 23:00:00.000 UTC [1] LOG:  entering standby mode\n');
    await writeFile(join(dir, 'a-daemon.log'), '{"level":"info","time":"2026-12-04T23:00:00.000Z","msg":"hello"}\n');
    const kept = join(dir, 'kept');
    const lines: string[] = [];
    const result = await runFailovers({
      cluster: fakeCluster(dir, { faulted: false }),
      clientHost: 'client',
      writer: {} as never,
      plan: ['kill-postgres'],
      steadyMs: 0,
      settleTimeoutMs: 1_500,
      firstWriteTimeoutMs: 1_500,
      keepLogs: { dir: kept },
      startWorkload: async () => fakeWorkload(),
      log: (line) => lines.push(line),
    });
    assert.match(result.error ?? '', /cycle 0 \(kill-postgres\).*starting up/);
    const cycleDir = join(kept, 'fake_pair', 'cycle-000-kill-postgres');
    const files = await readdir(cycleDir);
    assert.ok(files.some((f) => f.startsWith('a-postgresql-') && f.endsWith('a-server.log')), `PostgreSQL's log kept: ${files.join(', ')}`);
    assert.ok(files.some((f) => f.startsWith('a-daemon-')), `the daemon's log kept: ${files.join(', ')}`);
    assert.match(await readFile(join(cycleDir, 'failure.txt'), 'utf8'), /the database system is starting up/);
    assert.match(await readFile(join(cycleDir, 'a-pg_controldata.txt'), 'utf8'), /in archive recovery/);
    assert.match(await readFile(join(cycleDir, 'timeline.txt'), 'utf8'), /failed \(primary before the fault: a\)/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
