/**
 * Frames over one stream (a TLS socket): requests with replies matched by id, one-way frames,
 * and back-pressure (send resolves once the socket will take more). Any malformed input closes
 * the channel with the reason; pending requests then reject.
 */
import type { Duplex } from 'node:stream';
import { encodeFrameParts, FrameDecoder, type Frame, type FrameTypeName } from './frames.js';

/** Payloads below this are coalesced with other frames; larger ones are written as they are. */
const COALESCE_LIMIT = 16 * 1024;
/** Queued bytes that are written at once rather than at the end of the turn. */
const COALESCE_BYTES = 256 * 1024;

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
  /** Small frames waiting for this turn's single write (flushSoon). */
  private queued: Buffer[] = [];
  private queuedBytes = 0;
  private flushScheduled = false;
  /** Resolves when the queued frames are handed to the socket (or dropped by close). */
  private flushed: { promise: Promise<void>; resolve: () => void } | undefined;

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

  /** Returns a function that removes the handler again (for handlers of one transfer). */
  onClose(handler: (reason: string) => void): () => void {
    if (this.closedReason !== undefined) handler(this.closedReason);
    else this.closeHandlers.push(handler);
    return () => {
      const at = this.closeHandlers.indexOf(handler);
      if (at >= 0) this.closeHandlers.splice(at, 1);
    };
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

  /**
   * Sends a frame that gets no reply (stream data) or a reply to a request. `sent` is called once
   * the stream is done with a payload of COALESCE_LIMIT bytes or more (its buffer may be reused
   * then); never for a smaller one. Small frames written
   * in the same turn of the event loop leave in one socket write (one TLS record, one system
   * call on each side instead of one per frame): that, not the bytes, is what a small file cost.
   */
  async write(frame: Frame, sent?: () => void): Promise<void> {
    if (this.closedReason !== undefined) throw new ChannelClosedError(this.closedReason);
    const [head, payload] = encodeFrameParts(frame);
    if (payload.length < COALESCE_LIMIT) {
      this.queued.push(head);
      if (payload.length > 0) this.queued.push(payload);
      this.queuedBytes += head.length + payload.length;
      if (this.queuedBytes >= COALESCE_BYTES) this.flush();
      else {
        this.flushSoon();
        // Resolved once handed to the socket, as before batching: a caller may end the stream next.
        await this.nextFlush();
      }
    } else {
      this.flush(); // what was queued before it goes first
      // Two writes, not one corked writev: TLS copies the buffers of a writev into one before it
      // encrypts (a fresh allocation and a copy of every payload); the head costs a small record.
      this.stream.write(head);
      this.stream.write(payload, sent === undefined ? undefined : () => sent());
    }
    if (this.stream.writableNeedDrain) await this.drained();
  }

  private flushSoon(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // setImmediate: after this loop turn's I/O callbacks, so the replies of a whole batch go together.
    setImmediate(() => {
      this.flushScheduled = false;
      this.flush();
    });
  }

  private nextFlush(): Promise<void> {
    if (this.flushed === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => (resolve = r));
      this.flushed = { promise, resolve };
    }
    return this.flushed.promise;
  }

  private flush(): void {
    const waiting = this.flushed;
    this.flushed = undefined;
    if (this.queued.length > 0 && this.closedReason === undefined && !this.stream.destroyed && !this.stream.writableEnded) {
      const bytes = this.queued.length === 1 ? this.queued[0]! : Buffer.concat(this.queued, this.queuedBytes);
      this.stream.write(bytes);
    }
    this.queued = [];
    this.queuedBytes = 0;
    waiting?.resolve();
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
    this.flush(); // what this turn wrote goes before the stream is torn down, as it did unbatched
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
