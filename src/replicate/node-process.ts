/**
 * The replicator as a process of its own, for the lab (tests, benchmarks) until the daemon
 * builds it: each side prints its events as JSON lines on stdout and stops on SIGTERM.
 * Exported functions, not scripts (see src/lab/node-entry.ts); start them with nodeEntryCommand.
 */
import { loadNative } from '../net/native.js';
import { ContentCache } from './content-cache.js';
import { relToBytes } from './paths.js';
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
}

export interface SourceProcessConfig extends ReplicaProcessConfig {
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

function untilTerminated(close: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    process.once('SIGTERM', () => void close().then(resolve));
  });
}

export async function runReplicaProcess(config: ReplicaProcessConfig): Promise<void> {
  const server = new ReplicaServer({
    root: Buffer.from(config.root),
    host: config.host,
    port: config.port,
    psk: { identity: 'lab', key: Buffer.from(config.keyHex, 'hex') },
    native: loadNative(),
    contentCache: await ContentCache.load(cacheFile(config)),
    onEvent: (event) => print({ event: printablePaths(event) }),
  });
  const address = await server.listen();
  print({ listening: address.port });
  await untilTerminated(() => server.close());
}

function cacheFile(config: ReplicaProcessConfig): string | undefined {
  return config.stateDir === undefined ? undefined : `${config.stateDir}/content-hashes.bin`;
}

/** A source for the lab: the real addon and clock, the lab's key identity, quick retries. */
export function labSource(config: ReplicaProcessConfig, onEvent: (event: SourceEvent) => void, contentCache?: ContentCache): SourceReplicator {
  return new SourceReplicator({
    root: Buffer.from(config.root),
    replica: { host: config.host, port: config.port },
    psk: { identity: 'lab', key: Buffer.from(config.keyHex, 'hex') },
    native: loadNative(),
    clock: { now: () => performance.now() },
    retryMs: 300,
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
  });
}
