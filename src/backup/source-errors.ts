/**
 * Errors reading the backup's source (a directory that cannot be listed, a file that cannot be
 * opened or read), as opposed to errors of the repository or its backend. restic 0.14 reports
 * the former per path, leaves the entry out of the snapshot and goes on ("error: open /x:
 * permission denied", exit code 3: "snapshot created but some source data could not be read");
 * the latter still fail the backup.
 */
export class SourceReadError extends Error {
  /** The errno name ("EACCES", "EIO"), when the system gave one. */
  readonly code: string | undefined;

  constructor(
    /** The entry's path as the archiver names it. */
    readonly path: string,
    cause: unknown,
  ) {
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    const detail = cause instanceof Error ? cause.message : String(cause);
    super(`${path}: ${detail}`, { cause });
    this.name = 'SourceReadError';
    this.code = typeof code === 'string' ? code : undefined;
  }
}

/** `fn`'s result; an error it throws becomes a SourceReadError of `path`. */
export async function readingSource<T>(path: string, fn: () => Promise<T> | T): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw err instanceof SourceReadError ? err : new SourceReadError(path, err);
  }
}

/** One entry left out of a snapshot: what a summary and a job's result list. */
export interface SkippedEntry {
  path: string;
  code?: string;
  message: string;
}

export function skippedEntry(err: SourceReadError): SkippedEntry {
  return { path: err.path, ...(err.code ? { code: err.code } : {}), message: err.message };
}
