/**
 * Running PostgreSQL's programs (initdb, pg_ctl, pg_basebackup, pg_rewind, pg_controldata) as the
 * cluster's system user, with the operation's AbortSignal: on abort the program's whole process
 * group is killed (SIGKILL), so a hung pg_basebackup or pg_ctl never outlives its operation.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { STARTED_PRIORITY, type ChildPriority } from '../../util/child-priority.js';

export interface RunAs {
  readonly uid: number;
  readonly gid: number;
}

export interface CommandResult {
  readonly stdout: string;
  readonly stderr: string;
}

export class CommandFailed extends Error {
  constructor(
    readonly program: string,
    readonly exitCode: number | null,
    readonly stderr: string,
    signal: NodeJS.Signals | null,
  ) {
    const how = signal !== null ? `was killed by ${signal}` : `exited with ${exitCode}`;
    const said = stderr.trim().split('\n').slice(-3).join(' / ');
    super(`${program} ${how}${said !== '' ? `: ${said}` : ''}`);
    this.name = 'CommandFailed';
  }
}

export interface PgPrograms {
  /** Runs `program` from binDir; rejects with CommandFailed, or with the abort reason once aborted. */
  run(program: string, args: readonly string[], signal: AbortSignal, env?: Record<string, string>): Promise<CommandResult>;
}

export function pgPrograms(binDir: string, runAs: RunAs, baseEnv: Record<string, string> = {}, childPriority?: ChildPriority): PgPrograms {
  return {
    run(program, args, signal, env = {}) {
      return runCommand(join(binDir, program), args, { runAs, signal, env: { ...baseEnv, ...env }, ...(childPriority ? { childPriority } : {}) });
    },
  };
}

export interface RunOptions {
  readonly runAs?: RunAs;
  readonly signal: AbortSignal;
  readonly env?: Record<string, string>;
  /** The priority the program runs at (src/util/child-priority.ts); default unchanged. */
  readonly childPriority?: ChildPriority;
}

/** Spawns in its own process group (detached) so that an abort kills it and every child it forked. */
export function runCommand(path: string, args: readonly string[], options: RunOptions): Promise<CommandResult> {
  const { signal } = options;
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => {
    // At the priority the daemon was started with (child-priority.ts): pg_ctl starts the server.
    const [file, ...rest] = (options.childPriority ?? STARTED_PRIORITY).command([path, ...args]);
    const child = spawn(file as string, rest, {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: '/',
      env: { PATH: '/usr/bin:/bin', LANG: 'C.UTF-8', LC_ALL: 'C.UTF-8', ...options.env },
      ...(options.runAs !== undefined ? { uid: options.runAs.uid, gid: options.runAs.gid } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout = capped(stdout + chunk)));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr = capped(stderr + chunk)));
    const name = path.split('/').pop() ?? path;
    const onAbort = (): void => {
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      reject(abortError(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    child.on('error', (error) => {
      signal.removeEventListener('abort', onAbort);
      reject(new Error(`Cannot run ${path}: ${error.message}`));
    });
    child.on('close', (code, killedBy) => {
      signal.removeEventListener('abort', onAbort);
      if (code === 0) resolve({ stdout, stderr });
      else reject(new CommandFailed(name, code, stderr || stdout, killedBy));
    });
  });
}

export function abortError(signal: AbortSignal): Error {
  const reason: unknown = signal.reason;
  if (reason instanceof Error) return reason;
  return new Error(typeof reason === 'string' ? reason : 'Operation aborted');
}

function capped(text: string): string {
  return text.length > 64_000 ? text.slice(-64_000) : text;
}
