/**
 * Sealed bulk records (native/bulk-io.cc): a large file's data from the source to the replica
 * on a TCP connection of its own, sealed with AES-256-GCM under keys exported from the control
 * connection's TLS session (RFC 5705), sent and received by one thread-pool job on each side.
 *
 * Why: Node's TLS hands the replica one 16 KiB record at a time, each in a fresh buffer with a
 * JavaScript callback, and that read path was most of the replica's main thread for a large
 * file (docs/replication.md, "Large file"). Here no byte of the file passes through JavaScript.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';

/** The addon's calls (native/bulk-io.cc). */
export interface BulkIoPort {
  bulkSend?(sockFd: number, fileFd: number, offset: number, length: number, key: Buffer, iv: Buffer, counter: number, recordSize: number, timeoutMs: number, progress?: Buffer): Promise<{ records: number; bytes: number }>;
  bulkReceive?(
    sockFd: number,
    directFd: number,
    bufferedFd: number,
    offset: number,
    length: number,
    key: Buffer,
    iv: Buffer,
    counter: number,
    recordMax: number,
    timeoutMs: number,
    progress?: Buffer,
  ): Promise<{ records: number; bytes: number; direct: number }>;
  bulkShutdown?(sockFd: number): void;
}

/** Where a replica listens for bulk connections: a port the kernel picks, one of a range (a firewall's), or none. */
export type BulkPorts = 'ephemeral' | 'off' | { first: number; last: number };

/**
 * How long either side's job waits without progress (a record's bytes, room in the socket), and
 * the replica's listener for the source's connection; the TLS connection's heartbeats cover the peer meanwhile.
 */
export const BULK_TIMEOUT_MS = 30_000;

/** Plaintext bytes per record: the replica's O_DIRECT writes and the jobs' buffers are this size. */
export const BULK_RECORD = 1024 * 1024;
/** The label of RFC 5705's exporter for the bulk keys (RFC 5705 §4: labels beginning "EXPERIMENTAL" or registered). */
const EXPORTER_LABEL = 'EXPERIMENTAL hotstandby bulk 1';
/** Bytes of a ticket: the context of the export, fresh per transfer, so every transfer has its own key. */
export const TICKET_BYTES = 16;
/**
 * Bytes one key may seal: 2^40 (1 TiB) is 2^36 AES blocks, which keeps an attacker's advantage
 * against AES-GCM's confidentiality near 2^-57, the margin TLS 1.3 keeps (RFC 8446 §5.5, after
 * Luykx and Paterson, "Limits on Authenticated Encryption Use in TLS"); the counter nonces never
 * repeat under one key. A larger remainder goes through TLS (source-sender.ts).
 */
export const MAX_BYTES_PER_KEY = 2 ** 40;

export interface BulkJob {
  /** Resolves the bytes written; rejects with the reason, carrying `bytes` (written before it). */
  done: Promise<number>;
  /** Ends the job early (the transfer was abandoned or the connection closed); `done` then rejects. */
  cancel(): void;
  /** Bytes done so far, while it runs (the source's lag in bytes); absent where not kept. */
  progress?(): number;
}

/**
 * An error of a bulk job with the bytes it wrote before it (the partial keeps them for a resume);
 * at the source, `connected` says whether the connection had opened.
 */
export type BulkError = Error & { code?: string; bytes?: number; connected?: boolean };

export interface BulkKeys {
  key: Buffer;
  iv: Buffer;
}

/**
 * The AES-256-GCM key and IV of one transfer: 44 bytes of the TLS session's exporter with the
 * ticket as context. Both ends of the control connection compute the same; no one without its
 * session secrets can.
 */
export function bulkKeys(control: TLSSocket, ticket: Buffer): BulkKeys {
  if (ticket.length !== TICKET_BYTES) throw new RangeError(`A bulk ticket is ${TICKET_BYTES} bytes, not ${ticket.length}`);
  const material = control.exportKeyingMaterial(44, EXPORTER_LABEL, ticket);
  return { key: material.subarray(0, 32), iv: material.subarray(32, 44) };
}

/**
 * The file descriptor under a net.Socket, for the jobs; undefined where Node does not expose it
 * (the handle's `fd` is not public API: its absence turns the bulk path off, never breaks a transfer).
 */
export function socketFd(socket: Socket): number | undefined {
  const fd = (socket as unknown as { _handle?: { fd?: unknown } })._handle?.fd;
  return typeof fd === 'number' && Number.isInteger(fd) && fd >= 0 ? fd : undefined;
}

/** Both jobs of the port, or undefined when the addon lacks one. */
export function bulkPortOf(native: BulkIoPort): Required<BulkIoPort> | undefined {
  const { bulkSend, bulkReceive, bulkShutdown } = native;
  if (bulkSend === undefined || bulkReceive === undefined || bulkShutdown === undefined) return undefined;
  return { bulkSend: bulkSend.bind(native), bulkReceive: bulkReceive.bind(native), bulkShutdown: bulkShutdown.bind(native) };
}

export function bulkError(code: string, message: string, bytes: number): BulkError {
  return Object.assign(new Error(message), { code, bytes });
}
