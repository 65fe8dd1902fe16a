/**
 * The replica's end of one bulk transfer (bulk-io.ts): a listener for this transfer only, on the
 * address the source reached and a port the kernel picks (or the first free one of `bulkPorts`);
 * the first connection from the source's address is read by one receive job into the partial
 * file. The port and the ticket go to the source in the `begin` reply, inside TLS.
 *
 * Another host that finds the port gets nowhere: its connection is closed unread, and the source's
 * own still comes. A connection from the source's address that does not hold the keys fails at its
 * first record (EBADMSG) before a byte of it is written; the source then sends the file again
 * (through TLS if the port is gone by then), and nothing forged is installed.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { BULK_RECORD, bulkError, bulkKeys, socketFd, TICKET_BYTES, type BulkError, type BulkIoPort, type BulkJob, type BulkPorts } from './bulk-io.js';

/** Where the receive job writes: the partial file, from `offset`, `length` bytes. */
export interface BulkTarget {
  directFd: number;
  bufferedFd: number;
  offset: number;
  length: number;
}

export interface BulkOffer {
  ticket: Buffer;
  port: number;
  job: BulkJob;
}

/**
 * Listens for the source's bulk connection to `target` and receives into it. `timeoutMs`: how
 * long to wait for the connection, and for each record's bytes once it came.
 */
export async function offerBulk(port: Required<BulkIoPort>, control: TLSSocket, target: BulkTarget, timeoutMs: number, ports: Exclude<BulkPorts, 'off'> = 'ephemeral'): Promise<BulkOffer> {
  const source = plainAddress(control.remoteAddress);
  const local = plainAddress(control.localAddress);
  // A control connection already gone has no addresses: never a listener on every address.
  if (source === undefined || local === undefined) throw bulkError('ENOTCONN', 'the control connection is closed', 0);
  const server = await listenOn(local, ports);
  const listening = (server.address() as { port: number }).port;
  const ticket = randomBytes(TICKET_BYTES);
  let keys: ReturnType<typeof bulkKeys>;
  try {
    keys = bulkKeys(control, ticket);
  } catch (err) {
    server.close();
    throw err;
  }
  const { key, iv } = keys;

  let cancelled: BulkError | undefined;
  let onCancel: (() => void) | undefined;
  const connection = new Promise<Socket>((resolve, reject) => {
    let waiting = true;
    const stop = (reason: BulkError) => {
      waiting = false;
      clearTimeout(timer);
      reject(reason);
    };
    const timer = setTimeout(() => stop(bulkError('ETIMEDOUT', `no bulk connection from the source in ${timeoutMs / 1000} s`, 0)), timeoutMs);
    timer.unref();
    onCancel = () => stop(cancelled!);
    server.on('connection', (socket: Socket) => {
      // Only the source, and only once while waiting: everyone else is closed without a byte read.
      if (!waiting || plainAddress(socket.remoteAddress) !== source) {
        socket.destroy();
        return;
      }
      waiting = false;
      clearTimeout(timer);
      resolve(socket);
    });
  });

  let running: { fd: number } | undefined;
  const done = (async () => {
    let socket: Socket | undefined;
    try {
      socket = await connection;
      server.close();
      const fd = socketFd(socket);
      if (fd === undefined) throw bulkError('ENOTSUP', "this Node does not expose a socket's descriptor", 0);
      if (cancelled !== undefined) throw cancelled;
      running = { fd };
      const { bytes } = await port.bulkReceive(fd, target.directFd, target.bufferedFd, target.offset, target.length, key, iv, 0, BULK_RECORD, timeoutMs).catch((err: BulkError) => {
        // A cancel shuts the socket down (the job then sees it closed: EPROTO); any other error
        // is the job's own, met before the cancel reached it, and is what the user must read.
        if (cancelled === undefined || err.code !== 'EPROTO') throw err;
        cancelled.bytes = err.bytes ?? 0;
        throw cancelled;
      });
      return bytes;
    } finally {
      running = undefined;
      server.close();
      // Closed only now: the job used its descriptor until it settled.
      socket?.destroy();
      key.fill(0);
    }
  })();
  return {
    ticket,
    port: listening,
    job: {
      done,
      cancel: () => {
        cancelled ??= bulkError('ECANCELED', 'the transfer was abandoned', 0);
        onCancel?.();
        if (running !== undefined) port.bulkShutdown(running.fd);
      },
    },
  };
}

/**
 * A listener for one transfer on `host`: a port the kernel picks, or the first free one of the
 * range (a firewall's; another transfer may hold the others). EADDRINUSE on every one: none.
 */
async function listenOn(host: string, ports: Exclude<BulkPorts, 'off'>): Promise<Server> {
  const candidates = ports === 'ephemeral' ? [0] : Array.from({ length: ports.last - ports.first + 1 }, (_, i) => ports.first + i);
  for (const [i, candidate] of candidates.entries()) {
    const server = createServer({ pauseOnConnect: true });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ port: candidate, host, backlog: 4 }, () => {
          server.off('error', reject);
          resolve();
        });
      });
      return server;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || i === candidates.length - 1) throw err;
    }
  }
  throw bulkError('EADDRINUSE', 'no bulk port', 0); // not reached: the loop returns or throws
}

/** An IPv4 address as such, not as an IPv4-mapped IPv6 one (a control server listening on '::'). */
function plainAddress(address: string | undefined): string | undefined {
  return address?.startsWith('::ffff:') && address.includes('.') ? address.slice('::ffff:'.length) : address;
}
