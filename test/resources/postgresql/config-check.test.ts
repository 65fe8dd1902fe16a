/**
 * check-config / start-up checks of the postgresql kind against a real PostgreSQL 15 cluster:
 * each bad setting gives a message naming the key and the problem.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { statSync } from 'node:fs';
import { chmod, chown, mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { postgresqlKind } from '../../../src/resources/postgresql/kind.js';
import type { PostgresqlSettings } from '../../../src/resources/postgresql/settings.js';
import { ctx, freePort, makeBase, makeNode, postgresSkipReason, removeBase, type PgNode } from './pg-pair.js';

const skip = postgresSkipReason();
const kind = postgresqlKind();

describe('postgresql check-config: bad configurations are named', { skip, concurrency: false }, () => {
  let base = '';
  let a: PgNode;
  const check = (over: Partial<PostgresqlSettings>) => kind.check!({ ...a.settings, ...over }, a.host);

  before(async () => {
    base = await makeBase();
    a = await makeNode(base, 'a', 'b', await freePort(), await freePort(), { bootstrap: 'initdb' });
    await a.driver.start(ctx());
    await a.driver.promote(ctx()); // initdb + start: a primary whose standby never comes
  });
  after(async () => {
    if (base !== '') await removeBase(base, [a]);
  });

  it('a good configuration passes', async () => {
    await check({});
  });

  it('a data directory with the wrong owner or mode', async () => {
    const dir = join(base, 'rootowned');
    await mkdir(dir, { mode: 0o700 });
    await assert.rejects(check({ dataDir: dir }), /resources\.db\.dataDir: .*owned by uid 0, not by postgres/);
    await chown(dir, statSync(a.settings.dataDir).uid, 0);
    await chmod(dir, 0o755);
    await assert.rejects(check({ dataDir: dir }), /resources\.db\.dataDir: .*mode 0755; PostgreSQL requires 0700 or 0750/);
  });

  it('a port taken by another process (while this resource\'s server is not running)', async () => {
    const server: Server = createServer();
    const port = await new Promise<number>((resolve) => server.listen(0, () => resolve((server.address() as { port: number }).port)));
    try {
      await assert.rejects(check({ dataDir: join(base, 'nothing-here'), port }), new RegExp(`resources\\.db\\.port: port ${port} is in use`));
    } finally {
      server.close();
    }
  });

  it('a server killed a moment ago (its pid alive as another process, its socket file left) is not a configuration error', async () => {
    // What a restarted daemon finds after kill -9 of PostgreSQL: postmaster.pid still names a live
    // pid, the socket file is there and refuses connections. The daemon must start and handle it.
    const dataDir = join(base, 'killed');
    const socketDir = join(base, 'killed-socket');
    const owner = statSync(a.settings.dataDir);
    for (const dir of [dataDir, socketDir]) {
      await mkdir(dir, { mode: 0o700 });
      await chown(dir, owner.uid, owner.gid);
    }
    await writeFile(join(dataDir, 'PG_VERSION'), '15\n');
    await writeFile(join(dataDir, 'postmaster.pid'), `${process.pid}\n${dataDir}\n`);
    const port = await freePort();
    const socket = join(socketDir, `.s.PGSQL.${port}`);
    const listener = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(socket)}, () => console.log('up'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
    await once(listener.stdout!, 'data');
    listener.kill('SIGKILL'); // the socket file stays, nobody listens: ECONNREFUSED
    await once(listener, 'exit');
    await check({ dataDir, socketDir, port });
  });

  it('missing programs', async () => {
    await assert.rejects(check({ binDir: '/nonexistent/bin' }), /resources\.db\.binDir: \/nonexistent\/bin\/pg_ctl is missing/);
  });

  it('a superuser the daemon cannot connect as', async () => {
    await assert.rejects(check({ superuser: 'ghost' }), /resources\.db\.superuser: cannot connect as ghost/);
  });

  it('a missing replication role', async () => {
    await assert.rejects(check({ replicationUser: 'nobody_rep' }), /resources\.db\.replicationUser: the role "nobody_rep" does not exist/);
  });

  it('no pg_hba.conf line lets the peer stream', async () => {
    await assert.rejects(check({ peer: { name: 'b', host: '10.254.0.9', port: 5432 } }), /resources\.db\.replicationUser: the peer 10\.254\.0\.9 cannot stream as replicator: no pg_hba\.conf line/);
  });
});
