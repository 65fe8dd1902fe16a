/**
 * Runs one hook process without a shell, in its own process group (setsid), with a time limit:
 * at the limit the whole group gets SIGTERM, and SIGKILL once the leader has gone or a grace
 * period has passed, so helpers a script started in the background die with it.
 */
import { spawn as nodeSpawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import type { RunAs } from '../check/script-security.js';
import type { Clock } from '../ports/index.js';
import { STARTED_PRIORITY, type ChildPriority } from '../util/child-priority.js';

export type { RunAs } from '../check/script-security.js';

export type SpawnFn = (command: string, args: readonly string[], options: SpawnOptions) => ChildProcess;

export interface HookProcessOptions {
  /** Program and arguments. */
  command: readonly string[];
  /** Switch to this user/group (only when it differs from ours; needs root). */
  runAs?: RunAs;
  timeoutMs: number;
  /** After SIGTERM at the time limit, how long before SIGKILL. */
  killGraceMs: number;
  /** stdout and stderr together are kept up to this many bytes; the rest is read and dropped. */
  outputBytes: number;
  env?: NodeJS.ProcessEnv;
  /** Aborting kills the group as a timeout does (daemon shutdown). */
  signal?: AbortSignal;
}

export type HookOutcome = 'exited' | 'signalled' | 'timeout' | 'aborted' | 'spawn-error';

export interface HookResult {
  outcome: HookOutcome;
  /** Exit status when the process exited by itself. */
  exitCode: number | null;
  /** The signal that ended it, if one did (SIGTERM/SIGKILL after a timeout). */
  signal: NodeJS.Signals | null;
  /** Killed at the time limit. */
  timedOut: boolean;
  durationMs: number;
  /** The first bytes of stdout and stderr as they arrived, trailing blanks trimmed. */
  output: string;
  /** Why the process could not be started (ENOENT, EACCES, EPERM...). */
  error?: string;
}

export interface HookProcessDeps {
  clock: Clock;
  spawn?: SpawnFn;
  /** Brings the hook back to the priority the daemon was started with. Default: unchanged. */
  childPriority?: ChildPriority;
}

/** After the leader exits, how long to wait for its pipes to close (a background child may hold them). */
const PIPE_DRAIN_MS = 100;

export function runHookProcess(options: HookProcessOptions, deps: HookProcessDeps): Promise<HookResult> {
  const spawn = deps.spawn ?? nodeSpawn;
  const started = deps.clock.now();
  const [program, ...args] = options.command;
  return new Promise<HookResult>((resolve) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    let timedOut = false;
    let aborted = false;
    let finished = false;
    let limitTimer: NodeJS.Timeout | undefined;
    let killTimer: NodeJS.Timeout | undefined;

    const done = (result: Omit<HookResult, 'durationMs' | 'output' | 'timedOut'>): void => {
      if (finished) return;
      finished = true;
      clearTimeout(limitTimer);
      clearTimeout(killTimer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve({
        ...result,
        timedOut,
        durationMs: deps.clock.now() - started,
        output: Buffer.concat(chunks).toString('utf8').trimEnd(),
      });
    };
    const spawnFailed = (err: unknown): void => {
      const code = (err as NodeJS.ErrnoException | undefined)?.code;
      done({ outcome: 'spawn-error', exitCode: null, signal: null, error: code ?? (err instanceof Error ? err.message : String(err)) });
    };

    let child: ChildProcess | undefined;
    const signalGroup = (signal: NodeJS.Signals): void => {
      if (child?.pid === undefined) return;
      try {
        process.kill(-child.pid, signal);
      } catch {
        // ESRCH: the group is already empty.
      }
    };
    const stop = (): void => {
      if (killTimer !== undefined) return;
      signalGroup('SIGTERM');
      killTimer = setTimeout(() => signalGroup('SIGKILL'), options.killGraceMs);
    };
    function onAbort(): void {
      aborted = true;
      stop();
    }

    if (options.signal?.aborted) {
      done({ outcome: 'aborted', exitCode: null, signal: null });
      return;
    }
    try {
      if (program === undefined || program === '') throw new TypeError('Empty command');
      // At the priority the daemon was started with, not its raised one (child-priority.ts).
      const [file, ...rest] = (deps.childPriority ?? STARTED_PRIORITY).command([program, ...args]);
      child = spawn(file as string, rest, {
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
        env: options.env ?? process.env,
        ...userOptions(options.runAs),
      });
    } catch (err) {
      spawnFailed(err);
      return;
    }
    const proc = child;

    limitTimer = setTimeout(() => {
      timedOut = true;
      stop();
    }, options.timeoutMs);
    options.signal?.addEventListener('abort', onAbort, { once: true });

    const collect = (chunk: Buffer): void => {
      if (kept >= options.outputBytes) return;
      const part = chunk.subarray(0, options.outputBytes - kept);
      chunks.push(part);
      kept += part.length;
    };
    proc.stdout?.on('data', collect);
    proc.stderr?.on('data', collect);

    // A failed start has no pid and no 'exit'; later errors (a failed kill) are not fatal.
    proc.on('error', (err) => {
      if (proc.pid === undefined) spawnFailed(err);
    });

    proc.on('exit', (code, signal) => {
      clearTimeout(limitTimer);
      // Sweep what is left of a killed group right away.
      if (timedOut || aborted) signalGroup('SIGKILL');
      const finish = (): void => {
        proc.stdout?.destroy();
        proc.stderr?.destroy();
        if (timedOut) done({ outcome: 'timeout', exitCode: code, signal });
        else if (aborted) done({ outcome: 'aborted', exitCode: code, signal });
        else if (signal !== null) done({ outcome: 'signalled', exitCode: null, signal });
        else done({ outcome: 'exited', exitCode: code, signal: null });
      };
      const drain = setTimeout(finish, PIPE_DRAIN_MS);
      proc.once('close', () => {
        clearTimeout(drain);
        finish();
      });
    });
  });
}

function userOptions(runAs: RunAs | undefined): { uid?: number; gid?: number } {
  if (runAs === undefined) return {};
  const out: { uid?: number; gid?: number } = {};
  // Switching to ourselves needs no privilege and would drop our supplementary groups.
  if (runAs.gid !== process.getgid?.() || runAs.uid !== process.getuid?.()) {
    out.uid = runAs.uid;
    out.gid = runAs.gid;
  }
  return out;
}
