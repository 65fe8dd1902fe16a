/**
 * A replicated directory as a role-following resource (src/resources/resource.ts): the MASTER's
 * copy is the source, every BACKUP's a replica. start() comes up as a replica (listening for the
 * master), promote() turns this node into the source (one connection per peer), demote() back
 * into a replica, so after a failover the direction reverses by itself and the old master,
 * when it rejoins as BACKUP, catches up from the new one (generations decide whether that is a
 * plain catch-up or a split brain, generations.ts).
 *
 * monitor(): gauges per directory (lag seconds and bytes, queue depth, age of the last full
 * check, conflicts kept) and, on a replica, eligibility: a copy that has not completed a full
 * comparison with the current source (first copy running, a split brain being resolved, never
 * synced) is not eligible, so the resource's `veto` keeps this node from being elected while a
 * node with the complete copy exists.
 */
import type { Logger } from '../ports/index.js';
import type { MonitorResult, OperationContext, ResourceDriver } from '../resources/resource.js';
import type { NativeFileBinding } from '../net/native.js';
import type { Clock } from '../ports/index.js';
import { ContentCache } from './content-cache.js';
import { GenerationStore } from './generation-store.js';
import { printable, type RelPath } from './paths.js';
import type { ReplicationTransport } from './transport.js';
import type { Throttle } from './token-bucket.js';
import type { BulkPorts } from './bulk-io.js';
import { ReplicaServer, type ReplicaEvent } from './replica-server.js';
import { SourceReplicator, type SourceEvent } from './source-replicator.js';
import type { XattrSelection } from './xattrs.js';

export interface DirectorySettings {
  /** The directory, the same path on every node. */
  readonly path: string;
  readonly exclude: (path: RelPath) => boolean;
  /** Where this node's replica listens. */
  readonly listen: { readonly host: string; readonly port: number };
  /** Where the source finds each backup's replica. */
  readonly peers: readonly { readonly host: string; readonly port: number }[];
  /** How the nodes authenticate each other (psk-tls.ts, cert-tls.ts). */
  readonly transport: ReplicationTransport;
  /** Split brains keep the replica's replaced entries here (same filesystem as path). */
  readonly conflictDir: string;
  readonly fullCheckEveryMs: number;
  /** Extended attributes / POSIX ACLs replicated too (the master's setting decides, xattrs.ts). */
  readonly xattrs?: XattrSelection;
  /** A bandwidth limit per peer link (`bandwidthLimit`): a fresh throttle for each source. */
  readonly throttle?: () => Throttle;
  /** Where the replica takes bulk transfers (`bulkPorts`, bulk-io.ts); `off` also stops the source asking. Default: a port the kernel picks. */
  readonly bulkPorts?: BulkPorts;
}

export interface DirectoryPorts {
  readonly native: NativeFileBinding;
  readonly clock: Clock;
  readonly log: Logger;
  /** Where the generation record lives (the resource's state directory). */
  readonly stateDir: string;
  readonly onSourceEvent?: (event: SourceEvent) => void;
  readonly onReplicaEvent?: (event: ReplicaEvent) => void;
}

type Side = { role: 'replica'; server: ReplicaServer } | { role: 'source'; sources: SourceReplicator[] } | { role: 'stopped' };

