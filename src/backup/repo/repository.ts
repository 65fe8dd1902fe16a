/**
 * A restic repository (format version 2) on a backend: keys, config, the in-memory index, blobs
 * gathered into packs, and the unpacked files (index, snapshots, locks). Write order follows
 * design.rst, "Read and Write Ordering": packs, then the index that lists them, then snapshots.
 */
import { hostname, userInfo } from 'node:os';
import { AlreadyExistsError, NotFoundError, type Backend, type FileType } from './backend.js';
import { BlobIndex, type BlobLocation } from './blob-index.js';
import { chunkerTables, type ChunkerTables } from './chunker.js';
import { zstd, type Compression } from './compression.js';
import { AuthenticationError, CRYPTO_OVERHEAD, Sealer, open, randomMasterKey, seal, type MasterKey } from './crypto.js';
import { decodeRepoConfig, encodeRepoConfig, newRepoConfig, type RepoConfig } from './config.js';
import { hashId, type Id } from './id.js';
import { BlobList } from './blob-list.js';
import { decodeIndexFile, encodeIndexFile, type IndexPack, type IndexPackSource } from './index-file.js';
import { scanIndexFile } from './index-scan.js';
import { createKeyFile, decodeKeyFile, encodeKeyFile, openKeyFile, DEFAULT_SCRYPT } from './key-file.js';
import { HEADER_LENGTH_SIZE, decodeHeaderLength, decodePackTrailer, type BlobType, type PackedBlob } from './pack.js';
import { randomIrreducible53 } from './polynomial.js';
import { sealBlob, type SealedBlob } from './seal-job.js';
import { SealPool } from './seal-pool.js';
import { PackFile, savePackFile } from './pack-file.js';
import { decodeUnpacked, encodeUnpacked } from './unpacked.js';
import { openBlob } from './open-blob.js';

/** No key file opens with this password. Callers are expected to catch it. */
export class WrongPasswordError extends AuthenticationError {
  override name = 'WrongPasswordError';
}

/** The location holds no repository (no config file). */
export class NoRepositoryError extends Error {
  override name = 'NoRepositoryError';
}

/** Packs are closed once they reach this size (restic 0.14 uses 4 MiB; later versions 16). */
export const DEFAULT_PACK_SIZE = 16 * 1024 * 1024;
/**
 * Full packs being uploaded while the next ones fill. They are in temporary files (pack-file.ts),
 * not in memory; the bound keeps a slow backend from collecting finished packs on the disk.
 */
const MAX_PACK_WRITES = 2;
/** Index files are kept below 8 MiB of JSON (design.rst, "Indexing"); this many packs stays well under. */
const PACKS_PER_INDEX_FILE = 4096;
/** An index file is written once the packs not yet listed hold this many blobs (restic: 50,000 a file). */
const BLOBS_PER_INDEX_FILE = 50_000;

export type { BlobLocation };

export interface RepositoryOptions {
  compression?: Compression;
  packSize?: number;
  /** Worker threads for compressing and sealing blobs (default: seal-pool.ts's choice; 0: none). */
  sealWorkers?: number;
  /**
   * Where packs are assembled before they are saved (default: $TMPDIR or /tmp, as restic), on a
   * backend that cannot assemble them in place (Backend.createTemp: the local one can).
   */
  tempDir?: string;
}

interface OpenPack {
  file: PackFile;
  blobs: PackedBlob[];
}

/** Plaintext bytes being compressed and sealed at once, over all callers. */
const MAX_SEALING_BYTES = 8 * 1024 * 1024;
/** Blobs this large go to a worker in a message of their own; smaller ones in batches (seal-pool.ts). */
const OFFLOAD_MIN_BYTES = 32 * 1024;

const blobKey = (type: BlobType, id: Id) => (type === 'tree' ? 't' : 'd') + id;

export class Repository {
  private readonly index = new BlobIndex();
  /** The packs the index lists (a few thousand ids even for a large repository). */
  private readonly indexedPacks = new Set<Id>();
  private readonly packers = new Map<BlobType, OpenPack>();
  /** Packs being opened (openPacker), one per type at most. */
  private readonly opening = new Map<BlobType, Promise<void>>();
  /** Blobs in packs not yet written. */
  private readonly pending = new Set<string>();
  /** Packs written since the last index file, their blob lists compact (blob-list.ts). */
  private unindexed: IndexPackSource[] = [];
  private unindexedBlobs = 0;
  /** Pack uploads in flight (at most MAX_PACK_WRITES): hashing and compressing go on meanwhile. */
  private writes: Promise<void>[] = [];
  /** The first failed pack write: every later save and the flush fail with it. */
  private writeError: unknown;
  private readonly compression: Compression;
  private readonly packSize: number;
  private readonly sealWorkers: number | undefined;
  private readonly tempDir: string | undefined;
  private pool: SealPool | undefined;
  /** Blobs being compressed and sealed (inline or in a worker). */
  private readonly sealing = new Set<Promise<void>>();
  /** Plaintext bytes accepted by queueBlob and not yet in a pack. */
  private sealingBytes = 0;
  /** queueBlob calls waiting for sealingBytes to go down. */
  private roomWaiters: (() => void)[] = [];
  readonly chunker: ChunkerTables;
  private readonly sealer: Sealer;

