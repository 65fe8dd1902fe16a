/**
 * Source and replica as processes of their own in two network namespaces (source on host a,
 * replica on host b), for the lab replication tests. Root only: callers skip otherwise.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { Lab, waitFor, type LabProcess } from '../../../src/lab/index.js';
import { nodeEntryCommand } from '../../../src/lab/node-entry.js';
import { treeDifferences } from './tree-compare.js';

const PORT = 7400;
const keyHex = randomBytes(32).toString('hex');
const processModule = new URL('../../../src/replicate/node-process.js', import.meta.url).href;

export interface Pair {
  lab: Lab;
  source: string;
  replica: string;
  startReplica(): Promise<LabProcess>;
  startSource(): Promise<LabProcess>;
  converged(description: string, timeoutMs?: number): Promise<void>;
}

/** `prepare` may return a cleanup, run before the directories are removed. */
export async function labPair(t: TestContext, prepare?: (dirs: { source: string; replica: string }) => (() => void) | void): Promise<Pair> {
  const lab = await Lab.create({ hosts: ['a', 'b'], ipv6: false });
  const base = mkdtempSync(join(tmpdir(), 'hs-lab-repl-'));
  const source = join(base, 'source');
  const replica = join(base, 'replica');
  mkdirSync(source);
  mkdirSync(replica);
  const cleanups: (() => void)[] = [];
  t.after(async () => {
    await lab.destroy();
    for (const cleanup of cleanups.reverse()) cleanup();
    rmSync(base, { recursive: true, force: true });
  });
  const cleanup = prepare?.({ source, replica });
  if (cleanup) cleanups.push(cleanup);
  const host = lab.host('b').ipv4;
  let replicaCount = 0;
  return {
    lab,
    source,
    replica,
    async startReplica() {
      const child = lab.spawn('b', nodeEntryCommand(processModule, 'runReplicaProcess', { root: replica, host, port: PORT, keyHex }), { name: `replica-${replicaCount++}` });
      await child.waitForLine(/"listening"/, 15_000);
      return child;
    },
    async startSource() {
      const child = lab.spawn('a', nodeEntryCommand(processModule, 'runSourceProcess', { root: source, host, port: PORT, keyHex, statusEveryMs: 1000 }), { name: 'source' });
      await child.waitForLine(/"started"/, 15_000);
      return child;
    },
    async converged(description, timeoutMs = 60_000) {
      let last: string[] = [];
      await waitFor(
        async () => {
          last = await treeDifferences(source, replica);
          return last.length === 0;
        },
        { description, timeoutMs, intervalMs: 200 },
      ).catch(async (err: Error) => {
        throw new Error(`${err.message}; differences: ${last.slice(0, 5).join('; ')}\n${await lab.logs()}`);
      });
    },
  };
}

