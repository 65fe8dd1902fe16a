/**
 * The daemon's side of a backup worker process (worker.ts).
 *
 * Why a child process, not a worker thread: the VRRP timers must not suffer. A run reads and
 * hashes every changed byte, compresses and encrypts it, and writes packs; in a thread those file
 * reads, writes and the scrypt of opening a repository would queue on the libuv thread pool the
 * daemon's own file operations use (4 threads), its heap would grow the daemon's RSS by a large
 * repository's index, and it could only be stopped between JavaScript calls (a zstd or scrypt
 * call runs to its end). A process has its own thread pool and heap, runs at a lower CPU priority
 * (nice 10), and a role change or an abort stops it at once with SIGKILL to its process group
 * (which takes a source command such as pg_basebackup along). Compression and encryption may
 * still use threads inside the worker.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../../ports/index.js';
import { STARTED_PRIORITY, type ChildPriority } from '../../util/child-priority.js';
import type { Progress, WorkerMessage, WorkerRequest } from './protocol.js';

type Request = WorkerRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

export interface RequestHandlers {
  onProgress?: (p: Progress) => void;
  /** A download's bytes; the next chunk comes once the returned promise resolves. */
  onChunk?: (data: Buffer) => Promise<void>;
}

/** The worker died or was killed before answering. */
export class WorkerGoneError extends Error {
  override name = 'WorkerGoneError';
}

const NICE = 10;

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  handlers: RequestHandlers;
}

/**
 * A backup allocates many short-lived objects (a tree node per file) and V8 grows the young
 * generation to 16 MB a semi-space for them; 2 MB took some 12 MB less resident memory on the
 * bench's 20,000-file set at the same CPU time (measured three times each), and 4 MB less CPU
 * still than either (the figures are with BACKUP_NODE_FLAGS, src/backup/node-flags.ts, which
 * the CLI uses too). Only node's command line can set it.
 */
export const WORKER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4'];

export class WorkerProcess {
  private readonly child: ChildProcess;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private exited = false;
  readonly exit: Promise<void>;

  /** `priority`: how the daemon's children get their priority (it asks for NICE); default unchanged. */
  constructor(log: Logger, name: string, priority: ChildPriority = STARTED_PRIORITY) {
    // nice(1) sets NICE before node starts its threads (a nice value is per thread: setpriority
    // on the pid after spawn would leave V8's threads at the daemon's -10). child-priority.ts.
    const [file, ...args] = priority.command([process.execPath, ...WORKER_NODE_FLAGS, fileURLToPath(new URL('./worker-main.js', import.meta.url))], NICE);
    this.child = spawn(file as string, args, {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
      detached: true, // its own process group: kill() takes a source command along
    });
    let stderr = '';
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (s: string) => {
      stderr += s;
      const lines = stderr.split('\n');
      stderr = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) log.log('warn', `backup worker ${name}: ${line}`);
    });
    this.child.on('message', (m: WorkerMessage) => this.received(m));
    this.exit = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        this.exited = true;
        for (const p of this.pending.values()) p.reject(new WorkerGoneError(`The backup worker ended (${signal ?? `exit ${code}`}) before finishing`));
        this.pending.clear();
        resolve();
      });
      this.child.on('error', (err) => log.log('error', `backup worker ${name} failed to start`, { error: err.message }));
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get alive(): boolean {
    return !this.exited;
  }

  /** Requests in flight. */
  get busy(): number {
    return this.pending.size;
  }

  request<T>(req: Request, handlers: RequestHandlers = {}): Promise<T> {
    if (this.exited) return Promise.reject(new WorkerGoneError('The backup worker has ended'));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, handlers });
      this.child.send({ ...req, id } as WorkerRequest, (err) => {
        if (err && this.pending.delete(id)) reject(new WorkerGoneError(`The backup worker cannot be reached: ${err.message}`));
      });
    });
  }

  private received(m: WorkerMessage): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    switch (m.type) {
      case 'progress':
        p.handlers.onProgress?.(m.progress);
        return;
      case 'chunk': {
        const done = p.handlers.onChunk?.(Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength)) ?? Promise.resolve();
        void done.then(() => {
          if (!this.exited && this.child.connected) this.child.send({ op: 'ack', id: m.id });
        }, () => this.kill());
        return;
      }
      case 'done':
        this.pending.delete(m.id);
        p.resolve(m.result);
        return;
      case 'failed':
        this.pending.delete(m.id);
        p.reject(Object.assign(new Error(m.error), { name: m.name }));
        return;
    }
  }

  /** SIGKILL to the worker's process group (the worker and a source command it started). */
  kill(): void {
    if (this.exited || this.child.pid === undefined) return;
    try {
      process.kill(-this.child.pid, 'SIGKILL');
    } catch {
      this.child.kill('SIGKILL');
    }
  }

  /** Ends the worker (its channel closes; it exits) and waits. */
  async close(): Promise<void> {
    if (this.exited) return;
    this.kill();
    await this.exit;
  }
}
