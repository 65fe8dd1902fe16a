/**
 * System-wide process events from the kernel's process connector, so a process check notices a
 * death the moment it happens instead of at its next poll. Works in the initial PID and user
 * namespaces only, and needs CAP_NET_ADMIN on older kernels (before 6.6); anywhere else the
 * watcher says so (mode 'polling', with the reason) and the checks fall back to their interval.
 * Opening never throws.
 */
import { trySocketOption, type NativeBinding, type NativeSocket, type ReceivedMessage } from '../net/native.js';
import { buildSockaddrNl, parseSockaddr, AF_NETLINK } from '../net/sockaddr.js';
import type { Clock, Logger, Timers } from '../ports/index.js';
import {
  CN_IDX_PROC,
  decodeProcEvents,
  encodeMcastOp,
  NETLINK_CONNECTOR,
  PROC_CN_MCAST_IGNORE,
  PROC_CN_MCAST_LISTEN,
  type ProcEvent,
} from './proc-connector.js';
import { describeError } from './probe.js';

/** 'starting': subscribed, waiting for the kernel's acknowledgement; treat as polling until then. */
export type WatchMode = 'starting' | 'events' | 'polling';

/** Process lifecycle events the checks react to, or 'lost' when the kernel dropped some. */
export type WatchedEvent = Exclude<ProcEvent, { type: 'ack' } | { type: 'other' }> | { type: 'lost'; reason: string };

/** What a process check needs from the watcher (tests pass a fake). */
export interface ProcessEvents {
  readonly mode: WatchMode;
  /** Why the watcher is polling (or still starting); undefined while events flow. */
  readonly note: string | undefined;
  /** Called for every event; returns an unsubscribe function. Listener exceptions are logged. */
  subscribe(listener: (event: WatchedEvent) => void): () => void;
  /**
   * True when the kernel reported this process's exit and no new process has since taken the pid.
   * The exit event comes before the process turns into a zombie, so /proc may still show it running.
   */
  hasExited(pid: number): boolean;
}

export interface ProcessWatcherDeps {
  clock: Clock;
  timers: Timers;
  log: Logger;
}

/** Without an acknowledgement within this time the kernel ignored us (not in the initial namespaces). */
export const ACK_TIMEOUT_MS = 1000;
/** Exits are remembered this long: ample for the kernel to finish the exit (then /proc says zombie or gone). */
const EXIT_MEMORY_MS = 30_000;
/** Receive buffer asked for: fork storms come in bursts. */
const RECEIVE_BUFFER_BYTES = 4 << 20;

const SOCK_DGRAM = 2;
const SOL_SOCKET = 1;
const SO_RCVBUF = 8;
const SO_RCVBUFFORCE = 33;

export class ProcessWatcher implements ProcessEvents {
  private socket: NativeSocket | undefined;
  private currentMode: WatchMode = 'starting';
  private currentNote: string | undefined = 'waiting for the process connector to acknowledge';
  private readonly listeners = new Set<(event: WatchedEvent) => void>();
  /** pid → when its exit was reported (monotonic ms); Map order is report order, for pruning. */
  private readonly exited = new Map<number, number>();
  private readonly token: number;
  private cancelAckTimer: (() => void) | undefined;
  private closed = false;

  private constructor(
    private readonly native: NativeBinding | undefined,
    private readonly deps: ProcessWatcherDeps,
  ) {
    // Acks are multicast to every listener: our token (answered + 1) tells ours from others'.
    this.token = (((process.pid << 12) ^ Math.floor(deps.clock.now())) & 0x7fffffff) >>> 0;
  }

  /** Subscribes to the connector; on any failure the watcher is in 'polling' mode with the reason. */
  static open(native: NativeBinding | undefined, deps: ProcessWatcherDeps): ProcessWatcher {
    const watcher = new ProcessWatcher(native, deps);
    watcher.connect();
    return watcher;
  }

  get mode(): WatchMode {
    return this.currentMode;
  }

  get note(): string | undefined {
    return this.currentNote;
  }

