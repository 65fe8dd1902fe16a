/**
 * The TypeScript face of the native addon (native/, built by node-gyp into build/Release/hsnet.node).
 * The addon is deliberately generic and small: a non-blocking socket of any domain with libuv
 * readiness, recvmsg batches, and the kernel's constants. Everything protocol-specific (sockaddr
 * bytes, control messages, packet building) is done in TypeScript.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One datagram as recvmsg returned it. */
export interface ReceivedMessage {
  data: Buffer;
  /** The raw sockaddr of the sender (msg_name), as many bytes as the kernel filled in. */
  address: Buffer;
  /** The raw control buffer (msg_control), as many bytes as the kernel filled in. */
  control: Buffer;
  /**
   * When the kernel received it, on CLOCK_MONOTONIC in ms (only on sockets with SO_TIMESTAMPNS
   * set); see monotonicToPerformance() for the clock the timers use.
   */
  monotonicReceivedMs?: number;
}

export interface NativeSocket {
  readonly fd: number;
  setOptionInt(level: number, name: number, value: number): void;
  setOptionBuffer(level: number, name: number, value: Buffer): void;
  /** SO_ATTACH_FILTER with a classic BPF program: struct sock_filter[] in host order (bpf-program.ts). */
  attachFilter(program: Buffer): void;
  /** bind(2) with raw sockaddr bytes. */
  bind(address: Buffer): void;
  /**
   * sendto(2); address null sends to the connected / default peer. Returns the bytes sent,
   * or -1 when the kernel said EAGAIN / ENOBUFS (the caller counts it; nothing is queued).
   * Other errors throw an Error whose `code` is the errno name (e.g. 'ENETUNREACH').
   */
  sendTo(data: Buffer, address: Buffer | null): number;
  /**
   * Starts watching the socket with uv_poll. On each readable event the addon drains the socket
   * (recvmsg until EAGAIN, bounded per event) and calls onMessages once with the batch.
   * An exception thrown by onMessages is reported to onError (never unwinds into libuv); one
   * thrown by onError becomes an uncaught exception. Calling it again replaces the callbacks.
   * While receiving, the socket keeps itself alive and keeps the event loop running, like a
   * listening server; stopReceiving() or close() ends that. A socket that is not receiving and
   * is garbage-collected without close() closes its fd.
   */
  startReceiving(onMessages: (batch: ReceivedMessage[]) => void, onError: (err: Error) => void): void;
  stopReceiving(): void;
  /** Idempotent; safe from inside onMessages (nothing more is delivered). fd is -1 afterwards. */
  close(): void;
}

/** A one-shot monotonic timer with microsecond precision (timerfd); libuv's timers have 1 ms. */
export interface NativePreciseTimer {
  /** Fires the constructor's callback once after delayMs (fractions allowed); re-arming replaces it. */
  arm(delayMs: number): void;
  disarm(): void;
  /** Idempotent. */
  close(): void;
}

/** Calls back once when a process exits (pidfd); construction throws code ESRCH if it is gone. */
export interface NativePidWatch {
  /** Idempotent. */
  close(): void;
}

/** One inotify event as read(2) returned it; name is the entry's bytes (absent for the watched directory itself). */
export interface NativeInotifyEvent {
  /** Watch descriptor; -1 for IN_Q_OVERFLOW. */
  wd: number;
  mask: number;
  cookie: number;
  name?: Buffer;
}

/** An inotify instance read through uv_poll; the constructor's onEvents gets each batch. */
export interface NativeInotify {
  /** inotify_add_watch(2) on a byte path; returns the wd (the same wd for a path already watched). */
  addWatch(path: Buffer, mask: number): number;
  /** inotify_rm_watch(2); a wd the kernel already dropped is ignored. */
  removeWatch(wd: number): void;
  /** Idempotent; nothing more is delivered. */
  close(): void;
}

