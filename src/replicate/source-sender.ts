/**
 * The source side of one connection: sends what the queue says and converges the replica by
 * comparing directory digests. Every send reads the source as it is at that moment, so sending a
 * path twice is harmless and a missed event is repaired by the next rescan.
 */
import { createHash } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { constants as fsConstants } from 'node:fs';
import { lstat, open, readlink, type FileHandle } from 'node:fs/promises';
import { Channel, ChannelClosedError, RemoteError } from './channel.js';
import { entryFromWire } from './entry-wire.js';
import { MAX_PAYLOAD, pathField } from './frames.js';
import { BULK_TIMEOUT_MS, type BulkError, type BulkIoPort } from './bulk-io.js';
import { readOffer, sendBulk } from './bulk-sender.js';
import { poly1305Check, poly1305KeyFromWire, sha256Check, type ContentCheck, type Poly1305Port } from './content-check.js';
import { DeltaEncoder } from './delta-encoder.js';
import { encodedLength, encodeOps, opLength, trimOp, type DeltaOp } from './delta-ops.js';
import { SignatureBuilder, SUM_BYTES } from './delta-signature.js';
import { absolute, isWithin, joinRel, parentOf, printable, type RelPath } from './paths.js';
import { fileKey, type FileKey } from './link-index.js';
import { packU64 } from './packed.js';
import { sameEntry, sameXattrs, type EntryMeta, type TreeDigester } from './tree-digest.js';
import { anySelected, readXattrList, xattrsToWire, type XattrPort } from './xattrs.js';
import type { SmallFileRead } from '../net/native.js';
import type { Throttle } from './token-bucket.js';

/** Files up to this size go in one frame; larger ones are streamed and resumable. */
export const WHOLE_FILE_LIMIT = 1024 * 1024;
const CHUNK = 1024 * 1024;
/** Files from this size on go as bulk transfers where the replica offers them; below, a connection and two jobs gain nothing. */
export const BULK_MIN = 8 * 1024 * 1024;
/** How often a bulk transfer's bytes sent so far are counted (lag in bytes). */
const BULK_PROGRESS_MS = 200;
/** Sends in flight during a rescan: as many as the replica commits together (replica-server.ts). */
const RESCAN_PARALLEL = 128;
/** Files up to this size are read in one job of the addon. */
const SMALL_FILE_LIMIT = 256 * 1024;
/** Versions remembered as sent (for attribute-only changes); forgotten all at once beyond this. */
const SENT_VERSIONS_LIMIT = 200_000;

/** A send that could not be done now (the source changed under it, or the replica refused). */
export class SendFailed extends Error {
  constructor(
    readonly path: RelPath,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'SendFailed';
  }
}

/** The addon's one-job read of a small file (native/small-files.cc); absent: node:fs calls. */
export interface SmallFileReader extends Poly1305Port {
  readSmallFile?(path: Buffer, limit: number): Promise<SmallFileRead>;
  /** A directory and its entries' lstat in one job (native/scan-dir.cc), for the digests. */
  scanDirectory?(path: Buffer): Promise<Buffer>;
  /** A directory's small files hashed in one job (native/hash-files.cc), for the digests. */
  hashFiles?(dir: Buffer, names: Buffer, limit: number): Promise<Buffer>;
  /** SHA-256 (hex) of a file's range in one thread-pool job (native/delta-io.cc): a delta's whole-file hash off the main thread. */
  sha256File?(fd: number, offset: number, length: number): Promise<string>;
}

/** Most sums asked in one 'sums' request (the replica's MAX_SUMS_PER_PAGE). */
const SUMS_PAGE = 65536;
/** A 'patch' frame is sent once its operations encode to this many bytes, or describe this much output (the replica works meanwhile). */
const PATCH_FRAME = 1024 * 1024;
const PATCH_OUTPUT = 8 * 1024 * 1024;

/** What one delta transfer sent and what it saved (for events and the bench). */
export type DeltaReport = {
  path: RelPath;
  size: number;
  /** Bytes of the new version sent as literal data / rebuilt from the replica's copy. */
  literalBytes: number;
  copiedBytes: number;
  /** Bytes of sums received and operations sent (frame headers not counted). */
  sumsBytes: number;
  patchBytes: number;
};