  private constructor(
    readonly backend: Backend,
    readonly key: MasterKey,
    readonly config: RepoConfig,
    options: RepositoryOptions,
  ) {
    this.compression = options.compression ?? zstd;
    this.packSize = options.packSize ?? DEFAULT_PACK_SIZE;
    this.sealWorkers = options.sealWorkers;
    this.tempDir = options.tempDir;
    this.chunker = chunkerTables(config.chunkerPolynomial);
    this.sealer = new Sealer(key);
  }

  /** Creates a new version 2 repository and returns it opened. */
  static async init(
    backend: Backend,
    password: string | Uint8Array,
    options: RepositoryOptions & { scrypt?: { N: number; r: number; p: number } } = {},
  ): Promise<Repository> {
    try {
      await backend.stat({ type: 'config', name: '' });
      throw new AlreadyExistsError(`A repository already exists at ${backend.location()}`);
    } catch (err) {
      if (!(err instanceof NotFoundError)) throw err;
    }
    const master = randomMasterKey();
    const keyFile = encodeKeyFile(await createKeyFile(password, master, whoAmI(), options.scrypt ?? DEFAULT_SCRYPT));
    const config = newRepoConfig(randomIrreducible53());
    await backend.create();
    await backend.save({ type: 'keys', name: hashId(keyFile) }, keyFile);
    await backend.save({ type: 'config', name: '' }, seal(master, encodeRepoConfig(config)));
    return new Repository(backend, master, config, options);
  }

  /**
   * Opens a repository with a password, trying every key file. Rejects with WrongPasswordError
   * when none opens, NoRepositoryError when there is no config; writes nothing.
   */
  static async open(backend: Backend, password: string | Uint8Array, options: RepositoryOptions = {}): Promise<Repository> {
    await backend.open();
    let sealedConfig: Uint8Array;
    try {
      sealedConfig = await backend.load({ type: 'config', name: '' });
    } catch (err) {
      if (err instanceof NotFoundError) throw new NoRepositoryError(`No repository at ${backend.location()} (no config file)`);
      throw err;
    }
    const keys = await backend.list('keys');
    for (const k of keys) {
      const keyFile = decodeKeyFile(await backend.load({ type: 'keys', name: k.name }));
      let master: MasterKey;
      try {
        master = await openKeyFile(password, keyFile);
      } catch (err) {
        if (err instanceof AuthenticationError) continue;
        throw err;
      }
      const config = decodeRepoConfig(open(master, sealedConfig));
      return new Repository(backend, master, config, options);
    }
    throw new WrongPasswordError(`Wrong password, or no key at ${backend.location()} opens with it`);
  }

  // ---- unpacked files -------------------------------------------------------------------------

  /** Saves a JSON document as an unpacked file (compressed in version 2); returns its id. */
  async saveUnpacked(type: 'snapshots' | 'index' | 'locks', json: Uint8Array): Promise<Id> {
    const stored = encodeUnpacked(this.key, json, this.config.version >= 2 ? this.compression : undefined);
    const id = hashId(stored);
    await this.backend.save({ type, name: id }, stored);
    return id;
  }

  /** The JSON document of an unpacked file, after checking that its content matches its name. */
  async loadUnpacked(type: 'snapshots' | 'index' | 'locks', id: Id): Promise<Uint8Array> {
    const stored = await this.backend.load({ type, name: id });
    if (hashId(stored) !== id) throw new Error(`${type}/${id} is damaged: its content hashes to ${hashId(stored)}`);
    return decodeUnpacked(this.key, stored, this.compression);
  }

  async list(type: Exclude<FileType, 'config'>): Promise<Id[]> {
    return (await this.backend.list(type)).map((f) => f.name);
  }

  // ---- index ----------------------------------------------------------------------------------

