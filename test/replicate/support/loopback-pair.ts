/** A source and a replica in one process over loopback TLS-PSK, torn down after the test. */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '../../../src/lab/wait-for.js';
import { loadNative, type NativeFileBinding } from '../../../src/net/native.js';
import type { BulkPorts } from '../../../src/replicate/bulk-io.js';
import { pskTransport } from '../../../src/replicate/psk-tls.js';
import { ReplicaServer, type ReplicaEvent } from '../../../src/replicate/replica-server.js';
import { SourceReplicator, type SourceEvent } from '../../../src/replicate/source-replicator.js';
import type { XattrSelection } from '../../../src/replicate/xattrs.js';
import { treeDifferences } from './tree-compare.js';

export const psk = { identity: 'test', key: Buffer.alloc(32, 3) };
const clock = { now: () => performance.now() };

export interface PairOptions {
  setup?: (source: string) => void;
  /** Before the replica starts (a mount on its directory, say); the function it returns undoes it before the teardown. */
  replicaSetup?: (replica: string) => (() => void) | void;
  sourceKey?: typeof psk;
  sourceNative?: (native: NativeFileBinding) => NativeFileBinding;
  replicaNative?: (native: NativeFileBinding) => NativeFileBinding;
  xattrs?: XattrSelection;
  /** A full comparison this often (default: the replicator's). */
  fullCheckEveryMs?: number;
  /** The replica's `bulkPorts` (bulk-io.ts); default a port the kernel picks. */
  bulkPorts?: BulkPorts;
  /** Compares attributes too in converged(). */
  compareXattrs?: (full: Buffer) => string;
}

export async function loopbackPair(t: { after: (fn: () => Promise<void> | void) => void }, options: PairOptions = {}) {
  const base = mkdtempSync(join(tmpdir(), 'hs-repl-'));
  const source = join(base, 'source');
  const replica = join(base, 'replica');
  mkdirSync(source);
  mkdirSync(replica);
  options.setup?.(source);
  const undoReplicaSetup = options.replicaSetup?.(replica);
  const native = loadNative();
  const replicaEvents: ReplicaEvent[] = [];
  const server = new ReplicaServer({ root: Buffer.from(replica), transport: pskTransport(psk), host: '127.0.0.1', port: 0, native: (options.replicaNative ?? ((n) => n))(native), onEvent: (e) => replicaEvents.push(e), ...(options.bulkPorts && { bulkPorts: options.bulkPorts }) });
  const { port } = await server.listen();
  const sourceEvents: SourceEvent[] = [];
  const makeSource = () =>
    new SourceReplicator({
      root: Buffer.from(source),
      replica: { host: '127.0.0.1', port },
      transport: pskTransport(options.sourceKey ?? psk),
      native: (options.sourceNative ?? ((n) => n))(native),
      clock,
      exclude: (p) => p.endsWith('.swp'),
      onEvent: (e) => sourceEvents.push(e),
      retryMs: 100,
      ...(options.xattrs && { xattrs: options.xattrs }),
      ...(options.fullCheckEveryMs !== undefined && { fullCheckEveryMs: options.fullCheckEveryMs }),
    });
  let replicator = makeSource();
  await replicator.start();
  t.after(async () => {
    await replicator.close();
    await server.close();
    undoReplicaSetup?.();
    rmSync(base, { recursive: true, force: true });
  });
  const converged = async (description: string) => {
    let last: string[] = [];
    await waitFor(
      async () => {
        last = await treeDifferences(source, replica, (p) => p.endsWith('.swp'), { xattrs: options.compareXattrs });
        const status = replicator.status();
        return last.length === 0 && status.queueDepth === 0 && status.inFlight === 0;
      },
      { description, timeoutMs: 20_000, intervalMs: 50 },
    ).catch((err: Error) => {
      throw new Error(`${err.message}; differences: ${last.slice(0, 5).join('; ')}; status ${JSON.stringify(replicator.status())}`);
    });
  };
  /** Stops the source (as a daemon stop would) and starts a new one: its first act is a full rescan. */
  const restartSource = async () => {
    await replicator.close();
    replicator = makeSource();
    await replicator.start();
  };
  return { source, replica, server, get replicator() { return replicator; }, sourceEvents, replicaEvents, converged, restartSource };
}
