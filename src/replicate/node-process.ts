/**
 * The replicator as a process of its own, for the lab (tests, benchmarks) until the daemon
 * builds it: each side prints its events as JSON lines on stdout and stops on SIGTERM.
 * Exported functions, not scripts (see src/lab/node-entry.ts); start them with nodeEntryCommand.
 */
import { loadNative } from '../net/native.js';
import type { Clock, Timers } from '../ports/index.js';
import type { CommitPhases } from './batch-commit.js';
import { ContentCache } from './content-cache.js';
import { relToBytes } from './paths.js';
import { pskTransport } from './psk-tls.js';
import { Throttle } from './token-bucket.js';
import { ReplicaServer } from './replica-server.js';
import { SourceReplicator, type SourceEvent } from './source-replicator.js';

export interface ReplicaProcessConfig {
  root: string;
  host: string;
  port: number;
  /** The pre-shared key, hex. */
  keyHex: string;
  /** Where the content hashes are kept across restarts (content-cache.ts); none: memory only. */
  stateDir?: string;
  /** Prints `{memory: process.memoryUsage()}` this often (benchmarks: where the RSS goes); 0 or absent: never. */
  memoryEveryMs?: number;
  /** Replica: prints `{commit: {files, dataMs, renameMs, dirMs}}` per group commit (batch-commit.ts). */
  commitPhases?: boolean;
}

export interface SourceProcessConfig extends ReplicaProcessConfig {
  /** `bandwidthLimit` in bytes/s (token-bucket.ts); absent: none. */
  bandwidthLimit?: number;
  /** Status lines every this many ms (0: none). */
  statusEveryMs?: number;
}

function print(record: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(record, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}\n`);
}

function printablePaths(event: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...event };
  for (const key of ['path', 'from', 'to']) if (typeof out[key] === 'string') out[key] = relToBytes(out[key] as string).toString('base64');
  return out;
}

function untilTerminated(close: () => Promise<void>, config: ReplicaProcessConfig): Promise<void> {
  const every = config.memoryEveryMs ?? 0;
  const timer = every > 0 ? setInterval(() => print({ memory: process.memoryUsage() }), every) : undefined;
  return new Promise((resolve) => {
    process.once('SIGTERM', () => {
      clearInterval(timer);
      void close().then(resolve);
    });
  });
}

export async function runReplicaProcess(config: ReplicaProcessConfig): Promise<void> {
  const server = new ReplicaServer({
    root: Buffer.from(config.root),
    host: config.host,
    port: config.port,
    transport: pskTransport({ identity: 'lab', key: Buffer.from(config.keyHex, 'hex') }),
    native: loadNative(),
    contentCache: await ContentCache.load(cacheFile(config)),
    onEvent: (event) => print({ event: printablePaths(event) }),
    ...(config.commitPhases === true && { onCommitBatch: (commit: CommitPhases) => print({ commit }) }),
  });
  const address = await server.listen();
  print({ listening: address.port });
  await untilTerminated(() => server.close(), config);
}

/** A source for the lab: the real addon and clock, the lab's key identity, quick retries. */
function cacheFile(config: ReplicaProcessConfig): string | undefined {
  return config.stateDir === undefined ? undefined : `${config.stateDir}/content-hashes.bin`;
}

/** Node's own clock and timers (the lab processes have no addon timer; ms precision is enough). */
export const labTime: Clock & Timers = {
  now: () => performance.now(),
  at: (deadline, fn) => {
    const timer = setTimeout(fn, Math.max(0, deadline - performance.now()));
    return () => clearTimeout(timer);
  },
};

export function labSource(config: ReplicaProcessConfig & { bandwidthLimit?: number }, onEvent: (event: SourceEvent) => void, contentCache?: ContentCache): SourceReplicator {
  const clock = labTime;
  return new SourceReplicator({
    root: Buffer.from(config.root),
    replica: { host: config.host, port: config.port },
    transport: pskTransport({ identity: 'lab', key: Buffer.from(config.keyHex, 'hex') }),
    native: loadNative(),
    clock,
    retryMs: 300,
    throttle: config.bandwidthLimit === undefined ? undefined : new Throttle(config.bandwidthLimit, labTime, labTime),
    contentCache,
    onEvent,
  });
}

export async function runSourceProcess(config: SourceProcessConfig): Promise<void> {
  const replicator = labSource(
    config,
    (event) => {
      if (event.kind !== 'synced') print({ event: printablePaths(event) });
    },
    await ContentCache.load(cacheFile(config)),
  );
  await replicator.start();
  print({ started: true });
  const timer = config.statusEveryMs ? setInterval(() => print({ status: replicator.status() }), config.statusEveryMs) : undefined;
  await untilTerminated(async () => {
    clearInterval(timer);
    await replicator.close();
  }, config);
}
