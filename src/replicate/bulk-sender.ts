/**
 * The source's end of one bulk transfer (bulk-io.ts): connects to the port the replica offered
 * in its `begin` reply, at the address of the control connection, and sends the file's range in
 * one send job. Node never reads or writes the socket: it is paused before it connects.
 */
import { connect, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { BULK_RECORD, bulkError, bulkKeys, socketFd, TICKET_BYTES, type BulkError, type BulkIoPort, type BulkJob } from './bulk-io.js';

/** What a replica offers in its `begin` reply: `bulk: { ticket: hex, port }`; undefined if it offered none or garbage. */
export function readOffer(wire: unknown): { ticket: Buffer; port: number } | undefined {
  if (typeof wire !== 'object' || wire === null) return undefined;
  const { ticket, port } = wire as Record<string, unknown>;
  if (typeof ticket !== 'string' || !/^[0-9a-f]+$/.test(ticket) || ticket.length !== TICKET_BYTES * 2) return undefined;
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) return undefined;
  return { ticket: Buffer.from(ticket, 'hex'), port };
}

/** How long the connection may take to open: the replica listens already, so only a firewall that drops the port takes long. */
const CONNECT_TIMEOUT_MS = 5000;

/**
 * Sends `length` bytes of `fileFd` from `offset` over a bulk connection. `timeoutMs`: for the
 * socket to take each record.
 */
export function sendBulk(port: Required<BulkIoPort>, control: TLSSocket, offer: { ticket: Buffer; port: number }, fileFd: number, offset: number, length: number, timeoutMs: number): BulkJob {
  const { key, iv } = bulkKeys(control, offer.ticket);
  let socket: Socket | undefined;
  let cancelled: BulkError | undefined;
  let running: { fd: number } | undefined;
  let connected = false;
  // Written by the job after each record (native/bulk-io.cc): the bytes sent so far.
  const progress = Buffer.alloc(8);
  const done = (async () => {
    try {
      socket = connect({ host: control.remoteAddress, port: offer.port });
      socket.pause(); // before the connect completes, so Node never starts reading it
      const opened = socket;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(bulkError('ETIMEDOUT', `no bulk connection to the replica's port ${offer.port} in ${CONNECT_TIMEOUT_MS / 1000} s`, 0)), CONNECT_TIMEOUT_MS);
        opened.once('connect', () => {
          clearTimeout(timer);
          resolve();
        });
        opened.once('error', (err) => {
          clearTimeout(timer);
          reject(err);
        });
        opened.once('close', () => {
          clearTimeout(timer);
          reject(cancelled ?? bulkError('ECONNRESET', 'the bulk connection closed before it opened', 0));
        });
      });
      opened.on('error', () => {}); // Node does no I/O on it from here; the job reports failures
      if (cancelled !== undefined) throw cancelled;
      const fd = socketFd(opened);
      // Before `connected`: a Node without the descriptor turns bulk off like an unreachable port.
      if (fd === undefined) throw bulkError('ENOTSUP', "this Node does not expose a socket's descriptor", 0);
      connected = true;
      running = { fd };
      const { bytes } = await port.bulkSend(fd, fileFd, offset, length, key, iv, 0, BULK_RECORD, timeoutMs, progress).catch((err: BulkError) => {
        // A cancel shuts the socket down (the job then fails to send: EPIPE); any other error is the job's own.
        if (cancelled === undefined || err.code !== 'EPIPE') throw err;
        cancelled.bytes = err.bytes ?? 0;
        throw cancelled;
      });
      return bytes;
    } catch (err) {
      // Whether the replica's port could be reached at all: the caller's fallback depends on it.
      throw Object.assign(err as BulkError, { connected });
    } finally {
      running = undefined;
      // Closed only now: the job used its descriptor until it settled. What it sent is in the
      // kernel's queue; close(2) still delivers it, then the FIN.
      socket?.destroy();
      key.fill(0);
    }
  })();
  return {
    done,
    cancel: () => {
      cancelled ??= bulkError('ECANCELED', 'the transfer was abandoned', 0);
      if (running !== undefined) port.bulkShutdown(running.fd);
      else socket?.destroy();
    },
    progress: () => Number(progress.readBigUInt64LE(0)),
  };
}
