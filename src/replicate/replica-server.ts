/**
 * The replica side: listens for the source over TLS-PSK and applies what it sends, one frame
 * at a time in arrival order (so the replica passes through the source's order of changes). A
 * newer source connection replaces an older one. Bad frames get an 'error' reply, never a crash.
 */
import { randomBytes } from 'node:crypto';
import { unlinkSync, writeFileSync } from 'node:fs';
import { lstat } from 'node:fs/promises';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { BULK_TIMEOUT_MS, bulkPortOf, type BulkError, type BulkIoPort, type BulkPorts } from './bulk-io.js';
import { offerBulk } from './bulk-receiver.js';
import { Channel } from './channel.js';
import { entryToWire } from './entry-wire.js';
import { pathField, payloadLength, readBig, readInt, readPath, readString, type Frame } from './frames.js';
import { fileKey } from './link-index.js';
import { printable, TEMP_PREFIX, type RelPath } from './paths.js';
import type { ReplicationTransport } from './transport.js';
import { ApplyError, ReplicaApplier, xattrPortOf, type FileMeta, type FileTimesPort } from './replica-applier.js';
import type { CommitPhases } from './batch-commit.js';
import { anySelected, NO_XATTRS, probeXattrSupport, xattrsFromWire, type XattrSelection } from './xattrs.js';
import { TreeDigester } from './tree-digest.js';
import type { ContentCache } from './content-cache.js';
import type { GenerationStore } from './generation-store.js';
import { adoptSource, generationsFromWire, syncStarted } from './generations.js';
import { absolute } from './paths.js';
import { RecentChanges, ReplicaGuard } from './replica-guard.js';
import type { InotifyPort } from './tree-watcher.js';

/** 2: hard links (`link`), attributes in metadata and entries, `xattrs` agreed in hello. */
export const PROTOCOL_VERSION = 2;
/**
 * Optional parts of the protocol this replica understands, announced in the hello reply; a
 * source uses only what is announced, so older replicas keep working with newer sources.
 */
export const REPLICA_FEATURES = ['delta'] as const;
const PARALLEL = 256;
/**
 * Payload bytes received but not yet applied above which the replica stops reading the socket
 * (TCP then slows the source): a disk slower than the link must not fill memory with frames.
 */
const QUEUED_HIGH = 32 * 1024 * 1024;
const QUEUED_LOW = 8 * 1024 * 1024;
/**
 * Changes to one path each (a 'link' reads a second, its target: the source sends the names of
 * one file one at a time, so no change to the target runs beside it).
 */
const CONCURRENT = new Set<Frame['type']>(['put', 'mkdir', 'symlink', 'remove', 'link']);

export type ReplicaEvent =
  | { kind: 'connected'; peer: string }
  /** A source failed authentication (wrong key, bad or unexpected certificate): never applied. */
  | { kind: 'refused'; peer: string; reason: string }
  | { kind: 'disconnected'; peer: string; reason: string }
  | { kind: 'apply-failed'; path: RelPath; code: string; message: string }
  | { kind: 'resumed'; path: RelPath; offset: string }
  | { kind: 'keeping-conflicts'; reason: string; conflictDir: string }
  | { kind: 'conflict-kept'; path: RelPath }
  | { kind: 'complete'; generation: string }
  /** Changed on the replica outside replication; the source is asked to put its version back. */
  | { kind: 'local-change'; path: RelPath }
  /** The source asked for attributes (xattrs / ACLs) this filesystem cannot keep: replicated without them. */
  | { kind: 'xattrs-unsupported'; message: string };

export interface ReplicaServerOptions {
  root: Buffer;
  /** How sources authenticate (psk-tls.ts, cert-tls.ts). */
  transport: ReplicationTransport;
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
  /** Where bulk transfers are taken (bulk-io.ts): a kernel-picked port (the default), a range, or `off`. */
  bulkPorts?: BulkPorts;
  /** Each group commit's phases (batch-commit.ts), for benchmarks. */
  onCommitBatch?: (phases: CommitPhases) => void;
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
  return {
    mode: readInt(header, 'mode') & 0o7777,
    uid: readInt(header, 'uid'),
    gid: readInt(header, 'gid'),
    mtimeNs: readBig(header, 'mtimeNs'),
    ...(header.xattrs !== undefined && { xattrs: xattrsFromWire(header.xattrs) }),
  };
}

