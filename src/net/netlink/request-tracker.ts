/**
 * Matches netlink replies to requests by sequence number. Plain requests are pipelined (the kernel
 * answers rtnetlink requests in order, each with its own sequence number); dumps go one at a time,
 * because the kernel refuses a second dump on a socket while one is running (EBUSY).
 * A request completes on its ACK / NLMSG_ERROR, a dump on NLMSG_DONE; either rejects after the timeout.
 */
import { NLMSG_DONE, NLMSG_ERROR, NLMSG_NOOP, NLMSG_OVERRUN, NLM_F_ACK, NLM_F_DUMP, NLM_F_DUMP_INTR, NLM_F_REQUEST } from './constants.js';
import { decodeDoneErrno, decodeErrorPayload, encodeMessage, type NetlinkMessage } from './message.js';
import { NetlinkError, errnoNumber } from './netlink-error.js';

export interface RequestResult {
  /** The data messages of the reply (dump parts, or the single reply of a GET). */
  messages: NetlinkMessage[];
  /** The kernel flagged the dump as inconsistent (NLM_F_DUMP_INTR): the table changed meanwhile. */
  interrupted: boolean;
}

export interface RequestTrackerOptions {
  /** Writes one message; returns false when the kernel had no room (sendTo's -1). May throw. */
  send: (message: Buffer) => boolean;
  timeoutMs: number;
  /** First sequence number (default 1). */
  firstSeq?: number;
}

interface PendingRequest {
  seq: number;
  operation: string;
  dump: boolean;
  messages: NetlinkMessage[];
  interrupted: boolean;
  resolve: (result: RequestResult) => void;
  reject: (err: Error) => void;
  timer?: NodeJS.Timeout;
}

interface QueuedDump {
  type: number;
  payload: Buffer;
  pending: PendingRequest;
}

export class RequestTracker {
  private nextSeq: number;
  private readonly pending = new Map<number, PendingRequest>();
  private readonly dumpQueue: QueuedDump[] = [];
  private dumpInFlight = false;
  private closedWith: Error | undefined;

  constructor(private readonly options: RequestTrackerOptions) {
    this.nextSeq = options.firstSeq ?? 1;
  }

  /** Number of requests sent and not yet answered. */
  get inFlight(): number {
    return this.pending.size;
  }

  /** A request answered by an ACK or an error (NLM_F_ACK is added). */
  request(type: number, flags: number, payload: Buffer, operation: string): Promise<RequestResult> {
    return new Promise((resolve, reject) => {
      const pending = this.newPending(operation, false, resolve, reject);
      if (!pending) return;
      this.transmit(type, NLM_F_REQUEST | NLM_F_ACK | flags, payload, pending);
    });
  }

  /** A dump (NLM_F_DUMP), answered by parts and NLMSG_DONE. Queued while another dump runs. */
  dump(type: number, payload: Buffer, operation: string): Promise<RequestResult> {
    return new Promise((resolve, reject) => {
      const pending = this.newPending(operation, true, resolve, reject);
      if (!pending) return;
      this.dumpQueue.push({ type, payload, pending });
      this.startNextDump();
    });
  }

  /** Feeds one received message; anything that matches no pending request is ignored. */
  handle(message: NetlinkMessage): void {
    const pending = this.pending.get(message.seq);
    if (!pending) return;
    switch (message.type) {
      case NLMSG_NOOP:
      case NLMSG_OVERRUN:
        return;
      case NLMSG_ERROR: {
        const error = decodeErrorPayload(message);
        if (!error || error.errno === 0) this.settle(pending, undefined);
        else this.settle(pending, new NetlinkError(error.errno, pending.operation, { kernelMessage: error.kernelMessage }));
        return;
      }
      case NLMSG_DONE: {
        if ((message.flags & NLM_F_DUMP_INTR) !== 0) pending.interrupted = true;
        const errno = decodeDoneErrno(message);
        this.settle(pending, errno === 0 ? undefined : new NetlinkError(errno, pending.operation));
        return;
      }
      default:
        if ((message.flags & NLM_F_DUMP_INTR) !== 0) pending.interrupted = true;
        pending.messages.push(message);
    }
  }

  /**
   * Rejects the requests already sent (their replies are lost, e.g. the socket was replaced);
   * queued dumps go out next, on whatever send() now writes to.
   */
  failInFlight(err: Error): void {
    for (const pending of [...this.pending.values()]) this.settle(pending, err);
  }

  /** Rejects everything pending and queued, and refuses later requests with the same error. */
  close(err: Error): void {
    if (this.closedWith) return;
    this.closedWith = err;
    for (const pending of [...this.pending.values()]) this.settle(pending, err);
    for (const queued of this.dumpQueue.splice(0)) queued.pending.reject(err);
  }

  private newPending(
    operation: string,
    dump: boolean,
    resolve: (result: RequestResult) => void,
    reject: (err: Error) => void,
  ): PendingRequest | undefined {
    if (this.closedWith) {
      reject(this.closedWith);
      return undefined;
    }
    const seq = this.nextSeq;
    this.nextSeq = this.nextSeq >= 0xffffffff ? 1 : this.nextSeq + 1;
    return { seq, operation, dump, messages: [], interrupted: false, resolve, reject };
  }

  private startNextDump(): void {
    if (this.dumpInFlight || this.closedWith) return;
    const next = this.dumpQueue.shift();
    if (!next) return;
    this.dumpInFlight = true;
    this.transmit(next.type, NLM_F_REQUEST | NLM_F_DUMP, next.payload, next.pending);
  }

  private transmit(type: number, flags: number, payload: Buffer, pending: PendingRequest): void {
    this.pending.set(pending.seq, pending);
    let sent: boolean;
    try {
      sent = this.options.send(encodeMessage({ type, flags, seq: pending.seq, pid: 0 }, payload));
    } catch (err) {
      this.settle(pending, err instanceof Error ? err : new Error(String(err)));
      return;
    }
    if (!sent) {
      this.settle(pending, new NetlinkError(errnoNumber('ENOBUFS'), pending.operation, { reason: 'the socket had no room to send' }));
      return;
    }
    // The timeout is armed once the caller's turn is over: a VIP's request is on the takeover
    // path, and creating a timer there measured up to 0.1 ms before the gratuitous ARPs. The
    // reply arrives through the event loop, so never before the timer exists.
    queueMicrotask(() => {
      if (this.pending.get(pending.seq) !== pending) return; // settled meanwhile
      pending.timer = setTimeout(() => {
        this.settle(
          pending,
          new NetlinkError(errnoNumber('ETIMEDOUT'), pending.operation, { reason: `no reply within ${this.options.timeoutMs} ms` }),
        );
      }, this.options.timeoutMs);
    });
  }

  private settle(pending: PendingRequest, err: Error | undefined): void {
    if (this.pending.get(pending.seq) !== pending) return;
    this.pending.delete(pending.seq);
    clearTimeout(pending.timer);
    if (err) pending.reject(err);
    else pending.resolve({ messages: pending.messages, interrupted: pending.interrupted });
    if (pending.dump) {
      this.dumpInFlight = false;
      this.startNextDump();
    }
  }
}
