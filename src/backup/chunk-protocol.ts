/** The messages between chunk-pool.ts and its threads (chunk-worker.ts). */

export interface ChunkWorkerData {
  /** The repository's chunker polynomial (config's chunker_polynomial). */
  polynomial: bigint;
  /** Bytes a read (after the first, sized by lstat). */
  readSize: number;
  /** Tests only: a read that would reach this byte fails as a disk error would (EIO). */
  failReadAt?: number;
}

/** Chunk the file at `path` (as fsPath() gives it: bytes for a name that is not UTF-8). */
export interface FileJob {
  type: 'file';
  seq: number;
  path: string | Uint8Array;
  /** lstat's size: sizes the first read, and a short read at or past it is the end. */
  expectedSize: number;
  /** Pieces the worker may post before the first Ack. */
  credit: number;
}

/** The main thread is done with this many pieces of file `seq`: the worker may read as many more. */
export interface Ack {
  type: 'ack';
  seq: number;
  pieces: number;
}

/** Stop reading file `seq` (the backup failed): the worker ends it with a FileEnd. */
export interface Cancel {
  type: 'cancel';
  seq: number;
}

export type ToChunkWorker = FileJob | Ack | Cancel;

/**
 * One read of file `seq`, in file order: `cuts` are the offsets in `piece` where a chunk ends (the
 * chunk being the bytes since the previous cut, in this piece or earlier ones), `ids` their ids.
 */
export interface ChunkedPiece {
  type: 'piece';
  seq: number;
  piece: Uint8Array;
  cuts: number[];
  ids: string[];
}

/**
 * The end of file `seq`: its length as read, and the id of its last chunk (the bytes after the
 * last cut; none when the file is empty or ends at a cut); or the error that stopped it.
 */
export interface FileEnd {
  type: 'end';
  seq: number;
  size: number;
  lastId?: string;
  error?: string;
  /** The errno name of the error ("ENOENT": removed since the walk's scan, archiver.ts). */
  code?: string;
}

export type FromChunkWorker = ChunkedPiece | FileEnd;