  /**
   * Loads every index file into memory: read by scanIndexFile (index-scan.ts) when in Go's exact
   * form, else by decodeIndexFile. The index is sized once from the first files' blobs per stored
   * byte and all the files' sizes, rather than grown step by step (a seventh of loading 1,000,000 blobs).
   */
  async loadIndex(): Promise<void> {
    const files = await this.backend.list('index');
    const storedBytes = files.reduce((sum, f) => sum + f.size, 0);
    let seenBytes = 0;
    let seenBlobs = 0;
    for (const f of files) {
      const json = await this.loadUnpacked('index', f.name);
      const scanned = scanIndexFile(json);
      if (scanned) {
        seenBlobs += scanned.blobs;
        seenBytes += f.size;
        if (seenBytes > 0) this.index.reserve(Math.ceil((seenBlobs / seenBytes) * storedBytes));
        for (const p of scanned.packs) this.indexedPacks.add(p);
        this.index.addScanned(scanned);
      } else {
        for (const p of decodeIndexFile(json).packs) this.addPackToIndex(p);
      }
    }
  }

  private addPackToIndex(p: IndexPack): void {
    this.indexedPacks.add(p.id);
    for (const b of p.blobs) this.index.add(p.id, b);
  }

  /** Whether an index (loaded, written or adopted) lists the pack. */
  hasPack(id: Id): boolean {
    return this.indexedPacks.has(id);
  }

  /**
   * Adds a complete pack that no index lists yet (one an interrupted backup saved) to the index:
   * its blobs are re-used, and the next flush writes an index file listing it.
   */
  adoptPack(pack: IndexPack): void {
    this.addPackToIndex(pack);
    this.unindexed.push({ id: pack.id, blobs: new BlobList(pack.blobs) });
  }

  lookup(type: BlobType, id: Id): BlobLocation | undefined {
    return this.index.get(type, id);
  }

  has(type: BlobType, id: Id): boolean {
    return this.index.has(type, id) || this.pending.has(blobKey(type, id));
  }

  /** Every blob the index knows. */
  *indexedBlobs(): IterableIterator<BlobLocation> {
    yield* this.index.values();
  }

  // ---- blobs ----------------------------------------------------------------------------------

  /**
   * Stores a blob unless the repository has it; returns its id and whether it was new, once it is
   * in a pack (not yet written). The blob is compressed when that makes it smaller (version 2),
   * encrypted, and added to the open pack of its type; full packs are written at once.
   */
  async saveBlob(type: BlobType, plaintext: Uint8Array, knownId?: Id): Promise<{ id: Id; saved: boolean; storedSize: number }> {
    let storedSize = 0;
    const r = await this.queueBlob(type, plaintext, (n) => (storedSize = n), knownId);
    if (r.done) {
      this.pool?.sendBatch();
      await r.done;
    }
    if (this.writeError !== undefined) throw this.writeError;
    return { id: r.id, saved: r.saved, storedSize };
  }

