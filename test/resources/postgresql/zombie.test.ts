/**
 * A kill -9'd postmaster that is a zombie (not reaped yet) is stopped for the monitor, and a start
 * waits for it to be reaped (PostgreSQL refuses to start while its pid answers kill(pid, 0)).
 * The zombie is made by a python3 parent that forks a child which exits at once and reaps it only
 * when told (a line on its stdin): nothing is left behind.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { after, describe, it } from 'node:test';
import { awaitReaped, inspectLocal, postmasterPid } from '../../../src/resources/postgresql/server.js';
import type { PostgresqlSettings } from '../../../src/resources/postgresql/settings.js';

const PARENT = `
import os, sys
pid = os.fork()
if pid == 0:
    os._exit(0)
print(pid, flush=True)
sys.stdin.readline()
os.waitpid(pid, 0)
print("reaped", flush=True)
`;

async function zombie(): Promise<{ pid: number; parent: ChildProcessWithoutNullStreams; reap(): Promise<void> }> {
  const parent = spawn('python3', ['-c', PARENT]);
  const [chunk] = (await once(parent.stdout, 'data')) as [Buffer];
  const pid = Number(chunk.toString().trim());
  // Wait until the kernel shows it as a zombie.
  for (let i = 0; i < 500 && !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8')); i++) await new Promise((r) => setTimeout(r, 10));
  return {
    pid,
    parent,
    reap: async () => {
      parent.stdin.end('\n');
      await once(parent, 'exit');
    },
  };
}

const dirs: string[] = [];
after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

function cluster(pid: number): PostgresqlSettings {
  const base = mkdtempSync(join(tmpdir(), 'hs-zombie-'));
  dirs.push(base);
  const dataDir = join(base, 'data');
  // Just what server.ts reads: PG_VERSION (a cluster), postmaster.pid and the socket's lock file.
  mkdirSync(dataDir);
  writeFileSync(join(dataDir, 'PG_VERSION'), '15\n');
  writeFileSync(join(dataDir, 'postmaster.pid'), `${pid}\n${dataDir}\n`);
  writeFileSync(join(base, '.s.PGSQL.5439.lock'), `${pid}\n${dataDir}\n`);
  return { dataDir, socketDir: base, port: 5439, superuser: 'postgres' } as unknown as PostgresqlSettings;
}

describe('zombie postmaster', () => {
  it('is not live: the monitor sees the server stopped', async () => {
    const z = await zombie();
    try {
      const s = cluster(z.pid);
      assert.equal(await postmasterPid(s.dataDir), undefined);
      const local = await inspectLocal(s, new AbortController().signal);
      assert.equal(local.kind, 'stopped');
    } finally {
      await z.reap();
    }
  });

  it('a start waits until it is reaped, leaving the lock files to PostgreSQL', async () => {
    const z = await zombie();
    const s = cluster(z.pid);
    const waited = awaitReaped(s, new AbortController().signal, 60_000);
    await new Promise((r) => setTimeout(r, 200));
    await z.reap();
    assert.deepEqual(await waited, { pid: z.pid, reaped: true });
    assert.ok(existsSync(join(s.dataDir, 'postmaster.pid')), 'PostgreSQL itself replaces a lock file whose pid is gone');
  });

  it('one never reaped within the wait: its lock files are removed (it holds no port, socket or memory)', async () => {
    const z = await zombie();
    try {
      const s = cluster(z.pid);
      assert.deepEqual(await awaitReaped(s, new AbortController().signal, 100), { pid: z.pid, reaped: false });
      assert.equal(existsSync(join(s.dataDir, 'postmaster.pid')), false);
      assert.equal(existsSync(join(s.socketDir, '.s.PGSQL.5439.lock')), false);
    } finally {
      await z.reap();
    }
  });

  it('a live postmaster or none: nothing to wait for', async () => {
    const s = cluster(process.pid);
    assert.equal(await awaitReaped(s, new AbortController().signal, 100), undefined);
    assert.equal(await postmasterPid(s.dataDir), process.pid);
  });
});