/** What readSmallFile found: 64-bit numbers as decimal strings; data for a file within the limit. */
export interface SmallFileRead {
  type: 'file' | 'dir' | 'other';
  mode: number;
  uid: number;
  gid: number;
  size: string;
  ino: string;
  dev: string;
  /** Hard links to it (st_nlink). */
  nlink: number;
  mtimeNs: string;
  ctimeNs: string;
  data?: Buffer;
  /** Size, mtime, ctime or inode moved while it was read. */
  changed?: true;
}

/** The file side of the addon (file replication, src/replicate/). */
export interface NativeFileBinding {
  Inotify: new (onEvents: (batch: NativeInotifyEvent[]) => void, onError: (err: Error) => void) => NativeInotify;
  /** utimensat(2) with nanoseconds (Node's fs.utimes cannot carry ns); AT_SYMLINK_NOFOLLOW when noFollow. */
  setFileTimes(path: string | Buffer, atimeSec: number, atimeNsec: number, mtimeSec: number, mtimeNsec: number, noFollow: boolean): void;
  /** Data of many files durable at about one journal commit (native/sync-batch.cc); null or an errno name per fd. */
  syncDataBatch(fds: number[], close?: boolean[], renames?: ([Buffer, Buffer] | null)[], dirs?: (Buffer | null)[]): Promise<(string | null)[]>;
  /** syncDataBatch's third argument is understood (renames in the same job). */
  syncDataBatchRenames?: boolean;
  /** A small file read in one thread-pool job (native/small-files.cc). */
  readSmallFile(path: Buffer, limit: number): Promise<SmallFileRead>;
  /** A new temporary file written, owned, moded and timed in one job; resolves its open fd. */
  writeNewFile(path: Buffer, data: Buffer, mode: number, uid: number, gid: number, mtimeSec: number, mtimeNsec: number): Promise<number>;
  /** Extended attributes, never following a symlink (native/xattr.cc, shared with the backups); [] where the filesystem has none. */
  listXattrs(path: Buffer): { name: string; value: Buffer }[];
  setXattr(path: Buffer, name: string, value: Buffer): void;
  /** An absent name is not an error. */
  removeXattr(path: Buffer, name: string): void;
  /** A directory's entries with their lstat in one thread-pool job (native/scan-dir.cc, records described there). */
  scanDirectory?(path: Buffer): Promise<Buffer>;
  /** SHA-256 of a directory's small files in one thread-pool job (native/hash-files.cc, records described there). */
  hashFiles?(dir: Buffer, names: Buffer, limit: number): Promise<Buffer>;
  /** The same with the files' bytes after the records, written into `into`; resolves the bytes used (backups' small files). */
  hashFiles?(dir: string | Buffer, names: Buffer, limit: number, into: Buffer): Promise<number>;
  /** Delta transfer's block sums of a basis in one thread-pool job (native/delta-io.cc, src/replicate/delta-io.ts). */
  blockSums?(fd: number, basisSize: number, blockSize: number, from: number, n: number): Promise<Buffer>;
  /** SHA-256 (hex) of a file's range in one thread-pool job (native/delta-io.cc): the source's whole-file hash of a delta. */
  sha256File?(fd: number, offset: number, length: number): Promise<string>;
  /** A range of one file written into another with copy_file_range(2), read/write where it cannot (native/delta-io.cc). */
  copyFileRange?(inFd: number, inOffset: number, outFd: number, outOffset: number, length: number, kernel?: boolean): Promise<{ copied: number; kernel: boolean }>;
  /** A stream's data written O_DIRECT from an aligned staging buffer, unaligned head and tail buffered (native/direct-write.cc). */
  writeDirect?(directFd: number, bufferedFd: number, pieces: readonly Buffer[], offset: number): Promise<{ written: number; direct: number }>;
  /** A file's range sealed in AES-256-GCM records and sent on a socket, in one thread-pool job (native/bulk-io.cc, src/replicate/bulk-io.ts). */
  bulkSend?(sockFd: number, fileFd: number, offset: number, length: number, key: Buffer, iv: Buffer, counter: number, recordSize: number, timeoutMs: number, progress?: Buffer): Promise<{ records: number; bytes: number }>;
  /** Such records received, opened and written into a file (O_DIRECT where aligned), in one thread-pool job. */
  bulkReceive?(sockFd: number, directFd: number, bufferedFd: number, offset: number, length: number, key: Buffer, iv: Buffer, counter: number, recordMax: number, timeoutMs: number, progress?: Buffer): Promise<{ records: number; bytes: number; direct: number }>;
  /** shutdown(2) of a socket a bulk job uses, so the job ends. */
  bulkShutdown?(sockFd: number): void;
  /** Poly1305 (RFC 8439) fed piece by piece (native/poly1305.cc): a whole-file stream's check (src/replicate/content-check.ts); an older addon has none. */
  Poly1305Context?: Poly1305ContextClass;
  constants: Readonly<Record<string, number>>;
}