export class DirectoryDriver implements ResourceDriver {
  readonly kind = 'directory';
  private side: Side = { role: 'stopped' };
  private store: GenerationStore | undefined;
  private hashes: ContentCache | undefined;
  private conflicts = 0;
  private splitBrains = 0;
  private lastEvent: string | undefined;
  /**
   * The operation that last changed the side. The core gives up on an aborted or timed-out
   * operation and starts the next one while the driver's may still run; each waits for the one
   * before it, so two never change the side at once (one would overwrite the other's side and
   * leave its server listening or its sources sending).
   */
  private busy: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly settings: DirectorySettings,
    private readonly ports: DirectoryPorts,
  ) {}

  start(ctx: OperationContext): Promise<void> {
    return this.serial(async () => {
      if (this.side.role === 'replica') return;
      await this.becomeReplica(ctx);
    });
  }

  promote(ctx: OperationContext): Promise<void> {
    return this.serial(() => this.becomeSource(ctx));
  }

  private async becomeSource(ctx: OperationContext): Promise<void> {
    if (this.side.role === 'source') return;
    await this.closeSide();
    const store = await this.generations();
    const hashes = await this.contentCache();
    const sources = this.settings.peers.map(
      (peer) =>
        new SourceReplicator({
          root: Buffer.from(this.settings.path),
          replica: peer,
          transport: this.settings.transport,
          throttle: this.settings.throttle?.(),
          bulk: this.settings.bulkPorts !== 'off',
          exclude: this.settings.exclude,
          native: this.ports.native,
          clock: this.ports.clock,
          fullCheckEveryMs: this.settings.fullCheckEveryMs,
          ...(this.settings.xattrs && { xattrs: this.settings.xattrs }),
          generations: store,
          contentCache: hashes,
          onEvent: (event) => this.onSourceEvent(`${peer.host}:${peer.port}`, event),
        }),
    );
    this.side = { role: 'source', sources };
    try {
      for (const source of sources) await source.start();
    } catch (err) {
      await this.closeSide();
      throw new Error(`Cannot replicate '${this.settings.path}' as source: ${(err as Error).message}`);
    }
    ctx.log.log('info', 'directory replication: source', { path: this.settings.path, peers: this.settings.peers.length });
  }

  demote(ctx: OperationContext): Promise<void> {
    return this.serial(async () => {
      if (this.side.role === 'replica') return;
      await this.becomeReplica(ctx);
    });
  }

  stop(): Promise<void> {
    return this.serial(() => this.closeSide());
  }

  close(): Promise<void> {
    return this.serial(() => this.closeSide());
  }

  private serial(operation: () => Promise<void>): Promise<void> {
    const run = this.busy.then(operation);
    this.busy = run.catch(() => undefined);
    return run;
  }

  async monitor(_ctx?: OperationContext): Promise<MonitorResult> {
    const side = this.side;
    if (side.role === 'source') {
      const all = side.sources.map((s) => s.status());
      const connected = all.filter((s) => s.connected).length;
      const last = all.map((s) => s.lastFullCheck).filter((t): t is number => t !== undefined);
      const now = this.ports.clock.now();
      return {
        healthy: true,
        detail: `source for ${all.length} peer(s), ${connected} connected${this.lastEvent ? `; ${this.lastEvent}` : ''}`,
        gauges: {
          lag_seconds: Math.max(0, ...all.map((s) => s.lagSeconds)),
          lag_bytes: Math.max(0, ...all.map((s) => s.lagBytes)),
          queue_depth: Math.max(0, ...all.map((s) => s.queueDepth)),
          failed_paths: Math.max(0, ...all.map((s) => s.failedPaths)),
          last_full_check_age_seconds: last.length === all.length && last.length > 0 ? (now - Math.min(...last)) / 1000 : -1,
          split_brains: this.splitBrains,
          conflicts: this.conflicts,
        },
      };
    }
    if (side.role === 'replica') {
      const status = side.server.status();
      const reason = status.splitBrain ? 'split brain being resolved (conflicting files kept)' : status.connected ? 'first full comparison with the source running' : 'not synced with the current source';
      return {
        healthy: true,
        detail: `replica, ${status.connected ? 'source connected' : 'no source'}, ${status.complete ? 'complete' : 'incomplete'}${this.lastEvent ? `; ${this.lastEvent}` : ''}`,
        eligibility: status.complete ? { eligible: true } : { eligible: false, reason },
        gauges: { complete: status.complete ? 1 : 0, conflicts: this.conflicts, split_brains: this.splitBrains, local_changes: status.localChanges },
      };
    }
    return { healthy: true, detail: 'stopped' };
  }

  describe(): Readonly<Record<string, unknown>> {
    const side = this.side;
    const base = { path: this.settings.path, role: side.role, generation: this.store?.state.current, conflicts: this.conflicts, conflictDir: this.settings.conflictDir, splitBrains: this.splitBrains, lastEvent: this.lastEvent };
    if (side.role === 'source') return { ...base, peers: side.sources.map((s) => s.status()) };
    if (side.role === 'replica') return { ...base, replica: side.server.status() };
    return base;
  }

  /** One cache of content hashes for the directory, whichever side runs, kept across restarts. */
  private async contentCache(): Promise<ContentCache> {
    this.hashes ??= await ContentCache.load(`${this.ports.stateDir}/content-hashes.bin`);
    return this.hashes;
  }

  private async generations(): Promise<GenerationStore> {
    this.store ??= await GenerationStore.open(`${this.ports.stateDir}/generations.json`);
    return this.store;
  }

  private async becomeReplica(ctx: OperationContext): Promise<void> {
    await this.closeSide();
    const server = new ReplicaServer({
      root: Buffer.from(this.settings.path),
      transport: this.settings.transport,
      ...this.settings.listen,
      native: this.ports.native,
      generations: await this.generations(),
      contentCache: await this.contentCache(),
      conflictDir: Buffer.from(this.settings.conflictDir),
      guard: this.ports.native,
      ...(this.settings.bulkPorts && { bulkPorts: this.settings.bulkPorts }),
      onEvent: (event) => this.onReplicaEvent(event),
    });
    await server.listen();
    this.side = { role: 'replica', server };
    ctx.log.log('info', 'directory replication: replica', { path: this.settings.path, port: this.settings.listen.port });
  }

  private async closeSide(): Promise<void> {
    const side = this.side;
    this.side = { role: 'stopped' };
    if (side.role === 'source') await Promise.all(side.sources.map((s) => s.close()));
    if (side.role === 'replica') await side.server.close();
  }

  private onSourceEvent(peer: string, event: SourceEvent): void {
    const log = this.ports.log;
    if (event.kind === 'split-brain') {
      this.splitBrains++;
      this.lastEvent = `split brain with ${peer}: this master's version kept, the peer's conflicting files go to its ${this.settings.conflictDir}`;
      log.log('error', 'directory replication: split brain', { path: this.settings.path, peer, ours: event.ours, theirs: event.theirs });
    } else if (event.kind === 'send-failed') {
      log.log('warn', 'directory replication: send failed', { path: this.settings.path, peer, file: printable(event.path), code: event.code, message: event.message });
    } else if (event.kind === 'xattrs-unsupported') {
      this.lastEvent = `to ${peer}: ${event.message}`;
      log.log('warn', 'directory replication: attributes not replicated', { path: this.settings.path, peer, message: event.message });
    } else if (event.kind === 'bulk-off') {
      this.lastEvent = `to ${peer}: large files go through TLS on this connection, a bulk connection failed: ${event.reason}`;
      log.log('warn', 'directory replication: bulk transfers off', { path: this.settings.path, peer, reason: event.reason });
    } else if (event.kind === 'connect-failed') {
      this.lastEvent = `cannot connect to ${peer}: ${event.reason}`;
      log.log('warn', 'directory replication: cannot connect to the replica', { path: this.settings.path, peer, reason: event.reason });
    } else if (event.kind === 'connected' || event.kind === 'disconnected' || event.kind === 'replica-complete') {
      if (event.kind === 'connected' && this.lastEvent?.startsWith(`cannot connect to ${peer}:`)) this.lastEvent = undefined;
      log.log('info', `directory replication: ${event.kind}`, { path: this.settings.path, peer, ...('reason' in event ? { reason: event.reason } : {}) });
    }
    this.ports.onSourceEvent?.(event);
  }

  private onReplicaEvent(event: ReplicaEvent): void {
    const log = this.ports.log;
    if (event.kind === 'conflict-kept') {
      this.conflicts++;
      log.log('warn', 'directory replication: conflicting file kept', { path: this.settings.path, file: printable(event.path) });
    } else if (event.kind === 'keeping-conflicts') {
      if (event.reason === 'split-brain') this.splitBrains++;
      this.lastEvent = `${event.reason}: replaced files kept in ${event.conflictDir}`;
      log.log(event.reason === 'split-brain' ? 'error' : 'info', `directory replication: ${event.reason}`, { path: this.settings.path, conflictDir: event.conflictDir });
    } else if (event.kind === 'local-change') {
      this.lastEvent = `'${printable(event.path)}' was changed on this backup outside replication; the master's version is put back`;
      log.log('warn', 'directory replication: local change on the replica reverted', { path: this.settings.path, file: printable(event.path) });
    } else if (event.kind === 'xattrs-unsupported') {
      this.lastEvent = event.message;
      log.log('warn', 'directory replication: attributes not replicated', { path: this.settings.path, message: event.message });
    } else if (event.kind === 'connected') {
      if (this.lastEvent?.startsWith('refused a source')) this.lastEvent = undefined;
    } else if (event.kind === 'refused') {
      this.lastEvent = `refused a source at ${event.peer}: ${event.reason}`;
      log.log('warn', 'directory replication: source refused', { path: this.settings.path, peer: event.peer, reason: event.reason });
    } else if (event.kind === 'apply-failed') {
      log.log('warn', 'directory replication: apply failed', { path: this.settings.path, file: printable(event.path), code: event.code, message: event.message });
    }
    this.ports.onReplicaEvent?.(event);
  }
}
