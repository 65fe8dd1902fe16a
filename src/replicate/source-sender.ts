/**
 * The source side of one connection: sends what the queue says and converges the replica by
 * comparing directory digests. Every send reads the source as it is at that moment, so sending a
 * path twice is harmless and a missed event is repaired by the next rescan.
 */
import { createHash } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { lstat, open, readlink, type FileHandle } from 'node:fs/promises';
import { Channel, ChannelClosedError, RemoteError } from './channel.js';
import { entryFromWire } from './entry-wire.js';
import { MAX_PAYLOAD, pathField } from './frames.js';
import { absolute, joinRel, parentOf, printable, type RelPath } from './paths.js';
import { sameEntry, type EntryMeta, type TreeDigester } from './tree-digest.js';
import type { SmallFileRead } from '../net/native.js';

/** Files up to this size go in one frame; larger ones are streamed and resumable. */
export const WHOLE_FILE_LIMIT = 1024 * 1024;
const CHUNK = 1024 * 1024;
/** Sends in flight during a rescan: as many as the replica commits together (replica-server.ts). */
const RESCAN_PARALLEL = 128;
/** Files up to this size are read in one job of the addon. */
const SMALL_FILE_LIMIT = 256 * 1024;

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
export interface SmallFileReader {
  readSmallFile?(path: Buffer, limit: number): Promise<SmallFileRead>;
  /** A directory and its entries' lstat in one job (native/scan-dir.cc), for the digests. */
  scanDirectory?(path: Buffer): Promise<Buffer>;
}

