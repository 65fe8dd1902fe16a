/**
 * A NETLINK_NETFILTER socket that sends nf_tables batches and waits for the kernel's answer to
 * each message: the batch is applied whole or not at all, so the first error is the answer.
 */
import { constants as osConstants } from 'node:os';
import type { AddressFamily } from '../../vrrp/advert.js';
import type { NativeBinding, NativeSocket, ReceivedMessage } from '../native.js';
import { buildSockaddrNl, parseSockaddr } from '../sockaddr.js';
import { AF_NETLINK, NLMSG_ERROR } from './constants.js';
import { decodeErrorPayload, decodeMessages } from './message.js';
import { NetlinkError } from './netlink-error.js';
import { blockMessages, encodeBatch, NETLINK_NETFILTER, removeTableMessages, type BatchMessage } from './nftables.js';

const TIMEOUT_MS = 2000;

interface Pending {
  seqs: Set<number>;
  resolve(): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
  operation: string;
}

export class NfTables {
  private seq = Math.floor(Math.random() * 0x7fffffff);
  private readonly pending = new Set<Pending>();
  private queue: Promise<void> = Promise.resolve();

  private constructor(private readonly socket: NativeSocket) {}

  static open(native: NativeBinding): NfTables {
    const c = native.constants;
    const socket = new native.Socket(c.AF_NETLINK ?? AF_NETLINK, (c.SOCK_RAW ?? 3) | (c.SOCK_CLOEXEC ?? 0o2000000) | (c.SOCK_NONBLOCK ?? 0o4000), NETLINK_NETFILTER);
    try {
      socket.bind(buildSockaddrNl());
    } catch (err) {
      socket.close();
      throw err;
    }
    const client = new NfTables(socket);
    socket.startReceiving(
      (batch) => client.receive(batch),
      (err) => client.failAll(err),
    );
    return client;
  }

  /** Makes the family's table drop traffic to exactly `addresses` (none: drops nothing). */
  block(family: AddressFamily, addresses: readonly string[]): Promise<void> {
    return this.send(blockMessages(family, addresses), `nftables drop to ${addresses.join(', ') || 'nothing'} (IPv${family})`);
  }

  /** Removes the family's table, whether or not there is one (start-up debris, stop). */
  removeTable(family: AddressFamily): Promise<void> {
    return this.send(removeTableMessages(family), `nftables remove table (IPv${family})`);
  }

  close(): void {
    this.failAll(new Error('nftables client was closed'));
    this.socket.stopReceiving();
    this.socket.close();
  }

  /** Batches go one at a time: each one's answer is known before the next is sent. */
  private send(messages: BatchMessage[], operation: string): Promise<void> {
    const run = (): Promise<void> =>
      new Promise<void>((resolve, reject) => {
        const { datagram, seqs } = encodeBatch(messages, this.seq);
        this.seq = (this.seq + messages.length + 2) & 0x7fffffff;
        const pending: Pending = {
          seqs: new Set(seqs),
          resolve,
          reject,
          operation,
          timer: setTimeout(() => this.settle(pending, new NetlinkError(osConstants.errno.ETIMEDOUT, operation, { reason: 'no answer' })), TIMEOUT_MS),
        };
        this.pending.add(pending);
        try {
          this.socket.sendTo(datagram, null);
        } catch (err) {
          this.settle(pending, err instanceof Error ? err : new Error(String(err)));
        }
      });
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private receive(batch: ReceivedMessage[]): void {
    for (const received of batch) {
      const sender = parseSockaddr(received.address);
      if (sender !== null && !(sender.family === 'netlink' && sender.pid === 0)) continue;
      for (const message of decodeMessages(received.data).messages) {
        if (message.type !== NLMSG_ERROR) continue;
        const error = decodeErrorPayload(message);
        const pending = [...this.pending].find((p) => p.seqs.has(message.seq));
        if (!pending || !error) continue;
        if (error.errno !== 0) {
          const details = error.kernelMessage !== undefined ? { kernelMessage: error.kernelMessage } : {};
          this.settle(pending, new NetlinkError(error.errno, pending.operation, details));
          continue;
        }
        pending.seqs.delete(message.seq);
        if (pending.seqs.size === 0) this.settle(pending);
      }
    }
  }

  private settle(pending: Pending, err?: Error): void {
    if (!this.pending.delete(pending)) return;
    clearTimeout(pending.timer);
    if (err) pending.reject(err);
    else pending.resolve();
  }

  private failAll(err: Error): void {
    for (const pending of [...this.pending]) this.settle(pending, err);
  }
}