/**
 * An incremental Poly1305 under one 32-byte one-time key r || s (RangeError for another length).
 * update() takes a Buffer (TypeError otherwise); digest() gives the 16-byte tag once: update or
 * digest after it throw.
 */
export interface NativePoly1305Context {
  update(bytes: Uint8Array): NativePoly1305Context;
  digest(): Buffer;
}

export type Poly1305ContextClass = new (key: Uint8Array) => NativePoly1305Context;

export interface NativeBinding {
  PreciseTimer: new (onFire: () => void) => NativePreciseTimer;
  PidWatch: new (pid: number, onExit: () => void) => NativePidWatch;
  Socket: new (domain: number, type: number, protocol: number) => NativeSocket;
  ifNameToIndex(name: string): number;
  /** Poly1305 (RFC 8439) of message under the 32-byte one-time key r || s, through OpenSSL. */
  poly1305?(key: Uint8Array, message: Uint8Array): Buffer;
  /** Kernel constants by their C names (AF_INET, IPPROTO_IP, IP_PKTINFO, SOL_PACKET, …). */
  constants: Readonly<Record<string, number>>;
}

/** The addon's calls on the process itself (native/process-image.cc), used by src/daemon/node-runtime.ts. */
export interface ProcessImageBinding {
  /** execve(2): replaces this process (same pid); returns only by throwing an errno Error. */
  exec(file: string, argv: readonly string[], env: readonly string[]): never;
  /**
   * Unmaps from this process the pages of read-only file mappings that hold nothing of its own
   * (node's code, shared libraries); they stay in the page cache and fault back in when used.
   * Returns the kB released.
   */
  releaseFilePages(): number;
}

/** Where node-gyp puts the addon, relative to the package root. */
const ADDON_PATH = join('build', 'Release', 'hsnet.node');

/** The package root: the nearest directory above this module that has a package.json. */
export function packageRoot(): string {
  // Works both from src/net (sources run directly) and dist/src/net (compiled).
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`No package.json above '${fileURLToPath(import.meta.url)}'`);
    dir = parent;
  }
}

/**
 * Loads the native addon (Node caches it, so repeated calls are cheap).
 * Throws an Error with code 'ERR_HSNET_NOT_BUILT' naming the fix when it has not been built.
 */
export function loadNative(): NativeBinding & NativeFileBinding {
  return loadAddon() as NativeBinding & NativeFileBinding;
}

/** The same addon, for its calls on the process itself. */
export function loadProcessImage(): ProcessImageBinding {
  return loadAddon() as ProcessImageBinding;
}

function loadAddon(): unknown {
  const root = packageRoot();
  const path = join(root, ADDON_PATH);
  if (!existsSync(path)) {
    const error = new Error(
      `The native addon '${path}' is missing; build it with 'npm run install' (node-gyp rebuild) in '${root}'`,
    );
    (error as NodeJS.ErrnoException).code = 'ERR_HSNET_NOT_BUILT';
    throw error;
  }
  return createRequire(import.meta.url)(path);
}

/** setsockopt for an option the kernel may not have (older kernels): false instead of an error. */
export function trySocketOption(socket: NativeSocket, level: number, name: number, value: number): boolean {
  try {
    socket.setOptionInt(level, name, value);
    return true;
  } catch {
    return false;
  }
}
