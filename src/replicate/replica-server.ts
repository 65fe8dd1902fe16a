/**
 * The replica side: listens for the source over TLS-PSK and applies what it sends, one frame
 * at a time in arrival order (so the replica passes through the source's order of changes). A
 * newer source connection replaces an older one. Bad frames get an 'error' reply, never a crash.
 */
import { createServer, type Server, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { Channel } from './channel.js';
import { entryToWire } from './entry-wire.js';
import { pathField, readBig, readInt, readPath, readString, type Frame } from './frames.js';
import { printable, type RelPath } from './paths.js';
import { pskServerOptions, type PreSharedKey } from './psk-tls.js';
import { ApplyError, ReplicaApplier, type FileMeta, type FileTimesPort } from './replica-applier.js';
import { TreeDigester } from './tree-digest.js';
import type { ContentCache } from './content-cache.js';
import type { GenerationStore } from './generation-store.js';
import { adoptSource, generationsFromWire, syncStarted } from './generations.js';
import { absolute } from './paths.js';
import { RecentChanges, ReplicaGuard } from './replica-guard.js';
import type { InotifyPort } from './tree-watcher.js';

export const PROTOCOL_VERSION = 1;
const PARALLEL = 256;
const CONCURRENT = new Set<Frame['type']>(['put', 'mkdir', 'symlink', 'remove']);

export type ReplicaEvent =
  | { kind: 'connected'; peer: string }
  | { kind: 'disconnected'; peer: string; reason: string }
  | { kind: 'apply-failed'; path: RelPath; code: string; message: string }
  | { kind: 'resumed'; path: RelPath; offset: string }
  | { kind: 'keeping-conflicts'; reason: string; conflictDir: string }
  | { kind: 'conflict-kept'; path: RelPath }
  | { kind: 'complete'; generation: string }
  /** Changed on the replica outside replication; the source is asked to put its version back. */
  | { kind: 'local-change'; path: RelPath };

export interface ReplicaServerOptions {
  root: Buffer;
  psk: PreSharedKey;
  host: string;
  port: number;
  native: FileTimesPort;
  onEvent?: (event: ReplicaEvent) => void;
  /** This node's generations for the directory; without it the replica answers none (lab tools). */
  generations?: GenerationStore;
  /** Where a split brain keeps the replica's replaced entries (a subdirectory per resolution); same filesystem as root. */
  conflictDir?: Buffer;
  /** Watch the replica for changes replication did not make (replica-guard.ts); off without it. */
  guard?: InotifyPort;
  /** Content hashes kept across restarts (content-cache.ts); default: in memory. */
  contentCache?: ContentCache;
}

export interface ReplicaStatus {
  connected: boolean;
  /** Completed a full comparison with the current source and not diverged since. */
  complete: boolean;
  /** Entries kept in the conflict directory since this process started. */
  conflicts: number;
  /** Changes made on the replica outside replication, seen since this process started. */
  localChanges: number;
  splitBrain: boolean;
  generation: string | undefined;
}

export function readMeta(header: Record<string, unknown>): FileMeta {
  return { mode: readInt(header, 'mode') & 0o7777, uid: readInt(header, 'uid'), gid: readInt(header, 'gid'), mtimeNs: readBig(header, 'mtimeNs') };
}

export class ReplicaServer {
  private readonly server: Server;
  private readonly applier: ReplicaApplier;
  private readonly digester: TreeDigester;
  private current: Channel | undefined;
  /** Frames start in arrival order, across connections too. */
  private chain: Promise<void> = Promise.resolve();
  /** Independent single-path changes running at once (their fsyncs share journal commits). */
  private readonly running = new Set<Promise<void>>();
  private conflictsKept = 0;
  private localChanges = 0;
  private readonly recent = new RecentChanges(() => performance.now());
  private guard: ReplicaGuard | undefined;

  constructor(private readonly options: ReplicaServerOptions) {
    this.applier = new ReplicaApplier(options.root, options.native, (path) => {
      this.conflictsKept++;
      options.onEvent?.({ kind: 'conflict-kept', path });
    });
    this.digester = new TreeDigester(options.root, { readSmallFile: options.native.readSmallFile?.bind(options.native), cache: options.contentCache, scanDirectory: options.native.scanDirectory?.bind(options.native) });
    this.server = createServer(pskServerOptions(options.psk), (socket) => this.accept(socket));
    this.server.on('tlsClientError', () => {}); // a wrong key: the handshake fails, nothing to do
  }

  async listen(): Promise<AddressInfo> {
    if (this.options.guard !== undefined) {
      this.guard = new ReplicaGuard({
        native: this.options.guard,
        root: this.options.root,
        recent: this.recent,
        onForeign: (path, local) => {
          if (local) {
            this.localChanges++;
            this.options.onEvent?.({ kind: 'local-change', path });
          }
          // The source compares the path again: its version comes back (one-way frame, no reply).
          const channel = this.current;
          if (channel !== undefined && !channel.closed) void channel.write({ type: 'dirty', id: 0, header: { path: pathField(path) }, payload: Buffer.alloc(0) }).catch(() => {});
        },
      });
      await this.guard.start();
    }
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return this.server.address() as AddressInfo;
  }

  status(): ReplicaStatus {
    const state = this.options.generations?.state;
    return {
      connected: this.current !== undefined && !this.current.closed,
      complete: state?.complete ?? false,
      conflicts: this.conflictsKept,
      localChanges: this.localChanges,
      splitBrain: this.applier.inSplitBrain,
      generation: state?.current,
    };
  }

  async close(): Promise<void> {
    this.guard?.close();
    this.current?.close('replica closing');
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    await this.chain;
    await Promise.all(this.running);
    await this.applier.closeAll();
  }

  private accept(socket: TLSSocket): void {
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    socket.setNoDelay(true);
    this.current?.close('replaced by a newer source connection');
    const channel = new Channel(socket, (frame) => {
      this.chain = this.chain.then(() => this.schedule(channel, frame));
    });
    this.current = channel;
    this.options.onEvent?.({ kind: 'connected', peer });
    channel.onClose((reason) => {
      this.options.onEvent?.({ kind: 'disconnected', peer, reason });
      this.chain = this.chain.then(() => this.applier.closeAll());
    });
  }

  /**
   * Changes to single paths (put, mkdir, symlink, remove) run up to PARALLEL at once: the source
   * never has two of the same path in flight, and one that needs a parent still being made
   * gets ENOPARENT and is sent again. Everything else (streams, renames, digests) waits for
   * them and runs alone, so it sees the replica as the frames before it left it.
   */
  private async schedule(channel: Channel, frame: Frame): Promise<void> {
    if (!CONCURRENT.has(frame.type)) {
      await Promise.all(this.running);
      await this.handle(channel, frame);
      return;
    }
    while (this.running.size >= PARALLEL) await Promise.race(this.running);
    const run = this.handle(channel, frame).finally(() => this.running.delete(run));
    this.running.add(run);
  }

  private async handle(channel: Channel, frame: Frame): Promise<void> {
    if (channel.closed) return;
    let reply: Record<string, unknown> | undefined;
    let path: RelPath = '';
    const touched: RelPath[] = [];
    /** A path this request changes: the replica's own watcher is not to report it. */
    const touch = (p: RelPath): RelPath => {
      if (this.options.guard === undefined) return p;
      touched.push(p);
      this.recent.begin(p);
      return p;
    };
    try {
      const h = frame.header;
      switch (frame.type) {
        case 'hello': {
          if (readInt(h, 'protocol') !== PROTOCOL_VERSION) throw new ApplyError(`Protocol ${String(h.protocol)} is not ${PROTOCOL_VERSION}`, 'EPROTO');
          const store = this.options.generations;
          reply = { protocol: PROTOCOL_VERSION, ...(store && { generation: { current: store.state.current, history: store.state.history } }) };
          // Until this source's full comparison completes, this copy is not one to promote.
          await store?.update(syncStarted);
          break;
        }
        case 'conflicts': {
          if (this.options.conflictDir === undefined) throw new ApplyError('This replica has no conflict directory', 'EINVAL');
          const label = `${new Date().toISOString().replace(/[:.]/g, '-')}-${this.options.generations?.state.current.slice(0, 8) ?? 'replica'}`;
          const dir = absolute(this.options.conflictDir, label);
          this.applier.keepConflicts(dir);
          this.options.onEvent?.({ kind: 'keeping-conflicts', reason: String(h.reason ?? 'split-brain'), conflictDir: dir.toString() });
          break;
        }
        case 'synced': {
          const source = generationsFromWire(h.generation);
          if (source === undefined) throw new ApplyError('synced: the generation is missing or malformed', 'EINVAL');
          await this.options.generations?.update(() => adoptSource(source));
          this.applier.keepConflicts(undefined);
          await this.applier.dropAbandoned();
          this.options.onEvent?.({ kind: 'complete', generation: source.current });
          break;
        }
        case 'tree': {
          path = readPath(h, 'path');
          const digests = await this.digester.tree(path);
          reply = { digests: [...digests].map(([p, d]) => [pathField(p), d.toString('hex')]) };
          break;
        }
        case 'list':
          path = readPath(h, 'path');
          reply = { entries: (await this.digester.list(path)).map(entryToWire) };
          break;
        case 'put':
          path = touch(readPath(h, 'path'));
          await this.applier.putWhole(path, readMeta(h), frame.payload);
          break;
        case 'begin': {
          path = touch(readPath(h, 'path'));
          const offset = await this.applier.begin(path, readMeta(h), readBig(h, 'size'), readString(h, 'token'));
          if (offset > 0n) this.options.onEvent?.({ kind: 'resumed', path, offset: offset.toString() });
          reply = { offset: offset.toString() };
          break;
        }
        case 'data':
          await this.applier.data(readString(h, 'token'), readBig(h, 'offset'), frame.payload);
          return; // no reply: a failure is reported by 'end'
        case 'end':
          path = touch(readPath(h, 'path'));
          await this.applier.end(readString(h, 'token'), readString(h, 'sha256'));
          break;
        case 'mkdir':
          path = touch(readPath(h, 'path'));
          await this.applier.mkdir(path, readMeta(h));
          break;
        case 'symlink':
          path = touch(readPath(h, 'path'));
          await this.applier.symlink(path, Buffer.from(readString(h, 'target'), 'base64'), readMeta(h));
          break;
        case 'remove':
          path = touch(readPath(h, 'path'));
          await this.applier.remove(path);
          break;
        case 'rename':
          path = touch(readPath(h, 'from'));
          await this.applier.rename(path, touch(readPath(h, 'to')));
          break;
        default:
          throw new ApplyError(`Frame type '${frame.type}' is not a request`, 'EPROTO');
      }
      await channel.write({ type: 'ok', id: frame.id, header: reply ?? {}, payload: Buffer.alloc(0) }).catch(() => {});
    } catch (err) {
      const code = err instanceof ApplyError ? err.code : err instanceof TypeError ? 'EINVAL' : ((err as NodeJS.ErrnoException).code ?? 'EIO');
      const message = (err as Error).message;
      // ENOPARENT and a rename of a missing name are ordinary steps of convergence, not faults.
      if (code !== 'ENOPARENT' && !(frame.type === 'rename' && code === 'ENOENT')) {
        this.options.onEvent?.({ kind: 'apply-failed', path, code, message: `${printable(path)}: ${message}` });
      }
      if (frame.id !== 0) await channel.write({ type: 'error', id: frame.id, header: { code, message }, payload: Buffer.alloc(0) }).catch(() => {});
    } finally {
      await Promise.all(touched.map((p) => this.recent.done(p, this.options.root)));
    }
  }
}
