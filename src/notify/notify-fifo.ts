/**
 * keepalived's notify FIFO (notify_fifo / vrrp_notify_fifo): one line per state change, written
 * in order to a named pipe that a consumer reads.
 *
 * Opened read-write and non-blocking, as keepalived does: on Linux that open never waits for a
 * reader, our own descriptor counts as a reader (so no SIGPIPE/EPIPE when nobody listens), lines
 * written before a reader arrives wait in the pipe, and a full pipe makes the write fail with
 * EAGAIN instead of blocking the daemon; that line is dropped and logged.
 */
import { execFile } from 'node:child_process';
import { constants, writeSync } from 'node:fs';
import { lstat, open, unlink, type FileHandle } from 'node:fs/promises';
import { promisify } from 'node:util';
import type { Logger } from '../ports/index.js';

/** What the dispatcher writes FIFO lines to. */
export interface NotifyFifoSink {
  write(line: string): void;
}

export class NotifyFifo implements NotifyFifoSink {
  private closed = false;
  private dropping = false;
  /** Lines dropped because the pipe was full. */
  dropped = 0;

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    /** We made the FIFO, so we remove it on close (keepalived does the same). */
    private readonly created: boolean,
    private readonly log: Logger,
  ) {}

  /**
   * Opens `path`, creating the FIFO (mode 0600) when nothing is there. Throws TypeError when the
   * path is something other than a FIFO; other failures keep their errno code.
   */
  static async open(path: string, log: Logger): Promise<NotifyFifo> {
    let created = false;
    try {
      const stat = await lstat(path);
      if (!stat.isFIFO()) throw new TypeError(`Notify FIFO "${path}" exists and is not a FIFO`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await promisify(execFile)('mkfifo', ['-m', '0600', '--', path]);
      created = true;
    }
    const handle = await open(path, constants.O_RDWR | constants.O_NONBLOCK);
    return new NotifyFifo(path, handle, created, log);
  }

  write(line: string): void {
    if (this.closed) return;
    try {
      // Lines are far below PIPE_BUF, so each write is atomic: all of it or EAGAIN.
      writeSync(this.handle.fd, line);
      if (this.dropping) {
        this.dropping = false;
        this.log.log('info', 'notify FIFO accepts lines again', { path: this.path, dropped: this.dropped });
      }
    } catch (err) {
      this.dropped++;
      if (!this.dropping) {
        this.dropping = true;
        this.log.log('warn', 'notify FIFO line dropped (is its reader keeping up?)', {
          path: this.path,
          error: (err as NodeJS.ErrnoException).code ?? String(err),
        });
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.handle.close();
    if (this.created) await unlink(this.path).catch(() => undefined);
  }
}