export interface SenderHooks {
  /** Bytes of file content sent (for throughput and bytes-lag accounting). */
  onBytes?: (n: number) => void;
  /** A path that must be sent again later (it failed for a reason that may heal). */
  onFailed: (failure: SendFailed) => void;
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

export class SourceSender {
  constructor(
    private readonly channel: Channel,
    private readonly root: Buffer,
    private readonly digester: TreeDigester,
    private readonly hooks: SenderHooks,
    private readonly reader: SmallFileReader = {},
  ) {}

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
      return true;
    } catch (err) {
      if (err instanceof ChannelClosedError) throw err;
      return false; // the caller sends both names instead
    }
  }

  /** Converges the subtree at `path`: descends only where digests differ. Returns paths sent. */
  async rescan(path: RelPath): Promise<number> {
    const reply = await this.channel.request('tree', { path: pathField(path) });
    const theirs = new Map<RelPath, string>();
    for (const pair of (reply.header.digests as unknown[]) ?? []) {
      const [p, d] = pair as [string, string];
      theirs.set(Buffer.from(p, 'base64').toString('latin1'), d);
    }
    const st = await lstat(absolute(this.root, path)).catch(() => undefined);
    if (st === undefined || !st.isDirectory()) {
      await this.send(path);
      return 1;
    }
    const ours = await this.digester.tree(path);
    const counter = { sent: 0 };
    await this.descend(path, ours, theirs, counter);
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
        const metaDiffers = other === undefined || other.type !== 'dir' || other.mode !== entry.mode || other.uid !== entry.uid || other.gid !== entry.gid;
        if (metaDiffers) {
          await this.send(path);
          counter.sent++;
          if (other?.type !== 'dir') theirs.delete(path); // nothing below it there
        }
        if (other === undefined || !other.digest.equals(entry.digest)) subdirs.push(path);
        continue;
      }
      if (other !== undefined && sameEntry(entry, other)) continue;
      work.push(async () => {
        await this.send(path).catch((err) => this.hooks.onFailed(err as SendFailed));
        counter.sent++;
      });
    }
    for (const name of remoteByName.keys()) {
      const path = joinRel(dir, name);
      work.push(async () => {
        await this.send(path).catch((err) => this.hooks.onFailed(err as SendFailed));
        counter.sent++;
      });
    }
    await runLimited(work, RESCAN_PARALLEL, () => this.channel.closed);
    if (this.channel.closed) throw new ChannelClosedError('closed during a rescan');
    for (const sub of subdirs) await this.descend(sub, ours, theirs, counter);
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
        if (path !== '') await this.channel.request('mkdir', { path: pathField(path), ...metaHeader(before) });
      } else if (!before.isFile()) {
        return; // fifos, sockets, devices are not replicated
      } else if (before.size <= BigInt(WHOLE_FILE_LIMIT)) await this.sendWhole(path, file, before);
      else await this.sendStream(path, file, before);
    } finally {
      await file.close();
    }
  }

  /** A path that could not be opened: gone (removed on the replica), a symlink, or an error. */
  private async sendNotAFile(path: RelPath, full: Buffer, err: unknown): Promise<void> {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      if (path !== '') await this.channel.request('remove', { path: pathField(path) });
      return;
    }
    if (code !== 'ELOOP') throw err;
    const st = await lstat(full, { bigint: true });
    const target = (await readlink(full, { encoding: 'buffer' })) as Buffer;
    await this.channel.request('symlink', { path: pathField(path), target: target.toString('base64'), ...metaHeader(st) });
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
    const meta = { mode: found.mode & 0o7777, uid: found.uid, gid: found.gid, mtimeNs: found.mtimeNs };
    if (found.type === 'dir') {
      if (path !== '') await this.channel.request('mkdir', { path: pathField(path), ...meta });
      return true;
    }
    if (found.type === 'other') return true; // fifos, sockets, devices are not replicated
    if (found.data === undefined) return false;
    if (found.changed) throw new SendFailed(path, 'ECHANGED', `'${printable(path)}' changed while it was read; sent again`);
    this.hooks.onBytes?.(found.data.length);
    await this.channel.request('put', { path: pathField(path), ...meta }, found.data);
    return true;
  }

  private async sendWhole(path: RelPath, file: FileHandle, before: Stamp & { mode: bigint; uid: bigint; gid: bigint }): Promise<void> {
    // One byte more than expected: a file that grew is noticed by the stamp check below.
    const buffer = Buffer.alloc(Number(before.size) + 1);
    const { bytesRead } = await file.read(buffer, 0, buffer.length, 0);
    await this.unchanged(path, file, before);
    if (bytesRead !== Number(before.size)) throw new SendFailed(path, 'ECHANGED', `'${printable(path)}' changed while it was read; sent again`);
    this.hooks.onBytes?.(bytesRead);
    await this.channel.request('put', { path: pathField(path), ...metaHeader(before) }, buffer.subarray(0, bytesRead));
  }

  private async sendStream(path: RelPath, file: FileHandle, before: Stamp & { mode: bigint; uid: bigint; gid: bigint }): Promise<void> {
    // Which file (16 hex digits) and which version of it (16): the replica drops a partial of an
    // older version of the same file when a newer one begins.
    const token =
      createHash('sha256').update(Buffer.from(path, 'latin1')).digest('hex').slice(0, 16) +
      createHash('sha256').update(`${before.size}\0${before.mtimeNs}\0${before.ino}`).digest('hex').slice(0, 16);
    const reply = await this.channel.request('begin', { path: pathField(path), size: before.size.toString(), token, ...metaHeader(before) });
    const offset = BigInt(String(reply.header.offset ?? '0'));
    const hash = createHash('sha256');
    let position = 0n;
    // The prefix the replica already holds is only hashed (resume), the rest hashed and sent.
    while (position < before.size) {
      // A fresh buffer per chunk: the frame holds on to it until the socket has sent it.
      const buffer = Buffer.allocUnsafe(Math.min(CHUNK, MAX_PAYLOAD));
      const { bytesRead } = await file.read(buffer, 0, buffer.length, Number(position));
      if (bytesRead === 0) break;
      const chunk = buffer.subarray(0, bytesRead);
      hash.update(chunk);
      const end = position + BigInt(bytesRead);
      if (end > offset) {
        const start = position >= offset ? 0 : Number(offset - position);
        const piece = chunk.subarray(start);
        await this.channel.write({ type: 'data', id: 0, header: { token, offset: (position + BigInt(start)).toString() }, payload: piece });
        this.hooks.onBytes?.(piece.length);
      }
      position = end;
    }
    // Changed while read: the partial is left for the next attempt's token, never installed.
    await this.unchanged(path, file, before);
    await this.channel.request('end', { path: pathField(path), token, sha256: hash.digest('hex') });
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
