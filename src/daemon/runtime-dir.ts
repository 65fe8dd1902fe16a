/**
 * The runtime directory: one daemon per directory, claimed with a pid file. The control socket
 * lives here, and so does anything a restarted daemon must find again (e.g. a record of the
 * addresses it added): name such files through file().
 */
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { processAlive } from '../util/process-alive.js';

export const PID_FILE_NAME = 'hotstandby.pid';

export interface RuntimeDir {
  readonly path: string;
  /** A file in the directory. */
  file(name: string): string;
  /** Removes the pid file. */
  close(): Promise<void>;
}

/** Claims `path`: a live pid in its pid file means another daemon owns it (an Error names it). */
export async function claimRuntimeDir(path: string): Promise<RuntimeDir> {
  await mkdir(path, { recursive: true, mode: 0o755 });
  const pidFile = join(path, PID_FILE_NAME);
  const previous = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim());
  if (Number.isInteger(previous) && previous > 0 && previous !== process.pid && processAlive(previous)) {
    throw new Error(`another hotstandby (pid ${previous}) is running with runtime directory ${path}`);
  }
  await writeFile(pidFile, `${process.pid}\n`, { mode: 0o644 });
  return {
    path,
    file: (name) => join(path, name),
    close: () => rm(pidFile, { force: true }),
  };
}
