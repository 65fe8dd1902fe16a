/**
 * The checker's writers against a real PostgreSQL 15 in the lab: a crash (kill -9 of the server's
 * whole process tree) mid-load gives unknown outcomes, never a false alarm; every acknowledged
 * write is found after the restart; operations carry who served them.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Lab, signalProcessTree, waitFor } from '../../src/lab/index.js';
import { postgresqlUnavailableReason } from '../../src/lab/environment.js';
import { checkHistory } from '../../src/lab/jepsen/checker.js';
import { firstWriteAfter } from '../../src/lab/jepsen/timings.js';
import { Workload } from '../../src/lab/jepsen/workload.js';
import { LabPostgres, PG_PORT } from '../../src/lab/postgresql.js';
import { preciseNow } from '../../src/lab/request-outcome.js';

const skip = postgresqlUnavailableReason() ?? false;
let lab: Lab | undefined;
after(async () => {
  await lab?.destroy();
});

test('writers through a crash and restart of PostgreSQL: no acknowledged write lost, no false alarm', { skip, timeout: 120_000 }, async () => {
  lab = await Lab.create({ hosts: ['a', 'client'], ipv6: false });
  const pg = await LabPostgres.init(lab, 'a', 'node-a');
  await pg.start();
  const workload = await Workload.start(lab, 'client', {
    host: lab.host('a').ipv4, port: PG_PORT, user: 'postgres', database: 'postgres', run: 'r1', writers: 4, readEvery: 5, queryTimeoutMs: 5000,
  });
  await workload.acknowledged(300);
  const first = await workload.check('before the crash');
  assert.equal(first.server?.node, 'a');
  assert.equal(first.server?.inRecovery, false);
  assert.equal(first.server?.timeline, 1);

  const fault = workload.markFault('kill -9 postgres');
  signalProcessTree(pg.postmasterPid() as number, 'SIGKILL');
  await waitFor(() => pg.process?.running === false, { description: 'postgres gone' });
  await pg.start();
  await workload.acknowledged(300);
  const history = await workload.stop();

  const result = checkHistory(history);
  console.log(`# ${JSON.stringify({ writes: result.writes, unknownCommitted: result.unknownCommitted, reads: result.reads, firstWriteMs: firstWriteAfter(fault, history) })}`);
  assert.deepEqual(result.violations, []);
  assert.ok(result.writes.ok >= 600);
  assert.ok(result.reads > 50, 'the writers read back as they go');
  assert.equal(result.checks, 2);
});

test('a notice of a session that ended (immediate shutdown) is not pinned on the next session\'s acknowledgement', { skip, timeout: 120_000 }, async () => {
  await lab?.destroy();
  lab = await Lab.create({ hosts: ['a', 'client'], ipv6: false });
  const pg = await LabPostgres.init(lab, 'a', 'node-a');
  await pg.start();
  const workload = await Workload.start(lab, 'client', {
    host: lab.host('a').ipv4, port: PG_PORT, user: 'postgres', database: 'postgres', run: 'r2', writers: 4, queryTimeoutMs: 5000,
  });
  await workload.acknowledged(200);
  // Immediate shutdown: every backend sends "WARNING: terminating connection due to immediate
  // shutdown command" and exits without completing its statement (PostgreSQL's quickdie).
  process.kill(pg.postmasterPid() as number, 'SIGQUIT');
  await waitFor(() => pg.process?.running === false, { description: 'postgres gone' });
  const gone = preciseNow();
  await pg.start();
  await workload.acknowledged(200);
  const history = await workload.stop();
  // A write started after the server was gone ran on a new session: the old session's WARNING must
  // not ride on it. (A commit that completed just before the shutdown may carry its own session's
  // WARNING, read with the acknowledgement: that one is genuine.)
  const pinned = history.filter((op) => op.kind === 'write' && op.outcome === 'ok' && op.warning !== undefined && op.invokedAt > gone);
  assert.ok(history.some((op) => op.kind === 'write' && op.outcome === 'ok' && op.invokedAt > gone), 'writes were acknowledged on new sessions');
  assert.deepEqual(pinned.map((op) => (op.kind === 'write' ? op.warning : '')), [], 'no acknowledged write carries another session\'s warning');
  assert.deepEqual(checkHistory(history).violations, []);
});