export interface SenderOptions {
  /** The replica announced delta transfer (hello's features): changed large files go as deltas. */
  delta?: boolean;
  /**
   * The replica announced bulk transfers (hello's features) and this node has the jobs: new large
   * files go on a connection of their own (bulk-sender.ts), keyed from `control`'s TLS session.
   * Never with a bandwidth limit (the jobs do not meter).
   */
  bulk?: { port: Required<BulkIoPort>; control: TLSSocket };
  /** The bandwidth limit on file content (token-bucket.ts); requests and replies are not metered. */
  throttle?: Throttle;
}

export interface SenderHooks {
  /** Bytes of file content sent (for throughput and bytes-lag accounting). */
  onBytes?: (n: number) => void;
  /** A file went as a delta. */
  onDelta?: (report: DeltaReport) => void;
  /** A path that must be sent again later (it failed for a reason that may heal). */
  onFailed: (failure: SendFailed) => void;
  /** Bulk transfers turned off for this connection, and why; large files go through TLS. */
  onBulkOff?: (reason: string) => void;
}

interface Stamp {
  size: bigint;
  mtimeNs: bigint;
  ctimeNs: bigint;
  ino: bigint;
}

function metaHeader(st: { mode: bigint; uid: bigint; gid: bigint; mtimeNs: bigint }): Record<string, unknown> {
  return { mode: Number(st.mode & 0o7777n), uid: Number(st.uid), gid: Number(st.gid), mtimeNs: st.mtimeNs.toString() };
}

function sameStamp(a: Stamp, b: Stamp): boolean {
  return a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs && a.ino === b.ino;
}

/** The same version of a file's content (inode, size, ns mtime), packed: one is kept per file sent (packed.ts). */
function versionOf(st: { ino: bigint | string; size: bigint | string; mtimeNs: bigint | string }): string {
  return packU64(st.ino, st.size, st.mtimeNs);
}

export class SourceSender {
  /** Sends of names of one linked file take turns (else two names could each send content). */
  private readonly groupTurns = new Map<FileKey, Promise<void>>();
  /** The content version last sent for each path: a change of attributes only sends no content. */
  private readonly sentVersions = new Map<RelPath, string>();
  /**
   * Paths a rescan found with other content on the replica: sent as content, never as a link.
   * (The shortcuts trust size and ns mtime, like rsync's quick check; a file rewritten with its
   * old size and mtime put back is repaired by the next full comparison through this.)
   */
  private readonly contentDiffers = new Set<RelPath>();
  /** Why bulk transfers stopped on this connection (one failed to connect, say): the rest go through TLS. */
  private bulkOff: string | undefined;
  /** During a rescan: the replica's directories in its scope (a name in a directory it lacks is not there). */
  private replicaDirs: { scope: RelPath; dirs: Map<RelPath, string>; made: Set<RelPath> } | undefined;

  constructor(
    private readonly channel: Channel,
    private readonly root: Buffer,
    private readonly digester: TreeDigester,
    private readonly hooks: SenderHooks,
    private readonly reader: SmallFileReader = {},
    private readonly xattrPort?: XattrPort,
    private readonly options: SenderOptions = {},
  ) {}

  /** The selected attributes of `full` for a metadata header (nothing when not replicated). */
  private attrs(full: Buffer): Record<string, unknown> {
    const selection = this.digester.xattrSelection;
    if (this.xattrPort === undefined || !anySelected(selection)) return {};
    return { xattrs: xattrsToWire(readXattrList(this.xattrPort, full, selection)) };
  }

  private rememberSent(path: RelPath, version: string): void {
    if (this.sentVersions.size >= SENT_VERSIONS_LIMIT) this.sentVersions.clear();
    this.sentVersions.set(path, version);
  }

