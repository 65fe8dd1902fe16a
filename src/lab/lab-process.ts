/**
 * A process the lab started inside a namespace: its stdout and stderr go to a log file (and to
 * line listeners), it dies with the test process (parent-death signal through setpriv), and
 * stop() ends it with a signal and waits, escalating to SIGKILL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { inNamespace } from './shell.js';

export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export type OutputStream = 'stdout' | 'stderr';
export type LineListener = (line: string, stream: OutputStream) => void;

export interface LabProcessOptions {
  /** Short label used in messages. */
  name: string;
  ns: string;
  command: readonly string[];
  logPath: string;
  /** 'pipe' lets write() send text to the process; default 'ignore'. */
  stdin?: 'ignore' | 'pipe';
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  /**
   * Its own session (setsid), as systemd starts a service: with autogroup scheduling (sched(7))
   * the session is what shares the CPU with the others, and a daemon sets its session's priority
   * only when it leads one (src/daemon/process-priority.ts).
   */
  ownSession?: boolean;
}

export interface StopOptions {
  /** How long to wait after `signal` before SIGKILL; default 10 s. */
  timeoutMs?: number;
}

/** Lines kept in memory for waitForLine (the log file keeps everything). */
const RECENT_LINE_LIMIT = 5000;

export class LabProcess {
  readonly name: string;
  readonly ns: string;
  readonly command: readonly string[];
  readonly logPath: string;
  readonly pid: number;
  /** Resolves once the process has exited and its output is in the log file. */
  readonly exited: Promise<ProcessExit>;

  private readonly child: ChildProcess;
  private readonly log: WriteStream;
  private readonly listeners = new Set<LineListener>();
  private readonly recentLines: string[] = [];
  private exitStatus: ProcessExit | undefined;

  constructor(options: LabProcessOptions) {
    this.name = options.name;
    this.ns = options.ns;
    this.command = [...options.command];
    this.logPath = options.logPath;
    this.log = createWriteStream(options.logPath, { flags: 'a' });
    this.log.write(`# ${new Date().toISOString()} in ${options.ns}: ${options.command.join(' ')}\n`);
    // setpriv's parent-death signal ends the process when the test process dies without cleanup.
    const [file, ...args] = inNamespace(options.ns, ['setpriv', '--pdeathsig', 'KILL', '--', ...options.command]);
    this.child = spawn(file as string, args, {
      stdio: [options.stdin ?? 'ignore', 'pipe', 'pipe'],
      env: options.env ?? process.env,
      cwd: options.cwd,
      // setsid() in the child before it runs ip; ip, setpriv and the program exec, keeping the pid.
      detached: options.ownSession === true,
    });
    if (this.child.pid === undefined) {
      // spawn reports the failure asynchronously; the pid is missing only when it cannot start.
      this.pid = -1;
    } else {
      this.pid = this.child.pid;
    }
    this.follow(this.child.stdout, 'stdout');
    this.follow(this.child.stderr, 'stderr');
    this.child.stdin?.on('error', () => {
      /* a process that exited cannot read; its exit status is what matters */
    });
    this.exited = new Promise<ProcessExit>((resolve) => {
      const settle = (status: ProcessExit, note: string): void => {
        if (this.exitStatus) return;
        this.exitStatus = status;
        this.log.end(`# ${new Date().toISOString()} ${note}\n`, () => resolve(status));
      };
      this.child.on('error', (error) => {
        // Without a pid it never ran, and no 'close' is certain to follow.
        if (this.child.pid === undefined) settle({ code: null, signal: null }, `could not start: ${error.message}`);
      });
      this.child.on('close', (code, signal) => settle({ code, signal }, `exited: code ${code} signal ${signal}`));
      // 'close' waits for the output pipes, which a grandchild may hold open forever; after the
      // exit itself, give the output a moment to arrive and settle regardless.
      this.child.on('exit', (code, signal) => {
        setTimeout(() => settle({ code, signal }, `exited: code ${code} signal ${signal} (output still open)`), 2000).unref();
      });
    });
  }

  /** The exit status once the process has ended, otherwise undefined. */
  get exit(): ProcessExit | undefined {
    return this.exitStatus;
  }

  get running(): boolean {
    return this.exitStatus === undefined;
  }

  /** Writes to the process's stdin (only with `stdin: 'pipe'`). */
  write(text: string): void {
    if (!this.child.stdin) throw new TypeError(`Process '${this.name}' was started without a stdin pipe`);
    this.child.stdin.write(text);
  }

  onLine(listener: LineListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Resolves with the first output line (already seen or still to come) that matches; rejects
   * when the process exits first or after timeoutMs.
   */
  waitForLine(pattern: RegExp, timeoutMs = 10_000): Promise<string> {
    const seen = this.recentLines.find((line) => pattern.test(line));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const finish = (error: Error | undefined, line?: string): void => {
        clearTimeout(timer);
        unsubscribe();
        if (error) reject(error);
        else resolve(line as string);
      };
      const unsubscribe = this.onLine((line) => {
        if (pattern.test(line)) finish(undefined, line);
      });
      const timer = setTimeout(
        () => finish(new Error(`Process '${this.name}' printed no line matching ${pattern} within ${timeoutMs} ms (log: ${this.logPath})`)),
        timeoutMs,
      );
      void this.exited.then((status) => {
        const line = this.recentLines.find((l) => pattern.test(l));
        if (line !== undefined) finish(undefined, line);
        else finish(new Error(`Process '${this.name}' exited (code ${status.code}, signal ${status.signal}) before printing a line matching ${pattern} (log: ${this.logPath})`));
      });
    });
  }

  /** Sends `signal`, waits for the exit, and sends SIGKILL when it takes longer than timeoutMs. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', options: StopOptions = {}): Promise<ProcessExit> {
    if (this.exitStatus) return this.exitStatus;
    this.child.kill(signal);
    const timeoutMs = options.timeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), timeoutMs);
    });
    const first = await Promise.race([this.exited, late]);
    clearTimeout(timer);
    if (first === 'late') this.child.kill('SIGKILL');
    return this.exited;
  }

  /** Synchronous SIGKILL, for the exit handler. */
  killNow(): void {
    if (this.exitStatus === undefined) this.child.kill('SIGKILL');
  }

  async readLog(): Promise<string> {
    return readFile(this.logPath, 'utf8');
  }

  private follow(stream: NodeJS.ReadableStream | null, name: OutputStream): void {
    if (!stream) return;
    let partial = '';
    stream.on('data', (chunk: Buffer) => {
      if (!this.log.writableEnded) this.log.write(chunk);
      const text = partial + chunk.toString('utf8');
      const lines = text.split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) this.deliver(line, name);
    });
    stream.on('end', () => {
      if (partial) this.deliver(partial, name);
      partial = '';
    });
  }

  private deliver(line: string, stream: OutputStream): void {
    this.recentLines.push(line);
    if (this.recentLines.length > RECENT_LINE_LIMIT) this.recentLines.shift();
    for (const listener of [...this.listeners]) listener(line, stream);
  }
}
