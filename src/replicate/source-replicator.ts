/**
 * The source role for one directory pair: watches the tree, queues and coalesces changes, keeps
 * one TLS-PSK connection to the replica (reconnecting with backoff), and converges the replica by
 * a digest rescan after every connect, overflow or lost watch. Reports lag and queue depth.
 */
import { lstat } from 'node:fs/promises';
import { connect, type TLSSocket } from 'node:tls';
import type { Clock } from '../ports/index.js';
import { bulkPortOf, type BulkIoPort } from './bulk-io.js';
import { Channel, ChannelClosedError, RemoteError } from './channel.js';
import { readPath } from './frames.js';
import { ChangeQueue, type Work } from './change-queue.js';
import { absolute, isReplicatorName, printable, type RelPath } from './paths.js';
import { describeTlsError } from './cert-tls.js';
import type { ReplicationTransport } from './transport.js';
import type { Throttle } from './token-bucket.js';
import { PROTOCOL_VERSION } from './replica-server.js';
import { SendFailed, SourceSender, type DeltaReport, type SmallFileReader } from './source-sender.js';
import { TreeDigester } from './tree-digest.js';
import type { ContentCache } from './content-cache.js';
import { TreeWatcher, type InotifyPort, type TreeChange } from './tree-watcher.js';
import { newGenerationId, type GenerationStore } from './generation-store.js';
import { beforeChange, compareGenerations, generationsFromWire, markPending } from './generations.js';
import { xattrPortOf } from './replica-applier.js';
import { anySelected, NO_XATTRS, type XattrPort, type XattrSelection } from './xattrs.js';

export type SourceEvent =
  | { kind: 'connected' }
  | { kind: 'disconnected'; reason: string }
  /** A connection attempt failed before the session began (unreachable, authentication); once per distinct reason. */
  | { kind: 'connect-failed'; reason: string }
  | { kind: 'rescan-started'; path: RelPath; reason: string }
  | { kind: 'rescan-done'; path: RelPath; sent: number; ms: number }
  | { kind: 'synced'; path: RelPath; lagMs: number }
  | { kind: 'send-failed'; path: RelPath; code: string; message: string }
  /** Both sides changed since their common generation: the replica keeps what is replaced. */
  | { kind: 'split-brain'; ours: string; theirs: string }
  /** A full comparison completed with nothing failed: the replica holds this generation. */
  | { kind: 'replica-complete'; generation: string }
  /** Attributes asked for (xattrs / ACLs) that the replica cannot keep: replicated without them. */
  | { kind: 'xattrs-unsupported'; message: string }
  /** A changed large file went as a delta (rsync's algorithm): what was sent, what was reused. */
  | ({ kind: 'delta' } & DeltaReport)
  /** A bulk connection failed (a firewall on the replica's offered port, say): large files go through TLS on this connection. */
  | { kind: 'bulk-off'; reason: string };

export interface SourceStatus {
  connected: boolean;
  queueDepth: number;
  inFlight: number;
  /** Age of the oldest change not yet on the replica, seconds (0 when caught up). */
  lagSeconds: number;
  /** Bytes read for sending but not yet acknowledged, a lower bound of what the replica lacks. */
  lagBytes: number;
  /** File content bytes sent since this source started (renames and links send none). */
  sentBytes: number;
  /** Monotonic ms of the last completed full rescan, or undefined. */
  lastFullCheck: number | undefined;
  failedPaths: number;
  /** Split brains detected since start. */
  splitBrains: number;
  generation: string | undefined;
}