  /**
   * A file's content, sent so that names of one file stay one file on the replica. An
   * unchanged version (attributes changed) or a name whose file the replica already holds under
   * another name becomes a `link` (no content); otherwise the content goes to this name and the
   * file's other names are linked to it (a write through one name changed them all).
   */
  private async sendFile(path: RelPath, st: { ino: bigint | string; dev: bigint | string; nlink: bigint | number; size: bigint | string; mtimeNs: bigint | string }, meta: Record<string, unknown>, content: () => Promise<void>): Promise<void> {
    const version = versionOf(st);
    const header = (name: RelPath, target: RelPath) => ({ path: pathField(name), target: pathField(target), size: String(st.size), ...meta });
    const tryLink = async (name: RelPath, target: RelPath): Promise<boolean> => {
      try {
        await this.channel.request('link', header(name, target));
        return true;
      } catch (err) {
        if (err instanceof RemoteError) return false; // not there, or another version: content instead
        throw err;
      }
    };
    const links = this.digester.links;
    const key = fileKey(st.dev, st.ino);
    const mustSend = this.contentDiffers.delete(path);
    if (BigInt(st.nlink) <= 1n) {
      links.observe(path, key);
      if (!mustSend && this.sentVersions.get(path) === version && (await tryLink(path, path))) return;
      await content();
      this.rememberSent(path, version);
      return;
    }
    const previous = this.groupTurns.get(key) ?? Promise.resolve();
    let done!: () => void;
    const turn = new Promise<void>((resolve) => (done = resolve));
    this.groupTurns.set(key, turn);
    await previous;
    try {
      links.observe(path, key);
      const others = (await links.verifiedNames(key)).filter((name) => name !== path);
      // A name whose directory the replica lacks (a first copy) is not worth a round trip.
      const absent = (name: RelPath) => this.replicaDirs !== undefined && isWithin(name, this.replicaDirs.scope) && !this.replicaDirs.dirs.has(parentOf(name)) && !this.replicaDirs.made.has(parentOf(name));
      if (!mustSend) for (const other of others) if (!absent(other) && (await tryLink(path, other))) return;
      if (mustSend || !(this.sentVersions.get(path) === version && (await tryLink(path, path)))) {
        await content();
        this.rememberSent(path, version);
      }
      for (const other of others) {
        if (await tryLink(other, path)) this.rememberSent(other, version);
        else this.hooks.onFailed(new SendFailed(other, 'ELINK', `'${printable(other)}' could not be linked to '${printable(path)}' on the replica; sent again`));
      }
    } finally {
      done();
      if (this.groupTurns.get(key) === turn) this.groupTurns.delete(key);
    }
  }

  /** Sends `path` as it is now (deleting it on the replica if it is gone here). */
  async send(path: RelPath): Promise<void> {
    try {
      await this.sendOnce(path);
    } catch (err) {
      if (!(err instanceof RemoteError) || err.code !== 'ENOPARENT' || path === '') throw this.failure(path, err);
      try {
        await this.send(parentOf(path)); // the parent first, then this again
      } catch (parentErr) {
        // Reported (and so retried) as a failure of this path: its parent's own item is done.
        if (parentErr instanceof ChannelClosedError) throw parentErr;
        const failed = parentErr as SendFailed;
        throw new SendFailed(path, failed.code ?? 'EIO', `The parent of '${printable(path)}' could not be made: ${failed.message}`);
      }
      try {
        await this.sendOnce(path);
      } catch (again) {
        throw this.failure(path, again);
      }
    }
  }

  /** Tells the replica a full comparison completed: it takes this generation (generations.ts). */
  async synced(generation: { current: string; history: readonly string[] }): Promise<void> {
    await this.channel.request('synced', { generation });
  }

  async rename(from: RelPath, to: RelPath): Promise<boolean> {
    try {
      await this.channel.request('rename', { from: pathField(from), to: pathField(to) });
      this.digester.links.rename(from, to);
      const version = this.sentVersions.get(from);
      this.sentVersions.delete(from);
      if (version !== undefined) this.rememberSent(to, version);
      return true;
    } catch (err) {
      if (err instanceof ChannelClosedError) throw err;
      return false; // the caller sends both names instead
    }
  }