  /**
   * Like saveBlob, but resolves as soon as the blob's id is known and the blob is accepted:
   * compressing, sealing and packing go on in the background (`onStored` gets the stored size;
   * `done` settles then). So a caller (the archiver) goes on with the next file while the
   * workers seal, and many small blobs are sealed in one message to a worker. Memory stays
   * bounded: at most MAX_SEALING_BYTES of blobs are accepted and not yet packed, and no blob
   * joins a pack while MAX_PACK_WRITES packs are being written. A failure is kept and fails
   * every later save and the flush, like a failed pack write.
   *
   * Once the returned promise settles, the repository holds no reference to `blob` (it is
   * sealed, or copied for a worker): the caller may reuse the buffer (the archiver reads small
   * files into the same few buffers, so that their bytes are not garbage for V8 to collect).
   */
  async queueBlob(type: BlobType, blob: Uint8Array | readonly Uint8Array[], onStored?: (storedSize: number) => void, knownId?: Id): Promise<{ id: Id; saved: boolean; done?: Promise<void> }> {
    if (this.writeError !== undefined) throw this.writeError;
    // A blob may come in parts (a chunk spanning two reads): hashed part by part, and copied once,
    // into the message to a worker, rather than joined first and copied again.
    const parts = blob instanceof Uint8Array ? [blob] : blob;
    const id = knownId ?? hashId(...parts);
    if (this.has(type, id)) return { id, saved: false };
    const k = blobKey(type, id);
    this.pending.add(k);
    try {
      while (this.sealingBytes >= MAX_SEALING_BYTES && this.sealing.size > 0) {
        this.pool?.sendBatch(); // what we wait for may be in the batch not yet sent
        // Woken when any blob is packed. Not Promise.race over the blobs being sealed: that adds
        // a reaction to each of them (thousands of small blobs) at every wait.
        await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
      }
      if (this.writeError !== undefined) throw this.writeError;
    } catch (err) {
      this.pending.delete(k);
      throw err;
    }
    const pool = this.sealPool();
    let bytes = 0;
    for (const p of parts) bytes += p.length;
    const whole = () => (parts.length === 1 ? parts[0]! : Buffer.concat(parts, bytes));
    // Trees (small JSON) are sealed here, always compressed (seal-job.ts says why). Whatever the
    // way, the blob is sealed or copied before this returns (see above).
    const job = type === 'tree' || !pool
      ? this.sealHere(whole(), type === 'tree')
      : bytes >= OFFLOAD_MIN_BYTES
      ? pool.seal(parts)
      : pool.sealSmall(whole());
    this.sealingBytes += bytes;
    const done: Promise<void> = job
      .then(async ({ sealed, uncompressedLength }) => {
        while (this.writes.length >= MAX_PACK_WRITES && this.writeError === undefined) await Promise.race(this.writes);
        for (;;) {
          if (this.writeError !== undefined) throw this.writeError;
          const packer = this.packers.get(type);
          if (!packer) {
            await this.openPacker(type);
            continue;
          }
          // The pack file writes in the background (pack-file.ts); a disk slower than the sealing
          // holds back here, with a bounded amount of sealed blobs waiting.
          await packer.file.room();
          if (this.packers.get(type) === packer) break; // else it filled up meanwhile: the next one
        }
        this.addToPack(type, id, sealed, uncompressedLength);
        onStored?.(sealed.length);
      })
      .catch((err: unknown) => {
        this.writeError ??= err;
        this.pending.delete(k);
      })
      .finally(() => {
        this.sealing.delete(done);
        this.sealingBytes -= bytes;
        const waiters = this.roomWaiters.splice(0);
        for (const w of waiters) w(); // each looks again
      });
    this.sealing.add(done);
    return { id, saved: true, done };
  }

