/**
 * Running the lab's helper commands (ip, bridge, sysctl, …) and reporting failures with the
 * command line and its stderr, so a broken lab says what went wrong.
 */
import { execFileSync, spawn } from 'node:child_process';

export interface CommandResult {
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Text written to the command's stdin (then closed). */
  input?: string;
  /** Kill the command (SIGKILL) and fail after this long; default 30 s. */
  timeoutMs?: number;
}

/** A command that exited non-zero, was killed, or could not start. */
export class CommandError extends Error {
  constructor(
    readonly command: readonly string[],
    readonly exitCode: number | null,
    readonly stdout: string,
    readonly stderr: string,
    reason: string,
  ) {
    super(`Command '${command.join(' ')}' ${reason}${stderr.trim() ? `: ${stderr.trim()}` : ''}`);
    this.name = 'CommandError';
  }
}

/** Runs a command to completion; resolves with its output, rejects with CommandError. */
export function run(command: readonly string[], options: RunOptions = {}): Promise<CommandResult> {
  const [file, ...args] = command;
  if (file === undefined) return Promise.reject(new TypeError('Command is empty'));
  const timeoutMs = options.timeoutMs ?? 30_000;
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
    child.stdin.on('error', () => {
      /* the command may exit without reading its input; the exit status tells */
    });
    child.stdin.end(options.input ?? '');
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new CommandError(command, null, '', '', `could not start (${error.message})`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (code === 0) resolve({ stdout, stderr });
      else if (timedOut) reject(new CommandError(command, code, stdout, stderr, `timed out after ${timeoutMs} ms`));
      else if (signal) reject(new CommandError(command, code, stdout, stderr, `was killed by ${signal}`));
      else reject(new CommandError(command, code, stdout, stderr, `exited with status ${code}`));
    });
  });
}

/**
 * Synchronous variant for the exit handler, where no event loop is left. Returns stdout, or
 * undefined when the command failed (cleanup goes on with the next step regardless).
 */
export function runSyncQuietly(command: readonly string[]): string | undefined {
  const [file, ...args] = command;
  if (file === undefined) return undefined;
  try {
    return execFileSync(file, args, { stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000 }).toString('utf8');
  } catch {
    return undefined;
  }
}

/** The command line that runs `command` inside network namespace `ns`. */
export function inNamespace(ns: string, command: readonly string[]): string[] {
  return ['ip', 'netns', 'exec', ns, ...command];
}