  subscribe(listener: (event: WatchedEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  hasExited(pid: number): boolean {
    return this.exited.has(pid);
  }

  /** Unsubscribes (so the kernel stops producing events nobody reads) and closes the socket. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.cancelAckTimer?.();
    this.closeSocket();
    this.listeners.clear();
  }

  private connect(): void {
    if (this.native === undefined) {
      this.fallBack('the native addon is not available');
      return;
    }
    let socket: NativeSocket;
    try {
      socket = new this.native.Socket(this.native.constants.AF_NETLINK ?? AF_NETLINK, this.native.constants.SOCK_DGRAM ?? SOCK_DGRAM, NETLINK_CONNECTOR);
    } catch (err) {
      this.fallBack(`cannot open the process connector: ${describeError(err)}`);
      return;
    }
    try {
      if (!trySocketOption(socket, SOL_SOCKET, SO_RCVBUFFORCE, RECEIVE_BUFFER_BYTES)) trySocketOption(socket, SOL_SOCKET, SO_RCVBUF, RECEIVE_BUFFER_BYTES);
      socket.bind(buildSockaddrNl(0, CN_IDX_PROC));
      socket.startReceiving(
        (batch) => this.receive(socket, batch),
        (err) => this.socketErrored(socket, err),
      );
      this.socket = socket;
      if (socket.sendTo(encodeMcastOp(PROC_CN_MCAST_LISTEN, this.token), buildSockaddrNl()) < 0) {
        throw new Error('the kernel dropped the subscribe request');
      }
    } catch (err) {
      this.closeSocket(socket);
      this.fallBack(`cannot subscribe to process events: ${describeError(err)}`);
      return;
    }
    this.cancelAckTimer = this.deps.timers.at(this.deps.clock.now() + ACK_TIMEOUT_MS, () => {
      this.cancelAckTimer = undefined;
      if (this.currentMode !== 'starting') return;
      this.closeSocket();
      this.fallBack('the process connector did not acknowledge (not in the initial PID and user namespaces?)');
    });
  }

  private receive(socket: NativeSocket, batch: ReceivedMessage[]): void {
    if (socket !== this.socket) return;
    const now = this.deps.clock.now();
    for (const message of batch) {
      const sender = parseSockaddr(message.address);
      if (sender !== null && (sender.family !== 'netlink' || sender.pid !== 0)) continue; // only the kernel
      const { events } = decodeProcEvents(message.data);
      for (const event of events) this.handle(event, now);
    }
  }

  private handle(event: ProcEvent, now: number): void {
    switch (event.type) {
      case 'ack':
        if (event.ack === this.token + 1 && this.currentMode === 'starting') this.acknowledged(event.err);
        return;
      case 'other':
        return;
      case 'exit':
        if (event.pid === event.tgid) this.rememberExit(event.pid, now);
        break;
      case 'fork':
        // A new process may reuse a pid whose exit we remember.
        if (event.childPid === event.childTgid) this.exited.delete(event.childPid);
        break;
      case 'exec':
        this.exited.delete(event.tgid);
        break;
      case 'comm':
        break;
    }
    this.emit(event);
  }

  private acknowledged(err: number): void {
    this.cancelAckTimer?.();
    this.cancelAckTimer = undefined;
    if (err === 0) {
      this.currentMode = 'events';
      this.currentNote = undefined;
      this.deps.log.log('info', 'watching process events through the kernel process connector');
      return;
    }
    this.closeSocket();
    this.fallBack(`the process connector refused the subscription (errno ${err}${err === 1 ? ', EPERM: needs CAP_NET_ADMIN' : ''})`);
  }

  private rememberExit(pid: number, now: number): void {
    this.exited.delete(pid);
    this.exited.set(pid, now);
    for (const [old, at] of this.exited) {
      if (now - at < EXIT_MEMORY_MS) break;
      this.exited.delete(old);
    }
  }

  /**
   * ENOBUFS: the kernel dropped events (our receive queue was full); a uv_poll error: the socket
   * is no longer watched. Either way checks must look again; the second also needs a new socket.
   */
  private socketErrored(socket: NativeSocket, err: Error): void {
    if (socket !== this.socket || this.closed) return;
    const code = (err as NodeJS.ErrnoException).code;
    if ((err as NodeJS.ErrnoException).syscall === 'uv_poll') {
      this.deps.log.log('warn', 'process connector socket failed; reopening', { error: err.message });
      this.closeSocket();
      this.exited.clear();
      this.currentMode = 'starting';
      this.connect();
    } else if (code !== 'ENOBUFS') {
      this.deps.log.log('warn', 'process connector receive error', { error: err.message });
    }
    this.emit({ type: 'lost', reason: code === 'ENOBUFS' ? 'the kernel dropped process events (ENOBUFS)' : `process connector error: ${err.message}` });
  }

  private fallBack(reason: string): void {
    this.currentMode = 'polling';
    this.currentNote = reason;
    this.deps.log.log('warn', 'process checks fall back to polling', { reason });
  }

  private closeSocket(socket: NativeSocket | undefined = this.socket): void {
    if (socket === undefined) return;
    if (socket === this.socket) this.socket = undefined;
    try {
      // The kernel counts listeners; without this it keeps generating events for nobody.
      socket.sendTo(encodeMcastOp(PROC_CN_MCAST_IGNORE, this.token), buildSockaddrNl());
    } catch {
      // Closing anyway.
    }
    socket.close();
  }

  private emit(event: WatchedEvent): void {
    for (const listener of [...this.listeners]) {
      try {
        listener(event);
      } catch (err) {
        this.deps.log.log('error', 'process event listener failed', { error: describeError(err) });
      }
    }
  }
}