  /** sealBlob() on this thread, now; a failure is the promise's. */
  private sealHere(plaintext: Uint8Array, always: boolean): Promise<SealedBlob> {
    try {
      return Promise.resolve(sealBlob(this.sealer, plaintext, this.config.version >= 2 ? this.compression : undefined, always));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /**
   * Opens the next pack of `type` (resolves once `packers` has one): in the repository itself
   * when the backend can (Backend.createTemp), else in the temporary directory. One opening at a
   * time per type; every blob waiting for it shares it.
   */
  private openPacker(type: BlobType): Promise<void> {
    let opening = this.opening.get(type);
    if (!opening) {
      opening = this.newPackFile()
        .then((file) => {
          if (this.packers.has(type)) file.close(); // cannot happen: opened only when there is none
          else this.packers.set(type, { file, blobs: [] });
        })
        .finally(() => this.opening.delete(type));
      this.opening.set(type, opening);
    }
    return opening;
  }

  private async newPackFile(): Promise<PackFile> {
    if (this.backend.createTemp && this.backend.commitTemp) return PackFile.adopt(await this.backend.createTemp('data'));
    return this.createPackFile();
  }

  /** Adds a sealed blob to the open pack of its type (there is one: openPacker) and writes the pack when full. */
  private addToPack(type: BlobType, id: Id, sealed: Uint8Array, uncompressedLength: number | undefined): void {
    const packer = this.packers.get(type);
    if (!packer) throw new Error(`No open ${type} pack to add a blob to`);
    const blob: PackedBlob = { type, id, offset: packer.file.size, length: sealed.length };
    if (uncompressedLength !== undefined) blob.uncompressedLength = uncompressedLength;
    packer.file.append(sealed);
    packer.blobs.push(blob);
    if (packer.file.size >= this.packSize) {
      const write: Promise<void> = this.writePack(type).then(
        () => {
          this.writes = this.writes.filter((w) => w !== write);
        },
        (err: unknown) => {
          this.writeError ??= err;
          this.writes = this.writes.filter((w) => w !== write);
        },
      );
      this.writes.push(write);
    }
  }

  private async writePack(type: BlobType): Promise<void> {
    const packer = this.packers.get(type);
    if (!packer || packer.blobs.length === 0) return;
    this.packers.delete(type);
    const { id } = await savePackFile(this.backend, this.key, packer.file, packer.blobs);
    const pack = { id, blobs: packer.blobs };
    this.addPackToIndex(pack);
    for (const b of packer.blobs) this.pending.delete(blobKey(b.type, b.id));
    this.unindexed.push({ id, blobs: new BlobList(packer.blobs) });
    this.unindexedBlobs += pack.blobs.length;
    // A long backup writes index files as it goes (they may follow their packs at any time), so
    // the blob lists of the packs written so far are not all held until the end.
    if (this.unindexedBlobs >= BLOBS_PER_INDEX_FILE) await this.writeIndexFiles();
  }

  /** An empty unnamed file to assemble a pack in (pack-file.ts), in the repository's temporary directory. */
  createPackFile(): PackFile {
    return PackFile.create(this.tempDir);
  }

  /**
   * The worker threads that compress and seal large blobs (seal-pool.ts), started at the first
   * one; undefined when the repository compresses with an injected codec (tests) or workers
   * are turned off (sealWorkers: 0).
   */
  private sealPool(): SealPool | undefined {
    if (this.sealWorkers === 0 || this.compression !== zstd) return undefined;
    this.pool ??= new SealPool(this.key, this.config.version >= 2, this.sealWorkers);
    return this.pool;
  }

  /**
   * After a failed backup: waits for the blobs being sealed and the full packs being saved, then
   * drops the packs still open, so that none is left under a temporary name in the repository (a
   * local one assembles packs in place; pack-file.ts). Their blobs count as not stored again.
   */
  async dropOpenPacks(): Promise<void> {
    this.pool?.sendBatch();
    while (this.sealing.size > 0) await Promise.allSettled([...this.sealing]);
    // A full pack being saved closes its file when done, removing its temporary name if the save failed.
    await Promise.allSettled([...this.writes]);
    for (const p of this.packers.values()) {
      p.file.close();
      for (const b of p.blobs) this.pending.delete(blobKey(b.type, b.id));
    }
    this.packers.clear();
  }

  /** Ends the worker threads (they are unref'd: a process that forgets this still exits). */
  async close(): Promise<void> {
    // A backup that failed may leave blobs being sealed: a sealing thread terminated inside a zstd
    // call aborts the whole process ("terminate called after throwing an instance of
    // 'Napi::Error'", seen in a test of a failed backup), so they are waited for first.
    await this.dropOpenPacks();
    const pool = this.pool;
    this.pool = undefined;
    await pool?.close();
  }

  /** Writes the open packs and an index file listing every pack written since the last flush. */
  async flush(): Promise<void> {
    this.pool?.sendBatch();
    while (this.sealing.size > 0) await Promise.allSettled([...this.sealing]);
    await this.writePack('data');
    await this.writePack('tree');
    await Promise.all(this.writes);
    if (this.writeError !== undefined) throw this.writeError;
    await this.writeIndexFiles();
  }

  /** Writes index files listing the packs written since the last one. */
  private async writeIndexFiles(): Promise<void> {
    while (this.unindexed.length > 0) {
      const packs = this.unindexed.splice(0, PACKS_PER_INDEX_FILE);
      for (const p of packs) this.unindexedBlobs -= p.blobs.length;
      await this.saveUnpacked('index', encodeIndexFile({ supersedes: [], packs }));
    }
  }

  /** A blob's plaintext, checked against its id. */
  async loadBlob(type: BlobType, id: Id): Promise<Uint8Array> {
    const loc = this.lookup(type, id);
    if (!loc) throw new NotFoundError(`${type} blob ${id} is not in the index`);
    const sealed = await this.backend.load({ type: 'data', name: loc.pack }, loc.offset, loc.length);
    return openBlob(this.key, this.compression, id, loc, sealed);
  }

  /**
   * Whether blobs of this repository may be opened in worker threads (restore-pool.ts): they
   * decompress with the default zstd codec there, so not when a test injected another one.
   */
  get opensInWorkers(): boolean {
    return this.compression === zstd;
  }

  /** The blob list in a pack's own header (for check and index rebuilds). */
  async readPackHeader(packId: Id): Promise<PackedBlob[]> {
    const { size } = await this.backend.stat({ type: 'data', name: packId });
    const tail = await this.backend.load({ type: 'data', name: packId }, size - HEADER_LENGTH_SIZE, HEADER_LENGTH_SIZE);
    const headerLength = decodeHeaderLength(tail, size);
    const header = await this.backend.load({ type: 'data', name: packId }, size - HEADER_LENGTH_SIZE - headerLength, headerLength);
    return decodePackTrailer(this.key, header);
  }
}

export function whoAmI(): { username: string; hostname: string } {
  let username = '';
  try {
    username = userInfo().username;
  } catch {
    username = process.env.USER ?? '';
  }
  return { username, hostname: hostname() };
}

export { CRYPTO_OVERHEAD };