  /** Converges the subtree at `path`: descends only where digests differ. Returns paths sent. */
  async rescan(path: RelPath): Promise<number> {
    // Both sides walk at once: this side's walk runs while the replica walks for its reply.
    const walk = (async () => {
      const st = await lstat(absolute(this.root, path)).catch(() => undefined);
      return st === undefined || !st.isDirectory() ? undefined : this.digester.tree(path);
    })();
    walk.catch(() => {}); // awaited below, unless the request fails first
    const reply = await this.channel.request('tree', { path: pathField(path) });
    const theirs = new Map<RelPath, string>();
    for (const pair of (reply.header.digests as unknown[]) ?? []) {
      const [p, d] = pair as [string, string];
      theirs.set(Buffer.from(p, 'base64').toString('latin1'), d);
    }
    const ours = await walk;
    if (ours === undefined) {
      await this.send(path);
      return 1;
    }
    const counter = { sent: 0 };
    this.replicaDirs = { scope: path, dirs: theirs, made: new Set() };
    try {
      await this.descend(path, ours, theirs, counter);
    } finally {
      this.replicaDirs = undefined;
    }
    return counter.sent;
  }

  private async descend(dir: RelPath, ours: Map<RelPath, Buffer>, theirs: Map<RelPath, string>, counter: { sent: number }): Promise<void> {
    if (ours.get(dir)?.toString('hex') === theirs.get(dir)) return;
    const mine = await this.digester.list(dir, ours);
    let remote: EntryMeta[] = [];
    if (theirs.has(dir)) {
      const reply = await this.channel.request('list', { path: pathField(dir) });
      remote = ((reply.header.entries as unknown[]) ?? []).map(entryFromWire);
    }
    const remoteByName = new Map(remote.map((e) => [e.name, e]));
    const work: (() => Promise<void>)[] = [];
    const subdirs: RelPath[] = [];
    for (const entry of mine) {
      const path = joinRel(dir, entry.name);
      const other = remoteByName.get(entry.name);
      remoteByName.delete(entry.name);
      if (entry.type === 'dir') {
        const metaDiffers = other === undefined || other.type !== 'dir' || other.mode !== entry.mode || other.uid !== entry.uid || other.gid !== entry.gid || !sameXattrs(entry, other);
        if (metaDiffers) {
          await this.send(path);
          counter.sent++;
          if (other?.type !== 'dir') theirs.delete(path); // nothing below it there
        }
        if (other === undefined || !other.digest.equals(entry.digest)) subdirs.push(path);
        continue;
      }
      if (other !== undefined && sameEntry(entry, other)) continue;
      if (entry.type === 'file' && other?.type === 'file' && !other.digest.equals(entry.digest)) this.contentDiffers.add(path);
      work.push(async () => {
        await this.send(path).catch((err) => this.failedInRescan(err));
        counter.sent++;
      });
    }
    for (const name of remoteByName.keys()) {
      const path = joinRel(dir, name);
      work.push(async () => {
        await this.send(path).catch((err) => this.failedInRescan(err));
        counter.sent++;
      });
    }
    await runLimited(work, RESCAN_PARALLEL, () => this.channel.closed);
    if (this.channel.closed) throw new ChannelClosedError('closed during a rescan');
    for (const sub of subdirs) await this.descend(sub, ours, theirs, counter);
  }

  /** A send of a rescan that failed: retried later; a closed channel ends the rescan (the next connect's rescan covers it). */
  private failedInRescan(err: unknown): void {
    if (err instanceof SendFailed) this.hooks.onFailed(err);
    else if (!(err instanceof ChannelClosedError)) throw err;
  }

  private failure(path: RelPath, err: unknown): Error {
    if (err instanceof ChannelClosedError || err instanceof SendFailed) return err as Error;
    if (err instanceof RemoteError) return new SendFailed(path, err.code, `The replica refused '${printable(path)}': ${err.message}`);
    const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
    return new SendFailed(path, code, `Cannot read '${printable(path)}' on the source: ${(err as Error).message}`);
  }

