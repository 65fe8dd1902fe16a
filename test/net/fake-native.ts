/**
 * A NativeBinding double for unit tests without root: records what the code under test asked of
 * its sockets and lets the test deliver received batches. Constants come from the real addon.
 */
import { loadNative, type NativeBinding, type NativeSocket, type ReceivedMessage } from '../../src/net/native.js';

export interface FakeSocket extends NativeSocket {
  readonly domain: number;
  readonly type: number;
  readonly protocol: number;
  readonly options: { level: number; name: number; value: number | Buffer }[];
  readonly bound: Buffer[];
  readonly sent: { data: Buffer; address: Buffer | null }[];
  readonly closed: boolean;
  /** What the next sendTo returns (-1 simulates EAGAIN/ENOBUFS). */
  sendResult: number;
  /** Delivers a batch as the addon would; false when the socket is not receiving. */
  deliver(batch: ReceivedMessage[]): boolean;
  /** Delivers an error as the addon would. */
  fail(error: Error): void;
}

export interface FakeNative {
  binding: NativeBinding;
  sockets: FakeSocket[];
}

export function createFakeNative(): FakeNative {
  const sockets: FakeSocket[] = [];
  const real = loadNative();
  class Socket implements FakeSocket {
    readonly options: FakeSocket['options'] = [];
    readonly bound: Buffer[] = [];
    readonly sent: FakeSocket['sent'] = [];
    closed = false;
    sendResult = -2;
    private receiver: ((batch: ReceivedMessage[]) => void) | null = null;
    private errorHandler: ((error: Error) => void) | null = null;

    constructor(
      readonly domain: number,
      readonly type: number,
      readonly protocol: number,
    ) {
      sockets.push(this);
    }

    get fd(): number {
      return this.closed ? -1 : 100 + sockets.indexOf(this);
    }

    setOptionInt(level: number, name: number, value: number): void {
      this.options.push({ level, name, value });
    }

    setOptionBuffer(level: number, name: number, value: Buffer): void {
      this.options.push({ level, name, value: Buffer.from(value) });
    }

    attachFilter(program: Buffer): void {
      this.options.push({ level: -1, name: -1, value: Buffer.from(program) });
    }

    bind(address: Buffer): void {
      this.bound.push(Buffer.from(address));
    }

    sendTo(data: Buffer, address: Buffer | null): number {
      if (this.closed) throw Object.assign(new Error('sendto failed: Bad file descriptor (EBADF)'), { code: 'EBADF' });
      this.sent.push({ data: Buffer.from(data), address: address === null ? null : Buffer.from(address) });
      return this.sendResult === -2 ? data.length : this.sendResult;
    }

    startReceiving(onMessages: (batch: ReceivedMessage[]) => void, onError: (err: Error) => void): void {
      this.receiver = onMessages;
      this.errorHandler = onError;
    }

    stopReceiving(): void {
      this.receiver = null;
      this.errorHandler = null;
    }

    close(): void {
      this.closed = true;
      this.stopReceiving();
    }

    deliver(batch: ReceivedMessage[]): boolean {
      if (this.receiver === null) return false;
      try {
        this.receiver(batch);
      } catch (error) {
        this.errorHandler?.(error as Error);
      }
      return true;
    }

    fail(error: Error): void {
      this.errorHandler?.(error);
    }
  }
  return {
    binding: { Socket, PreciseTimer: real.PreciseTimer, PidWatch: real.PidWatch, ifNameToIndex: () => 1, constants: real.constants },
    sockets,
  };
}

/** The integer value a socket was given for an option, or undefined. */
export function optionValue(socket: FakeSocket, level: number | undefined, name: number | undefined): number | Buffer | undefined {
  return socket.options.filter((o) => o.level === level && o.name === name).pop()?.value;
}