export interface SourceReplicatorOptions {
  root: Buffer;
  replica: { host: string; port: number };
  /** How the two sides authenticate (psk-tls.ts, cert-tls.ts); asked again at every connect. */
  transport: ReplicationTransport;
  exclude?: (path: RelPath) => boolean;
  /** Asks for bulk transfers where the replica offers them (bulk-io.ts); default true. */
  bulk?: boolean;
  native: InotifyPort & SmallFileReader & BulkIoPort & { [K in keyof XattrPort]?: XattrPort[K] };
  clock: Clock;
  /** Extended attributes and/or POSIX ACLs replicated too (xattrs.ts); default neither. */
  xattrs?: XattrSelection;
  onEvent?: (event: SourceEvent) => void;
  /** Sends in flight at once (small files are pipelined). */
  window?: number;
  /** Wait before sending a failed path again. */
  retryMs?: number;
  /** How long a file being written (no close yet) must be quiet before it is sent. Default 200 ms. */
  settleMs?: number;
  /** A full digest comparison this often as a safety net (0: only after connect / overflow). Default 10 min. */
  fullCheckEveryMs?: number;
  /** Heartbeat period, both ways (channel.ts keepAlive). Default 2 s. */
  heartbeatMs?: number;
  /** Nothing heard for this long: the connection is dropped and made again. Default 15 s. */
  deadAfterMs?: number;
  /** The bandwidth limit of this link (token-bucket.ts); none: as fast as the link goes. */
  throttle?: Throttle;
  /** This node's generations for the directory (generations.ts); without it no split-brain detection (lab tools). */
  generations?: GenerationStore;
  /** Content hashes kept across restarts (content-cache.ts); default: in memory. */
  contentCache?: ContentCache;
  /** Delta transfer for changed large files when the replica supports it. Default on. */
  delta?: boolean;
}

export class SourceReplicator {
  private readonly queue = new ChangeQueue();
  private readonly digester: TreeDigester;
  private readonly watcher: TreeWatcher;
  private readonly busy = new Map<RelPath, number>();
  private readonly failed = new Set<RelPath>();
  private channel: Channel | undefined;
  private sender: SourceSender | undefined;
  private barrier = false;
  private inFlight = 0;
  private lagBytes = 0;
  private sentBytes = 0;
  private lastFullCheck: number | undefined;
  private splitBrains = 0;
  private closed = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private fullCheckTimer: NodeJS.Timeout | undefined;
  private backoffMs = 100;
  /** The last reason a connection attempt failed, so a persisting failure is reported once. */
  private lastRefusal: string | undefined;
  private readonly retryTimers = new Set<NodeJS.Timeout>();
  /** Files being written: sent at the writer's close, or once quiet for settleMs. */
  private readonly settling = new Map<RelPath, { since: number; timer: NodeJS.Timeout }>();
  private readonly xattrPort: XattrPort | undefined;

  constructor(private readonly options: SourceReplicatorOptions) {
    const exclude = (path: RelPath) => isReplicatorName(path.slice(path.lastIndexOf('/') + 1)) || (options.exclude?.(path) ?? false);
    this.xattrPort = xattrPortOf(options.native);
    this.digester = new TreeDigester(options.root, { exclude, readSmallFile: options.native.readSmallFile?.bind(options.native), xattrPort: this.xattrPort, cache: options.contentCache, scanDirectory: options.native.scanDirectory?.bind(options.native), hashFiles: options.native.hashFiles?.bind(options.native) });
    this.watcher = new TreeWatcher(options.native, options.root, { exclude, onChanges: (changes) => this.onChanges(changes) });
  }

  async start(): Promise<void> {
    // Promotion: the first change from now on starts a new generation.
    await this.options.generations?.update(markPending);
    await this.watcher.start();
    this.connect();
    const every = this.options.fullCheckEveryMs ?? 600_000;
    if (every > 0) {
      this.fullCheckTimer = setInterval(() => {
        this.queue.rescan('', 'periodic full check', this.options.clock.now());
        this.pump();
      }, every);
      this.fullCheckTimer.unref();
    }
  }

  /** Changes waiting, files still being written included (cheap; status() also computes the lag). */
  get queueDepth(): number {
    return this.queue.depth + this.settling.size;
  }