function selectionFromWire(wire: unknown): XattrSelection {
  if (typeof wire !== 'object' || wire === null) return NO_XATTRS;
  const h = wire as Record<string, unknown>;
  return { xattrs: h.xattrs === true, acls: h.acls === true };
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
  /** Attribute refusals already reported on this connection (one event per connection). */
  private xattrsRefusedReported = false;
  /** The addon's bulk jobs (bulk-io.ts); without them the replica offers no bulk transfers. */
  private readonly bulkPort: Required<BulkIoPort> | undefined;
  /** Set when this Node turned out not to expose a socket's descriptor: bulk transfers are no longer offered. */
  private bulkUnsupported = false;
  /** Each connection's TLS socket: its session's exporter keys the bulk transfers it asks for. */
  private readonly tlsOf = new WeakMap<Channel, TLSSocket>();

  constructor(private readonly options: ReplicaServerOptions) {
    this.applier = new ReplicaApplier(
      options.root,
      options.native,
      (path) => {
        this.conflictsKept++;
        options.onEvent?.({ kind: 'conflict-kept', path });
      },
      (_path, message) => {
        if (this.xattrsRefusedReported) return;
        this.xattrsRefusedReported = true;
        options.onEvent?.({ kind: 'xattrs-unsupported', message });
      },
      options.onCommitBatch,
    );
    this.digester = new TreeDigester(options.root, { readSmallFile: options.native.readSmallFile?.bind(options.native), xattrPort: xattrPortOf(options.native), cache: options.contentCache, scanDirectory: options.native.scanDirectory?.bind(options.native), hashFiles: options.native.hashFiles?.bind(options.native) });
    this.bulkPort = options.bulkPorts === 'off' ? undefined : bulkPortOf(options.native);
    const transport = options.transport;
    this.server = createServer(transport.serverOptions(), (socket) => this.accept(socket));
    // Renewed certificate files: installed before the next handshake (before the TLS layer's own
    // 'connection' listener wraps the socket with the context it holds).
    this.server.prependListener('connection', () => {
      try {
        const renewed = transport.renewedServerContext?.();
        if (renewed !== undefined) this.server.setSecureContext(renewed);
      } catch {
        // The last good context stays; the transport reported the problem.
      }
    });
    this.server.on('tlsClientError', (err, socket) => {
      const e = err as Error & { code?: string };
      // A port scan or a dropped connection is not a refusal worth an event.
      if (e.code === 'ECONNRESET' || socket.remoteAddress === undefined) return;
      options.onEvent?.({ kind: 'refused', peer: `${socket.remoteAddress}:${socket.remotePort}`, reason: `TLS handshake failed: ${e.message}` });
    });
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
    const refusal = this.options.transport.refusal?.(socket);
    if (refusal !== undefined) {
      this.refuse(socket, peer, refusal);
      return;
    }
    this.current?.close('replaced by a newer source connection');
    let queued = 0;
    const channel = new Channel(socket, (frame) => {
      const bytes = payloadLength(frame);
      queued += bytes;
      if (queued > QUEUED_HIGH && !socket.isPaused()) socket.pause();
      this.chain = this.chain
        .then(() => this.schedule(channel, frame))
        .finally(() => {
          queued -= bytes;
          if (queued < QUEUED_LOW && socket.isPaused()) socket.resume();
        });
    });
    this.current = channel;
    this.tlsOf.set(channel, socket);
    this.options.onEvent?.({ kind: 'connected', peer });
    channel.onClose((reason) => {
      this.options.onEvent?.({ kind: 'disconnected', peer, reason });
      this.chain = this.chain.then(() => this.applier.closeAll());
    });
  }

  /**
   * A source that failed authentication: its first request is answered with the reason (in TLS
   * 1.3 it would otherwise only see the connection drop), then the connection closes. Nothing it
   * sends is applied, and the current source's connection is left alone.
   */
  private refuse(socket: TLSSocket, peer: string, reason: string): void {
    this.options.onEvent?.({ kind: 'refused', peer, reason });
    const channel = new Channel(socket, (frame) => {
      if (frame.id === 0) return;
      const header = { code: 'EACCES', message: `the replica refused this node: ${reason}` };
      void channel.write({ type: 'error', id: frame.id, header, payload: Buffer.alloc(0) }).finally(() => socket.end());
    });
    setTimeout(() => channel.close('refused'), 5000).unref();
  }

  /**
   * Changes to single paths (put, mkdir, symlink, remove, link) run up to PARALLEL at once: the source
   * never has two of the same path in flight, and one that needs a parent still being made
   * gets ENOPARENT and is sent again. Everything else (streams, renames, digests) waits for
   * them and runs alone, so it sees the replica as the frames before it left it.
   */
  /**
   * The attributes this connection replicates: what the source asks for and this filesystem
   * keeps (a probe file, xattrs.ts). What it cannot keep is an event here and at the source,
   * and both sides then leave it out of digests, so it is not sent again and again.
   */
  private agreeXattrs(wanted: XattrSelection): XattrSelection {
    this.xattrsRefusedReported = false;
    const port = xattrPortOf(this.options.native);
    let agreed = NO_XATTRS;
    if (anySelected(wanted)) {
      if (port === undefined) {
        this.options.onEvent?.({ kind: 'xattrs-unsupported', message: 'this build has no extended-attribute calls' });
      } else {
        const probe = absolute(this.options.root, `${TEMP_PREFIX}probe-${randomBytes(4).toString('hex')}`);
        try {
          writeFileSync(probe, '', { mode: 0o600 });
          const { supported, missing } = probeXattrSupport(port, probe, wanted);
          agreed = supported;
          if (missing.length > 0) this.options.onEvent?.({ kind: 'xattrs-unsupported', message: `the replica's filesystem cannot keep ${missing.join(', ')}; replicated without them` });
        } catch (err) {
          this.options.onEvent?.({ kind: 'xattrs-unsupported', message: `cannot probe extended attributes: ${(err as Error).message}` });
        } finally {
          try {
            unlinkSync(probe);
          } catch {
            // never created
          }
        }
      }
    }
    this.applier.setXattrSelection(agreed);
    this.digester.setXattrSelection(agreed);
    return agreed;
  }

  /**
   * A bulk transfer for the partial of `token` (bulk-receiver.ts), when the source asked for one
   * and this replica can: the ticket and port for the begin reply. Without one (no addon, every
   * port of `bulkPorts` busy) the source sends the data through TLS, as it does to older replicas.
   */
  private async offerBulk(channel: Channel, token: string, path: RelPath): Promise<{ ticket: string; port: number } | undefined> {
    const control = this.tlsOf.get(channel);
    const target = this.applier.bulkTarget(token);
    const ports = this.options.bulkPorts ?? 'ephemeral';
    if (this.bulkPort === undefined || this.bulkUnsupported || ports === 'off' || control === undefined || target === undefined) return undefined;
    try {
      const offer = await offerBulk(this.bulkPort, control, target, BULK_TIMEOUT_MS, ports);
      this.applier.attachBulk(token, offer.job);
      // A failed bulk connection (cut, hostile, a full disk) is said here; the source sends again.
      offer.job.done.catch((err: BulkError) => {
        if (err.code !== 'ECANCELED') this.options.onEvent?.({ kind: 'apply-failed', path, code: err.code ?? 'EIO', message: `${printable(path)}: bulk transfer: ${err.message}` });
        // A Node without sockets' descriptors (bulk-io.ts socketFd): no more offers from this process.
        if (err.code === 'ENOTSUP') this.bulkUnsupported = true;
      });
      return { ticket: offer.ticket.toString('hex'), port: offer.port };
    } catch {
      return undefined;
    }
  }

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
          const xattrs = this.agreeXattrs(selectionFromWire(h.xattrs));
          const features = [...REPLICA_FEATURES, ...(this.bulkPort === undefined ? [] : ['bulk'])];
          reply = { protocol: PROTOCOL_VERSION, xattrs, features, ...(store && { generation: { current: store.state.current, history: store.state.history } }) };
          // The source's heartbeat offer (channel.ts keepAlive), taken within sane bounds and echoed.
          const every = h.heartbeatMs;
          const dead = h.deadAfterMs;
          if (typeof every === 'number' && typeof dead === 'number' && every >= 50 && every <= 60_000 && dead >= 2 * every && dead <= 600_000) {
            channel.keepAlive(every, dead);
            reply.heartbeatMs = every;
          }
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
          // A check this replica does not know (or none: an older source) is SHA-256 (content-check.ts).
          const check = h.check === 'poly1305' ? 'poly1305' : 'sha256';
          const token = readString(h, 'token');
          const { offset, basis, poly1305Key } = await this.applier.begin(path, readMeta(h), readBig(h, 'size'), token, h.basis === true, check);
          if (offset > 0n) this.options.onEvent?.({ kind: 'resumed', path, offset: offset.toString() });
          const bulk = h.bulk === true ? await this.offerBulk(channel, token, path) : undefined;
          reply = { offset: offset.toString(), ...(basis && { basis: { size: String(basis.size), blockSize: basis.blockSize } }), ...(poly1305Key && { poly1305Key: poly1305Key.toString('hex') }), ...(bulk && { bulk }) };
          break;
        }
        case 'sums': {
          const payload = await this.applier.sums(readString(h, 'token'), readInt(h, 'from'), readInt(h, 'n'));
          await channel.write({ type: 'ok', id: frame.id, header: {}, payload }).catch(() => {});
          return;
        }
        case 'patch':
          await this.applier.patch(readString(h, 'token'), readBig(h, 'offset'), frame.payload);
          return; // no reply: a failure is reported by 'end'
        case 'data':
          await this.applier.data(readString(h, 'token'), readBig(h, 'offset'), frame.parts ?? [frame.payload]);
          return; // no reply: a failure is reported by 'end'
        case 'end': {
          path = touch(readPath(h, 'path'));
          if (h.poly1305 !== undefined && h.sha256 !== undefined) throw new ApplyError(`${printable(path)}: an end carries one digest, this one both Poly1305 and SHA-256`, 'EPROTO');
          const kind = h.poly1305 !== undefined ? 'poly1305' : 'sha256';
          await this.applier.end(readString(h, 'token'), readString(h, kind), kind);
          break;
        }
        case 'mkdir':
          path = touch(readPath(h, 'path'));
          await this.applier.mkdir(path, readMeta(h));
          break;
        case 'symlink':
          path = touch(readPath(h, 'path'));
          await this.applier.symlink(path, Buffer.from(readString(h, 'target'), 'base64'), readMeta(h));
          break;
        case 'link': {
          path = touch(readPath(h, 'path'));
          const target = touch(readPath(h, 'target'));
          await this.applier.link(path, target, readMeta(h), readBig(h, 'size'));
          // The replica's own link index learns both names (its digests then group them at once).
          const st = await lstat(absolute(this.options.root, target), { bigint: true }).catch(() => undefined);
          if (st !== undefined && st.nlink > 1n) {
            this.digester.links.observe(target, fileKey(st.dev, st.ino));
            this.digester.links.observe(path, fileKey(st.dev, st.ino));
          }
          break;
        }
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
      // ENOPARENT, a rename of a missing name and a link to a name the replica does not hold in
      // that version (the source sends the content instead) are ordinary steps, not faults.
      const step = code === 'ENOPARENT' || (frame.type === 'rename' && code === 'ENOENT') || (frame.type === 'link' && (code === 'ESTALE' || code === 'ENOENT'));
      if (!step) {
        this.options.onEvent?.({ kind: 'apply-failed', path, code, message: `${printable(path)}: ${message}` });
      }
      if (frame.id !== 0) await channel.write({ type: 'error', id: frame.id, header: { code, message }, payload: Buffer.alloc(0) }).catch(() => {});
    } finally {
      await Promise.all(touched.map((p) => this.recent.done(p, this.options.root)));
    }
  }
}
