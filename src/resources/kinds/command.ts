/**
 * Running a program for a resource operation: no shell, its own process group, killed (SIGTERM,
 * then SIGKILL) when the operation's signal aborts — the notify hooks' runner
 * (src/notify/hook-process.ts), with the user resolved like exec checks and notify scripts.
 */
import { checkScriptSecurity, resolveScriptUser, type RunAs } from '../../check/script-security.js';
import { EXEC_ENVIRONMENT } from '../../check/exec-probe.js';
import { runHookProcess } from '../../notify/hook-process.js';
import type { Clock } from '../../ports/index.js';
import type { ChildPriority } from '../../util/child-priority.js';

export interface CommandResult {
  exitCode: number;
  /** stdout and stderr together, first 4 KiB, trailing blanks trimmed. */
  output: string;
}

/** Runs a command to its end; rejects when it cannot start, is killed, or the signal aborts. */
export type CommandRunner = (command: readonly string[], options: { signal: AbortSignal; env?: Record<string, string> }) => Promise<CommandResult>;

export interface RunAsUser {
  readonly user?: string;
  readonly group?: string;
}

const OUTPUT_BYTES = 4096;
const KILL_GRACE_MS = 1000;
/** The signal is the limit; this only bounds a runner whose signal never fires. */
const BACKSTOP_MS = 24 * 3600_000;

/**
 * The real runner: as `runAs` (resolved once; keepalived's script user rules when unset), at
 * `childPriority` (the priority the daemon was started with; default unchanged).
 */
export function processRunner(clock: Clock, runAs: RunAsUser = {}, childPriority?: ChildPriority): CommandRunner {
  let ids: Promise<RunAs> | undefined;
  return async (command, { signal, env }) => {
    ids ??= resolveScriptUser(runAs.user, runAs.group).catch((err: unknown) => {
      ids = undefined;
      throw err;
    });
    const result = await runHookProcess(
      { command, runAs: await ids, timeoutMs: BACKSTOP_MS, killGraceMs: KILL_GRACE_MS, outputBytes: OUTPUT_BYTES, env: { ...EXEC_ENVIRONMENT, ...env }, signal },
      { clock, ...(childPriority ? { childPriority } : {}) },
    );
    const program = command[0] ?? '';
    if (result.outcome === 'spawn-error') throw new Error(`cannot run ${program}: ${result.error ?? 'unknown error'}`);
    if (result.outcome === 'aborted' || signal.aborted) throw signal.reason instanceof Error ? signal.reason : new Error(`${program} aborted`);
    if (result.outcome !== 'exited' || result.exitCode === null) throw new Error(`${program} killed by ${result.signal ?? 'a signal'}${tail(result.output)}`);
    return { exitCode: result.exitCode, output: result.output };
  };
}

/** Runs and insists on exit status 0. */
export async function runChecked(run: CommandRunner, command: readonly string[], options: { signal: AbortSignal; env?: Record<string, string> }): Promise<CommandResult> {
  const result = await run(command, options);
  if (result.exitCode !== 0) throw new Error(`${command.join(' ')} exited with status ${result.exitCode}${tail(result.output)}`);
  return result;
}

/** keepalived's script security for a command run as `runAs` (script user rules when unset); throws naming the problem. */
export async function checkCommand(command: readonly string[], runAs: RunAsUser, enforce: boolean): Promise<void> {
  const ids = await resolveScriptUser(runAs.user, runAs.group);
  await checkScriptSecurity(command, ids, { enforce });
}

function tail(output: string): string {
  const last = output.split('\n').filter((l) => l.trim() !== '').slice(-3).join(' / ');
  return last === '' ? '' : `: ${last}`;
}