  status(): SourceStatus {
    let oldest = this.queue.oldest();
    for (const { since } of this.settling.values()) if (oldest === undefined || since < oldest) oldest = since;
    return {
      connected: this.channel !== undefined && !this.channel.closed,
      queueDepth: this.queue.depth + this.settling.size,
      inFlight: this.inFlight,
      lagSeconds: oldest === undefined ? 0 : Math.max(0, this.options.clock.now() - oldest) / 1000,
      lagBytes: this.lagBytes,
      sentBytes: this.sentBytes,
      lastFullCheck: this.lastFullCheck,
      failedPaths: this.failed.size,
      splitBrains: this.splitBrains,
      generation: this.options.generations?.state.current,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.watcher.close();
    clearTimeout(this.reconnectTimer);
    clearInterval(this.fullCheckTimer);
    for (const timer of this.retryTimers) clearTimeout(timer);
    for (const { timer } of this.settling.values()) clearTimeout(timer);
    this.channel?.close('source closing');
  }

  private emit(event: SourceEvent): void {
    this.options.onEvent?.(event);
  }

  private onChanges(changes: TreeChange[]): void {
    const now = this.options.clock.now();
    const generations = this.options.generations;
    if (generations?.state.pending) void generations.update((s) => beforeChange(s, newGenerationId)).catch(() => {});
    for (const change of changes) {
      if (change.kind === 'changed' && change.settle) this.settle(change.path, now);
      else if (change.kind === 'changed') {
        const settling = this.settling.get(change.path);
        if (settling !== undefined) {
          clearTimeout(settling.timer);
          this.settling.delete(change.path);
        }
        this.queue.sync(change.path, settling?.since ?? now);
      }
      else if (change.kind === 'renamed') this.queue.rename(change.from, change.to, now);
      else this.queue.rescan(change.path, change.reason, now);
    }
    this.pump();
  }

  private settle(path: RelPath, now: number): void {
    const previous = this.settling.get(path);
    if (previous !== undefined) clearTimeout(previous.timer);
    const since = previous?.since ?? now;
    const timer = setTimeout(() => this.settled(path, since), this.options.settleMs ?? 200);
    this.settling.set(path, { since, timer });
    // A hard link is created with IN_CREATE and no write or close follows: a new name of a
    // file with other links is complete at once (inotify(7) has no event of its own for link(2)).
    if (previous === undefined) {
      void lstat(absolute(this.options.root, path))
        .then((st) => {
          if (st.isFile() && st.nlink > 1 && this.settling.get(path)?.timer === timer) {
            clearTimeout(timer);
            this.settled(path, since);
          }
        })
        .catch(() => {});
    }
  }

  private settled(path: RelPath, since: number): void {
    this.settling.delete(path);
    this.queue.sync(path, since);
    this.pump();
  }

  private connect(): void {
    if (this.closed) return;
    let socket: TLSSocket;
    try {
      socket = connect({ host: this.options.replica.host, port: this.options.replica.port, ...this.options.transport.clientOptions(this.options.replica) });
    } catch (err) {
      // Unusable credentials (the files named in the message): tried again with the backoff.
      this.connectFailed(`this node's ${this.options.transport.name} cannot be used: ${(err as Error).message}`);
      this.reconnectTimer = setTimeout(() => this.connect(), this.backoffMs);
      this.backoffMs = Math.min(this.backoffMs * 2, 2000);
      return;
    }
    let handshakeError: string | undefined;
    socket.once('error', (err) => (handshakeError ??= describeTlsError(err, "the replica's")));
    socket.setNoDelay(true);
    const channel = new Channel(socket, (frame) => {
      // The only frame a replica sends unasked: a path changed there outside replication.
      if (frame.type !== 'dirty' || frame.id !== 0) return channel.close('the replica sent a request');
      let path: RelPath;
      try {
        path = readPath(frame.header, 'path');
      } catch {
        return channel.close('a malformed dirty frame');
      }
      this.queue.rescan(path, 'changed on the replica', this.options.clock.now());
      this.pump();
    });
    this.channel = channel;
    channel.onClose((reason) => {
      if (this.sender !== undefined && this.channel === channel) this.emit({ kind: 'disconnected', reason });
      else if (this.channel === channel && !this.closed) this.connectFailed(handshakeError ?? reason);
      // Changes from now on may not reach the replica: they belong to a new generation.
      if (!this.closed) void this.options.generations?.update(markPending).catch(() => {});
      this.sender = undefined;
      this.inFlight = 0;
      this.lagBytes = 0;
      this.busy.clear();
      this.barrier = false;
      if (this.closed) return;
      this.reconnectTimer = setTimeout(() => this.connect(), this.backoffMs);
      this.backoffMs = Math.min(this.backoffMs * 2, 2000);
    });
    // A peer that accepts the connection and then says nothing (frozen, a half-open link) is
    // given up after the heartbeat's deadline, as a silent session would be. Only the TLS
    // handshake: the hello may wait behind the replica finishing the previous session's work.
    const deadAfterMs = this.options.deadAfterMs ?? 15_000;
    const handshakeTimer = setTimeout(() => channel.close(`no TLS handshake with the replica in ${deadAfterMs / 1000} s`), deadAfterMs);
    handshakeTimer.unref();
    channel.onClose(() => clearTimeout(handshakeTimer));
    socket.once('secureConnect', () => {
      clearTimeout(handshakeTimer);
      void this.hello(channel)
        .then(({ delta, bulk }) => {
          const bulkPort = bulk && this.options.bulk !== false && this.options.throttle === undefined ? bulkPortOf(this.options.native) : undefined;
          this.backoffMs = 100;
          this.lastRefusal = undefined;
          this.sender = new SourceSender(channel, this.options.root, this.digester, {
            onBytes: (n) => {
              if (this.channel === channel) this.lagBytes += n;
              this.sentBytes += n;
            },
            onFailed: (failure) => this.onFailed(failure),
            onDelta: (report) => this.emit({ kind: 'delta', ...report }),
            onBulkOff: (reason) => this.emit({ kind: 'bulk-off', reason }),
          }, this.options.native, this.xattrPort, { delta: delta && this.options.delta !== false, throttle: this.options.throttle, ...(bulkPort && { bulk: { port: bulkPort, control: socket } }) });
          this.emit({ kind: 'connected' });
          // What changed while disconnected is unknown: compare everything (cheap when equal).
          this.queue.rescan('', 'connected', this.options.clock.now());
          this.pump();
        })
        .catch((err) => channel.close(err instanceof RemoteError ? (err as Error).message : `hello failed: ${(err as Error).message}`));
    });
  }

  private connectFailed(reason: string): void {
    if (reason === this.lastRefusal) return;
    this.lastRefusal = reason;
    this.emit({ kind: 'connect-failed', reason });
  }

  /** Protocol and generations; in a split brain the replica is told to keep what is replaced. */
  /** Resolves which optional parts the replica announced (delta transfer, bulk transfers). */
  private async hello(channel: Channel): Promise<{ delta: boolean; bulk: boolean }> {
    const store = this.options.generations;
    // A generation still pending (promotion, or a replica lost) starts now, not at the first
    // change: every change from here on reaches this replica in order, so the generation it adopts
    // at the end of this comparison must already be the one those changes belong to. Starting it at
    // the first change instead left a replica that compared before that change one generation
    // behind, and a later failover from it looked like a split brain to the returning master.
    if (store?.state.pending) await store.update((s) => beforeChange(s, newGenerationId));
    const ours = store && { current: store.state.current, history: store.state.history };
    const wanted = this.xattrPort === undefined ? NO_XATTRS : (this.options.xattrs ?? NO_XATTRS);
    if (this.xattrPort === undefined && anySelected(this.options.xattrs ?? NO_XATTRS)) {
      this.emit({ kind: 'xattrs-unsupported', message: 'this build has no extended-attribute calls' });
    }
    const heartbeat = { heartbeatMs: this.options.heartbeatMs ?? 2000, deadAfterMs: this.options.deadAfterMs ?? 15_000 };
    const reply = await channel.request('hello', { protocol: PROTOCOL_VERSION, xattrs: wanted, ...heartbeat, ...(ours && { generation: ours }) });
    // A replica that echoes the heartbeat knows the frame (older ones ignore the offer).
    if (reply.header.heartbeatMs === heartbeat.heartbeatMs) channel.keepAlive(heartbeat.heartbeatMs, heartbeat.deadAfterMs);
    const features: unknown[] = Array.isArray(reply.header.features) ? reply.header.features : [];
    const announced = { delta: features.includes('delta'), bulk: features.includes('bulk') };
    // What both sides keep: the replica answers what its filesystem supports of what was asked.
    const agreed = reply.header.xattrs as Partial<XattrSelection> | undefined;
    const selection = { xattrs: wanted.xattrs && agreed?.xattrs === true, acls: wanted.acls && agreed?.acls === true };
    this.digester.setXattrSelection(selection);
    if (selection.xattrs !== wanted.xattrs || selection.acls !== wanted.acls) {
      const lacking = [wanted.xattrs && !selection.xattrs ? 'extended attributes' : '', wanted.acls && !selection.acls ? 'POSIX ACLs' : ''].filter(Boolean).join(' and ');
      this.emit({ kind: 'xattrs-unsupported', message: `the replica cannot keep ${lacking}; replicating without them` });
    }
    if (store === undefined || ours === undefined) return announced;
    const theirs = generationsFromWire(reply.header.generation);
    if (theirs === undefined) throw new Error('the replica sent no generation');
    const lineage = compareGenerations(ours, theirs);
    if (lineage === 'same' || lineage === 'replica-behind') return announced;
    if (lineage === 'diverged') {
      this.splitBrains++;
      this.emit({ kind: 'split-brain', ours: ours.current, theirs: theirs.current });
    }
    await channel.request('conflicts', { reason: lineage === 'diverged' ? 'split-brain' : 'first-copy' });
    return announced;
  }

  /** After a full comparison with nothing failed: the replica now holds this generation. */
  private async markComplete(sender: SourceSender): Promise<void> {
    const store = this.options.generations;
    if (store === undefined || this.failed.size > 0) return;
    const generation = { current: store.state.current, history: store.state.history };
    await sender.synced(generation);
    this.emit({ kind: 'replica-complete', generation: generation.current });
  }

  private onFailed(failure: SendFailed): void {
    this.emit({ kind: 'send-failed', path: failure.path, code: failure.code, message: failure.message });
    this.failed.add(failure.path);
    // A file that changed while read is sent again at once; other failures (a full disk, an
    // unreadable file) after a pause, until they heal.
    const delay = failure.code === 'ECHANGED' ? 0 : (this.options.retryMs ?? 1000);
    const timer = setTimeout(() => {
      this.retryTimers.delete(timer);
      this.queue.sync(failure.path, this.options.clock.now());
      this.pump();
    }, delay);
    this.retryTimers.add(timer);
  }

  private pump(): void {
    const sender = this.sender;
    if (sender === undefined || this.barrier) return;
    const window = this.options.window ?? 256;
    while (this.inFlight < window) {
      const item = this.queue.take((path) => this.busy.has(path));
      if (item === undefined) return;
      // Renames and rescans see the replica as the sends before them left it: they wait for
      // those to finish and hold back the ones after them.
      if (item.kind !== 'sync' && this.inFlight > 0) {
        this.queue.retry(item);
        this.barrier = true;
        return;
      }
      this.inFlight++;
      if (item.kind === 'sync') this.busy.set(item.path, (this.busy.get(item.path) ?? 0) + 1);
      else this.barrier = true;
      void this.run(sender, item).finally(() => {
        // Work of a closed connection settles after its close reset the counts: not counted again.
        if (this.sender !== sender) return;
        this.inFlight--;
        if (item.kind === 'sync') this.busy.delete(item.path);
        else this.barrier = false;
        if (this.inFlight === 0) {
          this.barrier = false;
          this.lagBytes = 0;
        }
        this.pump();
      });
    }
  }

  private async run(sender: SourceSender, item: Work): Promise<void> {
    const clock = this.options.clock;
    try {
      if (item.kind === 'sync') {
        await sender.send(item.path);
        this.failed.delete(item.path);
        this.emit({ kind: 'synced', path: item.path, lagMs: clock.now() - item.since });
      } else if (item.kind === 'rename') {
        if (!(await sender.rename(item.from, item.to))) {
          // Not there on the replica as expected: converge both names by digest instead.
          this.queue.rescan(item.to, 'rename not applicable', item.since);
        }
        this.queue.sync(item.from, item.since);
        this.emit({ kind: 'synced', path: item.to, lagMs: clock.now() - item.since });
      } else {
        const started = clock.now();
        this.emit({ kind: 'rescan-started', path: item.path, reason: item.reason });
        const sent = await sender.rescan(item.path);
        if (item.path === '') {
          this.lastFullCheck = clock.now();
          await this.markComplete(sender);
        }
        this.emit({ kind: 'rescan-done', path: item.path, sent, ms: clock.now() - started });
      }
    } catch (err) {
      if (err instanceof ChannelClosedError) {
        this.queue.retry(item); // sent again after the reconnect's rescan covers it anyway
        return;
      }
      if (err instanceof SendFailed) {
        this.onFailed(err);
        return;
      }
      if (item.kind === 'rescan') {
        this.emit({ kind: 'send-failed', path: item.path, code: 'ERESCAN', message: `Rescan of '${printable(item.path)}' failed: ${(err as Error).message}` });
        const timer = setTimeout(() => {
          this.retryTimers.delete(timer);
          this.queue.rescan(item.path, 'retry after a failed rescan', item.since);
          this.pump();
        }, this.options.retryMs ?? 1000);
        this.retryTimers.add(timer);
        return;
      }
      const path = item.kind === 'rename' ? item.to : item.path;
      this.onFailed(new SendFailed(path, (err as NodeJS.ErrnoException).code ?? 'EIO', `${printable(path)}: ${(err as Error).message}`));
    }
  }
}
