/**
 * What the repository needs from a storage backend (declared here, by its consumer, as restic's
 * internal/restic.Backend is). Implementations: backend/local.ts (a directory, e.g. on a removable
 * disk), backend/sftp.ts, backend/s3.ts and backend/memory.ts (tests); all pass test/backup/support/backend-suite.ts.
 *
 * Files are named by type and name (design.rst, "Repository Layout"): `config`, `keys/<id>`,
 * `snapshots/<id>`, `index/<id>`, `locks/<id>`, and packs under `data/<first two hex digits>/<id>`.
 */

export type FileType = 'config' | 'keys' | 'snapshots' | 'index' | 'locks' | 'data';

export const FILE_TYPES: readonly FileType[] = ['config', 'keys', 'snapshots', 'index', 'locks', 'data'];

export interface Handle {
  type: FileType;
  /** The file's name: its id, or '' for the config file. */
  name: string;
}

export interface FileInfo {
  name: string;
  size: number;
}

/** A file that does not exist. Callers are expected to catch it (e.g. "no config: not a repository"). */
/**
 * A leftover of an interrupted save: the temporary name a save writes before renaming it
 * (`<final name>-tmp-<random>`, restic's local and sftp backends use the same suffix), in the
 * directory of the file it was to become.
 */
export interface TempFileInfo {
  /** The type of the file it was to become (its directory). */
  type: FileType;
  name: string;
  size: number;
  /** Last modified, epoch ms: a live writer keeps touching its file. */
  modifiedMs: number;
}

/** A file's content read in pieces (a pack assembled in a temporary file: never whole in memory). */
export interface Source {
  size: number;
  /** The content in order; a piece is valid only until the next is asked for. */
  pieces(): AsyncIterable<Uint8Array>;
}

/**
 * A file being written in the repository itself under a temporary name (see Backend.createTemp):
 * an open descriptor and the name, which listTemporary() shows if the process dies before
 * commitTemp().
 */
export interface TempFile {
  fd: number;
  path: string;
  /** Its directory, for messages. */
  dir: string;
}

export class NotFoundError extends Error {
  override name = 'NotFoundError';
}

/** A save of a file that is already there: files are written once. */
export class AlreadyExistsError extends Error {
  override name = 'AlreadyExistsError';
}

export interface Backend {
  /** Where the repository is, for messages. */
  location(): string;

  /**
   * Creates the repository's layout. Fails if a config file is already there. Must not create
   * anything when the location is unusable (e.g. a mount point with nothing mounted on it).
   */
  create(): Promise<void>;

  /**
   * Checks that the location is usable for an existing repository (e.g. mounted), before
   * anything is read or written.
   */
  open(): Promise<void>;

  /**
   * Stores `data` under `h` atomically: readers see the whole file or none of it, and once the
   * promise resolves the file is durable. A file is written once: saving a name that exists
   * rejects with AlreadyExistsError and leaves the existing file as it was.
   */
  save(h: Handle, data: Uint8Array): Promise<void>;

  /**
   * Optional: save() from a Source, with the same guarantees, holding only a piece at a time
   * in memory. A backend without it gets the content whole through save().
   */
  saveFrom?(h: Handle, source: Source): Promise<void>;

  /**
   * Optional, with commitTemp: a new, empty file in the repository under a temporary name
   * (`<two hex digits>-tmp-<random>` in a `data/` subdirectory, as listTemporary() expects), so
   * that a pack is assembled where it is to stay and given its name once its id is known: its
   * bytes are written once, not to $TMPDIR and then again into the repository (a local backend).
   * The caller writes through `fd`, closes it, and removes `path` itself if it does not commit.
   */
  createTemp?(type: 'data'): Promise<TempFile>;

  /**
   * Gives a file from createTemp() the name `h`, with save()'s guarantees: once the promise
   * resolves the file is durable under its final name (its data synced first, then the name,
   * then the directory), and an existing file of that name is not replaced (AlreadyExistsError).
   * The temporary name is gone afterwards; `fd` stays open (the caller closes it).
   */
  commitTemp?(h: Handle, temp: TempFile): Promise<void>;

  /**
   * Reads `length` bytes at `offset` (length 0: to the end). Rejects with NotFoundError when the
   * file does not exist, and with RangeError when the range goes past its end.
   */
  load(h: Handle, offset?: number, length?: number): Promise<Uint8Array>;

  /**
   * Optional: a path on this machine at which the file can be read directly (a local backend),
   * so that another thread of this process reads it without a round trip through this object.
   * The file is not checked for existence.
   */
  localPath?(h: Handle): string;

  /** The file's size; NotFoundError when it does not exist. */
  stat(h: Handle): Promise<FileInfo>;

  /** Removes a file; removing one that does not exist is not an error (idempotent). */
  remove(h: Handle): Promise<void>;

  /** Every file of a type (not 'config'), in no particular order. */
  list(type: Exclude<FileType, 'config'>): Promise<FileInfo[]>;

  /**
   * The temporary files of saves in progress or interrupted, of every type (list() never shows
   * them). A backend whose saves are a single request (S3) has none.
   */
  listTemporary(): Promise<TempFileInfo[]>;

  /** Removes one temporary file listTemporary() gave; one already gone is not an error. */
  removeTemporary(f: TempFileInfo): Promise<void>;

  /** Releases resources; the backend is not used afterwards. */
  close(): Promise<void>;
}
