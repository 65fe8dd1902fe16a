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

export const PROTOCOL_VERSION = 1;
const PARALLEL = 256;
const CONCURRENT = new Set<Frame['type']>(['put', 'mkdir', 'symlink', 'remove']);

export type ReplicaEvent =
  | { kind: 'connected'; peer: string }
  | { kind: 'disconnected'; peer: string; reason: string }
  | { kind: 'apply-failed'; path: RelPath; code: string; message: string }
  | { kind: 'resumed'; path: RelPath; offset: string };

export interface ReplicaServerOptions {
  root: Buffer;
  psk: PreSharedKey;
  host: string;
  port: number;
  native: FileTimesPort;
  onEvent?: (event: ReplicaEvent) => void;
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

  constructor(private readonly options: ReplicaServerOptions) {
    this.applier = new ReplicaApplier(options.root, options.native);
    this.digester = new TreeDigester(options.root);
    this.server = createServer(pskServerOptions(options.psk), (socket) => this.accept(socket));
    this.server.on('tlsClientError', () => {}); // a wrong key: the handshake fails, nothing to do
  }

  async listen(): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.port, this.options.host, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    return this.server.address() as AddressInfo;
  }

  async close(): Promise<void> {
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
    try {
      const h = frame.header;
      switch (frame.type) {
        case 'hello':
          if (readInt(h, 'protocol') !== PROTOCOL_VERSION) throw new ApplyError(`Protocol ${String(h.protocol)} is not ${PROTOCOL_VERSION}`, 'EPROTO');
          reply = { protocol: PROTOCOL_VERSION };
          break;
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
          path = readPath(h, 'path');
          await this.applier.putWhole(path, readMeta(h), frame.payload);
          break;
        case 'begin': {
          path = readPath(h, 'path');
          const offset = await this.applier.begin(path, readMeta(h), readBig(h, 'size'), readString(h, 'token'));
          if (offset > 0n) this.options.onEvent?.({ kind: 'resumed', path, offset: offset.toString() });
          reply = { offset: offset.toString() };
          break;
        }
        case 'data':
          await this.applier.data(readString(h, 'token'), readBig(h, 'offset'), frame.payload);
          return; // no reply: a failure is reported by 'end'
        case 'end':
          path = readPath(h, 'path');
          await this.applier.end(readString(h, 'token'), readString(h, 'sha256'));
          break;
        case 'mkdir':
          path = readPath(h, 'path');
          await this.applier.mkdir(path, readMeta(h));
          break;
        case 'symlink':
          path = readPath(h, 'path');
          await this.applier.symlink(path, Buffer.from(readString(h, 'target'), 'base64'), readMeta(h));
          break;
        case 'remove':
          path = readPath(h, 'path');
          await this.applier.remove(path);
          break;
        case 'rename':
          path = readPath(h, 'from');
          await this.applier.rename(path, readPath(h, 'to'));
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
    }
  }
}