  private async sendOnce(path: RelPath): Promise<void> {
    const full = absolute(this.root, path);
    if (this.reader.readSmallFile !== undefined && (await this.sendSmall(path, full))) return;
    // Opened first and asked what it is (fewer system calls than lstat, then open): O_NOFOLLOW
    // makes a symlink fail with ELOOP, O_NONBLOCK keeps a fifo from blocking the open.
    let file: FileHandle;
    try {
      file = await open(full, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK);
    } catch (err) {
      await this.sendNotAFile(path, full, err);
      return;
    }
    try {
      const before = await file.stat({ bigint: true });
      if (before.isDirectory()) {
        if (path !== '') await this.channel.request('mkdir', { path: pathField(path), ...metaHeader(before), ...this.attrs(full) });
        this.replicaDirs?.made.add(path);
      } else if (!before.isFile()) {
        return; // fifos, sockets, devices are not replicated
      } else {
        const attrs = this.attrs(full);
        await this.sendFile(path, before, { ...metaHeader(before), ...attrs }, () =>
          before.size <= BigInt(WHOLE_FILE_LIMIT) ? this.sendWhole(path, file, before, attrs) : this.sendStream(path, file, before, attrs),
        );
      }
    } finally {
      await file.close();
    }
  }

  /** A path that could not be opened: gone (removed on the replica), a symlink, or an error. */
  private async sendNotAFile(path: RelPath, full: Buffer, err: unknown): Promise<void> {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      this.digester.links.forgetWithin(path);
      this.sentVersions.delete(path);
      if (path !== '') await this.channel.request('remove', { path: pathField(path) });
      return;
    }
    if (code !== 'ELOOP') throw err;
    const st = await lstat(full, { bigint: true });
    const target = (await readlink(full, { encoding: 'buffer' })) as Buffer;
    this.digester.links.observe(path, undefined);
    await this.channel.request('symlink', { path: pathField(path), target: target.toString('base64'), ...metaHeader(st), ...this.attrs(full) });
  }

  /**
   * The common case in one thread-pool job: a small file (or a directory, a gone path, a link).
   * False for what the general path must do (a large file).
   */
  private async sendSmall(path: RelPath, full: Buffer): Promise<boolean> {
    let found: SmallFileRead;
    try {
      found = await this.reader.readSmallFile!(full, SMALL_FILE_LIMIT);
    } catch (err) {
      await this.sendNotAFile(path, full, err);
      return true;
    }
    const meta = { mode: found.mode & 0o7777, uid: found.uid, gid: found.gid, mtimeNs: found.mtimeNs, ...this.attrs(full) };
    if (found.type === 'dir') {
      if (path !== '') await this.channel.request('mkdir', { path: pathField(path), ...meta });
      this.replicaDirs?.made.add(path);
      return true;
    }
    if (found.type === 'other') return true; // fifos, sockets, devices are not replicated
    const data = found.data;
    if (data === undefined) return false;
    if (found.changed) throw new SendFailed(path, 'ECHANGED', `'${printable(path)}' changed while it was read; sent again`);
    // An addon built before hard links were replicated says nothing of links: one link assumed.
    const st = { ...found, nlink: found.nlink ?? 1, dev: found.dev ?? '0' };
    await this.sendFile(path, st, meta, async () => {
      await this.options.throttle?.pass(data.length);
      this.hooks.onBytes?.(data.length);
      await this.channel.request('put', { path: pathField(path), ...meta }, data);
    });
    return true;
  }

  private async sendWhole(path: RelPath, file: FileHandle, before: Stamp & { mode: bigint; uid: bigint; gid: bigint }, attrs: Record<string, unknown>): Promise<void> {
    // One byte more than expected: a file that grew is noticed by the stamp check below.
    const buffer = Buffer.alloc(Number(before.size) + 1);
    const { bytesRead } = await file.read(buffer, 0, buffer.length, 0);
    await this.unchanged(path, file, before);
    if (bytesRead !== Number(before.size)) throw new SendFailed(path, 'ECHANGED', `'${printable(path)}' changed while it was read; sent again`);
    await this.options.throttle?.pass(bytesRead);
    this.hooks.onBytes?.(bytesRead);
    await this.channel.request('put', { path: pathField(path), ...metaHeader(before), ...attrs }, buffer.subarray(0, bytesRead));
  }

  /**
   * A large file, streamed and resumable. With delta transfer on, the replica's current copy (if
   * it has one) is the basis: rsync's algorithm sends only what differs (delta-encoder.ts). The
   * replica checks a digest of the result either way (content-check.ts: a delta's SHA-256, a
   * whole file's Poly1305 under the key its begin reply carries, else SHA-256); a delta whose
   * result differs (the basis changed on the replica meanwhile) is sent again at once whole.
   */
  private async sendStream(path: RelPath, file: FileHandle, before: Stamp & { mode: bigint; uid: bigint; gid: bigint }, attrs: Record<string, unknown>, delta = this.options.delta === true): Promise<void> {
    // Which file (16 hex digits) and which version of it (16): the replica drops a partial of an
    // older version of the same file when a newer one begins.
    const token =
      createHash('sha256').update(Buffer.from(path, 'latin1')).digest('hex').slice(0, 16) +
      createHash('sha256').update(`${before.size}\0${before.mtimeNs}\0${before.ino}`).digest('hex').slice(0, 16);
    const Context = this.reader.Poly1305Context;
    // Asked beside a delta too: the replica offers bulk only when it has no basis (a new file).
    const bulk = this.bulkOff === undefined && this.options.bulk !== undefined && this.options.throttle === undefined && before.size >= BigInt(BULK_MIN) ? this.options.bulk : undefined;
    const reply = await this.channel.request('begin', { path: pathField(path), size: before.size.toString(), token, ...metaHeader(before), ...attrs, ...(delta && { basis: true }), ...(Context && { check: 'poly1305' }), ...(bulk && { bulk: true }) });
    const offset = BigInt(String(reply.header.offset ?? '0'));
    const basis = reply.header.basis as { size?: unknown; blockSize?: unknown } | undefined;
    // The replica offers one only for data still to come, without a basis, within one key's limit.
    const offer = bulk === undefined ? undefined : readOffer(reply.header.bulk);
    if (bulk !== undefined && offer !== undefined) {
      await this.sendBulk(path, file, before, attrs, token, offset, bulk, offer, this.checkFor(path, reply.header));
      return;
    }
    if (delta && basis !== undefined && offset < before.size) {
      const sha256 = await this.sendDelta(path, file, token, Number(offset), Number(before.size), basis);
      await this.unchanged(path, file, before);
      try {
        await this.channel.request('end', { path: pathField(path), token, sha256 });
      } catch (err) {
        // The result differs from the source's (the basis changed meanwhile): whole file now.
        if (!(err instanceof RemoteError) || err.code !== 'EBADMSG') throw err;
        await this.sendStream(path, file, before, attrs, false);
      }
      return;
    }
    const hash = this.checkFor(path, reply.header);
    const chunkSize = Math.min(this.options.throttle?.chunk ?? CHUNK, MAX_PAYLOAD);
    // The next chunk is read while this one is hashed and sent, into a buffer the socket is done
    // with (Channel.write's `sent`): two or three buffers in all, no fresh memory per chunk.
    const free: Buffer[] = [];
    const readAt = async (at: bigint) => {
      const buffer = free.pop() ?? Buffer.allocUnsafe(chunkSize);
      const { bytesRead } = await file.read(buffer, 0, buffer.length, Number(at));
      return { buffer, bytesRead };
    };
    let position = 0n;
    let next = position < before.size ? readAt(position) : undefined;
    try {
      // The prefix the replica already holds is only hashed (resume), the rest hashed and sent.
      while (next !== undefined) {
        const { buffer, bytesRead } = await next;
        next = undefined;
        if (bytesRead === 0) break;
        const end = position + BigInt(bytesRead);
        if (end < before.size) next = readAt(end);
        const chunk = buffer.subarray(0, bytesRead);
        hash.update(chunk);
        if (end > offset) {
          const start = position >= offset ? 0 : Number(offset - position);
          const piece = chunk.subarray(start);
          await this.options.throttle?.pass(piece.length);
          await this.channel.write({ type: 'data', id: 0, header: { token, offset: (position + BigInt(start)).toString() }, payload: piece }, () => free.push(buffer));
          this.hooks.onBytes?.(piece.length);
        } else free.push(buffer);
        position = end;
      }
    } finally {
      // A read ahead still running when the loop ended early (the channel closed): not wanted.
      next?.catch(() => {});
    }
    // Changed while read: the partial is left for the next attempt's token, never installed.
    await this.unchanged(path, file, before);
    await this.channel.request('end', { path: pathField(path), token, [hash.kind]: hash.digest() });
  }

  /**
   * The data from `offset` on over a bulk connection (bulk-sender.ts); the kept prefix is hashed
   * here and checked by the replica, the rest is authenticated record by record. A bulk
   * connection that fails while the control connection lives (a firewall that drops the port,
   * say) turns bulk transfers off for this connection and the file goes through TLS at once.
   */
  private async sendBulk(
    path: RelPath,
    file: FileHandle,
    before: Stamp & { mode: bigint; uid: bigint; gid: bigint },
    attrs: Record<string, unknown>,
    token: string,
    offset: bigint,
    bulk: NonNullable<SenderOptions['bulk']>,
    offer: { ticket: Buffer; port: number },
    check: ContentCheck,
  ): Promise<void> {
    await this.hashPrefix(file, offset, check);
    const job = sendBulk(bulk.port, bulk.control, offer, file.fd, Number(offset), Number(before.size - offset), BULK_TIMEOUT_MS);
    const stopOnClose = this.channel.onClose(() => job.cancel());
    // The bytes sent count as they go (lag in bytes), as a stream's frames do.
    let counted = 0;
    const count = (now: number) => {
      if (now > counted) this.hooks.onBytes?.(now - counted);
      counted = Math.max(counted, now);
    };
    const ticker = setInterval(() => count(job.progress?.() ?? 0), BULK_PROGRESS_MS);
    let failed: BulkError | undefined;
    try {
      count(await job.done);
    } catch (err) {
      failed = err as BulkError;
    } finally {
      clearInterval(ticker);
      stopOnClose();
    }
    if (failed !== undefined) {
      if (this.channel.closed) throw new ChannelClosedError('closed during a bulk transfer');
      if (failed.connected === true) {
        // Cut mid-way: the replica's end says why (a full disk, a cut), and the next attempt resumes.
        await this.channel.request('end', { path: pathField(path), token, [check.kind]: check.digest() });
        throw new SendFailed(path, failed.code ?? 'EIO', `'${printable(path)}': bulk transfer: ${failed.message}`);
      }
      // The port could not be reached (a firewall, say): TLS for this connection's large files from now on.
      this.bulkOff = failed.message;
      this.hooks.onBulkOff?.(this.bulkOff);
      await this.sendStream(path, file, before, attrs, false);
      return;
    }
    await this.unchanged(path, file, before);
    await this.channel.request('end', { path: pathField(path), token, [check.kind]: check.digest() });
  }

  /**
   * The whole-file check a begin reply settled (content-check.ts): Poly1305 under the key it
   * carries, else SHA-256 (an older replica, or one without the addon's context).
   */
  private checkFor(path: RelPath, reply: Record<string, unknown>): ContentCheck {
    const Context = this.reader.Poly1305Context;
    if (Context === undefined || reply.poly1305Key === undefined) return sha256Check();
    try {
      return poly1305Check(Context, poly1305KeyFromWire(reply.poly1305Key));
    } catch (err) {
      throw new SendFailed(path, 'EPROTO', `The replica's begin reply for '${printable(path)}' is malformed: ${(err as Error).message}`);
    }
  }

  /** Feeds the file's first `length` bytes to `check`. */
  private async hashPrefix(file: FileHandle, length: bigint, check: ContentCheck): Promise<void> {
    const buffer = Buffer.allocUnsafe(Math.min(CHUNK, Number(length)));
    for (let at = 0n; at < length; ) {
      const { bytesRead } = await file.read(buffer, 0, Math.min(buffer.length, Number(length - at)), Number(at));
      if (bytesRead === 0) break; // shorter than when stat'ed: the stamp check after the transfer says so
      check.update(buffer.subarray(0, bytesRead));
      at += BigInt(bytesRead);
    }
  }

  /**
   * Fetches the basis's sums, rolls over the file and sends the operations from `offset` on
   * (what a resumed transfer lacks). Returns the SHA-256 of the whole file as read.
   */
  private async sendDelta(path: RelPath, file: FileHandle, token: string, offset: number, size: number, basis: { size?: unknown; blockSize?: unknown }): Promise<string> {
    const basisSize = Number(basis.size);
    const builder = new SignatureBuilder(basisSize, Number(basis.blockSize)); // a bad reply: RangeError, reported as a failure
    const count = Math.ceil(basisSize / Number(basis.blockSize));
    let sumsBytes = 0;
    for (let from = 0; from < count; from += SUMS_PAGE) {
      const page = await this.channel.request('sums', { token, from, n: Math.min(SUMS_PAGE, count - from) });
      sumsBytes += page.payload.length;
      builder.add(page.payload);
    }
    if (sumsBytes !== count * SUM_BYTES) throw new RangeError(`The replica sent ${sumsBytes} bytes of sums for ${count} blocks`);
    // The whole-file hash in the thread pool where the addon can (another core, while this
    // thread rolls over the same bytes): a second read of them, from the page cache. It and the
    // encoder's reads are of one version only if the file did not change meanwhile, which
    // sendStream() checks by its stamp after this; should they still differ, the replica's
    // result fails the hash (EBADMSG) and the file goes whole: never a wrong file.
    const whole = this.reader.sha256File?.(file.fd, 0, size);
    whole?.catch(() => {}); // awaited below unless the encoding fails first
    const encoder = new DeltaEncoder(builder.build(), async (buffer, position) => (await file.read(buffer, 0, buffer.length, position)).bytesRead, { hash: whole === undefined });
    let at = 0;
    let batch: DeltaOp[] = [];
    let batchAt = offset;
    let batchBytes = 0;
    let batchOutput = 0;
    let patchBytes = 0;
    const flush = async () => {
      if (batch.length === 0) return;
      const payload = encodeOps(batch);
      await this.options.throttle?.pass(payload.length);
      await this.channel.write({ type: 'patch', id: 0, header: { token, offset: batchAt.toString() }, payload });
      this.hooks.onBytes?.(payload.length);
      patchBytes += payload.length;
      batchAt += batchOutput;
      batch = [];
      batchBytes = 0;
      batchOutput = 0;
    };
    for await (const op of encoder.ops()) {
      const piece = trimOp(op, at, offset);
      at += opLength(op);
      if (piece === undefined) continue;
      batch.push(piece);
      batchBytes += encodedLength(piece);
      batchOutput += opLength(piece);
      if (batchBytes >= PATCH_FRAME || batchOutput >= PATCH_OUTPUT) await flush();
    }
    await flush();
    const sha256 = whole === undefined ? encoder.digest() : await whole;
    this.hooks.onDelta?.({ path, size, literalBytes: encoder.literalBytes, copiedBytes: encoder.copiedBytes, sumsBytes, patchBytes });
    return sha256;
  }

  private async unchanged(path: RelPath, file: FileHandle, before: Stamp): Promise<void> {
    const after = await file.stat({ bigint: true });
    if (!sameStamp(before, after)) throw new SendFailed(path, 'ECHANGED', `'${printable(path)}' changed while it was read; sent again`);
  }
}

/** Runs tasks with at most `limit` at once; stops starting new ones once `stop()` says so. */
async function runLimited(tasks: (() => Promise<void>)[], limit: number, stop: () => boolean): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < tasks.length && !stop()) await tasks[next++]!();
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
}
