/**
 * Frames over one stream (a TLS socket): requests with replies matched by id, one-way frames,
 * and back-pressure (send resolves once the socket will take more). Any malformed input closes
 * the channel with the reason; pending requests then reject.
 */
import type { Duplex } from 'node:stream';
import { encodeFrameParts, FrameDecoder, type Frame, type FrameTypeName } from './frames.js';

export class ChannelClosedError extends Error {
  constructor(reason: string) {
    super(`The replication connection closed: ${reason}`);
    this.name = 'ChannelClosedError';
  }
}

/** An 'error' reply from the peer; `code` is the errno name when the failure was a system call. */
export class RemoteError extends Error {
  constructor(
    message: string,
    readonly code: string,
  ) {
    super(message);
    this.name = 'RemoteError';
  }
}

export class Channel {
  private readonly decoder = new FrameDecoder();
  private readonly pending = new Map<number, { resolve: (f: Frame) => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private closedReason: string | undefined;
  private readonly closeHandlers: ((reason: string) => void)[] = [];
  private drain: Promise<void> | undefined;
  /** performance.now() of the last bytes received: any bytes prove the peer alive. */
  private lastHeard = performance.now();
  private keepAliveTimer: NodeJS.Timeout | undefined;

  /** `onFrame` gets every frame that is not a reply (requests and data), in order. */
  constructor(
    private readonly stream: Duplex,
    private readonly onFrame: (frame: Frame) => void,
  ) {
    stream.on('data', (chunk: Buffer) => {
      this.lastHeard = performance.now();
      let frames: Frame[];
      try {
        frames = this.decoder.push(chunk);
      } catch (err) {
        this.close(`malformed input: ${(err as Error).message}`);
        return;
      }
      for (const frame of frames) this.dispatch(frame);
    });
    stream.on('error', (err) => this.close(err.message));
    stream.on('close', () => this.close('closed by the peer'));
  }

  get closed(): boolean {
    return this.closedReason !== undefined;
  }

  get inFlight(): number {
    return this.pending.size;
  }

  onClose(handler: (reason: string) => void): void {
    if (this.closedReason !== undefined) handler(this.closedReason);
    else this.closeHandlers.push(handler);
  }

  /**
   * Heartbeats both ways: a small frame every `everyMs`, and the channel closes once nothing at
   * all has arrived for `deadAfterMs` (a cut link with no RST, a peer frozen). Any bytes count,
   * so a slow or bandwidth-limited transfer is alive; heartbeats bypass the bandwidth limit and,
   * from the replica, travel against the bulk data, never behind it.
   */
  keepAlive(everyMs: number, deadAfterMs: number): void {
    if (this.keepAliveTimer !== undefined || this.closed) return;
    this.lastHeard = performance.now();
    this.keepAliveTimer = setInterval(() => {
      const silent = performance.now() - this.lastHeard;
      if (silent > deadAfterMs) {
        this.close(`nothing heard from the peer in ${(silent / 1000).toFixed(1)} s (heartbeats every ${everyMs / 1000} s)`);
        return;
      }
      // Written even when the socket is full: it queues behind at most what the limit let through.
      const [head] = encodeFrameParts({ type: 'heartbeat', id: 0, header: {}, payload: Buffer.alloc(0) });
      this.stream.write(head);
    }, everyMs);
    this.keepAliveTimer.unref();
  }

  /** Sends a request; resolves with the 'ok' reply, rejects with RemoteError for 'error'. */
  async request(type: FrameTypeName, header: Record<string, unknown>, payload: Buffer = Buffer.alloc(0)): Promise<Frame> {
    if (this.closedReason !== undefined) throw new ChannelClosedError(this.closedReason);
    const id = this.nextId++;
    if (this.nextId > 0xffffffff) this.nextId = 1;
    const reply = new Promise<Frame>((resolve, reject) => this.pending.set(id, { resolve, reject }));
    await this.write({ type, id, header, payload });
    const frame = await reply;
    if (frame.type === 'error') {
      throw new RemoteError(String(frame.header.message ?? 'unknown error'), String(frame.header.code ?? 'EREMOTE'));
    }
    return frame;
  }

  /** Sends a frame that gets no reply (stream data) or a reply to a request. */
  async write(frame: Frame): Promise<void> {
    if (this.closedReason !== undefined) throw new ChannelClosedError(this.closedReason);
    const [head, payload] = encodeFrameParts(frame);
    let room: boolean;
    if (payload.length < 16 * 1024) room = this.stream.write(Buffer.concat([head, payload]));
    else {
      this.stream.cork();
      this.stream.write(head);
      room = this.stream.write(payload);
      this.stream.uncork();
    }
    if (!room) await this.drained();
  }

  /** One wait for 'drain' shared by every writer that found the socket full. */
  private drained(): Promise<void> {
    this.drain ??= new Promise<void>((resolve) => {
      const done = () => {
        this.stream.off('drain', done);
        this.stream.off('close', done);
        this.drain = undefined;
        resolve();
      };
      this.stream.once('drain', done);
      this.stream.once('close', done);
    });
    return this.drain;
  }

  close(reason: string): void {
    if (this.closedReason !== undefined) return;
    this.closedReason = reason;
    clearInterval(this.keepAliveTimer);
    this.stream.destroy();
    const error = new ChannelClosedError(reason);
    for (const waiter of this.pending.values()) waiter.reject(error);
    this.pending.clear();
    for (const handler of this.closeHandlers.splice(0)) handler(reason);
  }

  private dispatch(frame: Frame): void {
    if (frame.type === 'heartbeat') return; // its bytes already counted as heard
    if (frame.type === 'ok' || frame.type === 'error') {
      const waiter = this.pending.get(frame.id);
      if (waiter === undefined) {
        this.close(`a reply to unknown request ${frame.id}`);
        return;
      }
      this.pending.delete(frame.id);
      waiter.resolve(frame);
      return;
    }
    this.onFrame(frame);
  }
}
