/**
 * exec check (keepalived vrrp_script): runs a program without a shell; exit status 0 is healthy.
 * The program gets its own process group (detached) so a timeout can end everything it started:
 * SIGTERM to the group, SIGKILL after a grace period if anything is left. Output (stdout and
 * stderr together) is kept up to a bound and shown in the detail.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import type { ExecCheckConfig } from '../config/check-model.js';
import { STARTED_PRIORITY, type ChildPriority } from '../util/child-priority.js';
import { abortedDetail, describeError, printable, type Probe, type ProbeResult, type ProbeTime } from './probe.js';
import type { UserResolver } from './user-resolver.js';

export const EXEC_OUTPUT_LIMIT = 4096;
export const EXEC_KILL_GRACE_MS = 1000;
/** After the program exits, how long to wait for the rest of its output (a grandchild may hold the pipe). */
const OUTPUT_DRAIN_MS = 100;

/** The environment every check program gets: nothing inherited from the daemon. */
export const EXEC_ENVIRONMENT: Readonly<Record<string, string>> = Object.freeze({
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  LANG: 'C',
  HOME: '/',
});

export type ExecProbeConfig = Pick<ExecCheckConfig, 'command' | 'user' | 'group' | 'timeoutMs'>;

export interface ExecProbeOptions {
  users: UserResolver;
  /** Between SIGTERM and SIGKILL of a timed-out program's group. Default 1000 ms. */
  killGraceMs?: number;
  /** Output bytes kept for the detail. Default 4096. */
  outputLimit?: number;
  /** Extra variables on top of EXEC_ENVIRONMENT. */
  environment?: Record<string, string>;
  /** Brings the program back to the priority the daemon was started with. Default: unchanged. */
  childPriority?: ChildPriority;
}

/** spawn's uid / gid options: only what differs from the daemon's own ids. */
interface SpawnIds {
  uid?: number;
  gid?: number;
}

export function createExecProbe(config: ExecProbeConfig, time: ProbeTime, options: ExecProbeOptions): Probe {
  const killGraceMs = options.killGraceMs ?? EXEC_KILL_GRACE_MS;
  const outputLimit = options.outputLimit ?? EXEC_OUTPUT_LIMIT;
  const env = { ...EXEC_ENVIRONMENT, ...options.environment };
  const priority = options.childPriority ?? STARTED_PRIORITY;
  let identity: SpawnIds | undefined;

  /** Resolved once it succeeds; an unknown user is retried on the next run. */
  const resolveIdentity = async (): Promise<SpawnIds | string> => {
    if (identity !== undefined) return identity;
    let ids;
    try {
      ids = await options.users.resolve(config.user, config.group);
    } catch (err) {
      return `cannot run as ${describeRunAs(config)}: ${describeError(err)}`;
    }
    // Asking for the ids we already have needs no privilege change.
    const resolved: SpawnIds = {};
    if (ids.uid !== process.getuid?.()) resolved.uid = ids.uid;
    if (ids.gid !== process.getgid?.() || resolved.uid !== undefined) resolved.gid = ids.gid;
    identity = resolved;
    return resolved;
  };

  return {
    async run(signal) {
      const started = time.clock.now();
      const finish = (ok: boolean, detail: string): ProbeResult => ({ ok, latencyMs: time.clock.now() - started, detail });
      const program = config.command[0];
      if (program === undefined) return finish(false, 'no command to run');
      const runAs = await resolveIdentity();
      if (typeof runAs === 'string') return finish(false, runAs);
      if (signal.aborted) return finish(false, abortedDetail(signal));
      return new Promise<ProbeResult>((resolve) => {
        let child: ChildProcess;
        try {
          // At the priority the daemon was started with, not its raised one (child-priority.ts).
          const [file, ...args] = priority.command(config.command);
          child = spawn(file as string, args, {
            cwd: '/',
            env,
            stdio: ['ignore', 'pipe', 'pipe'],
            // setsid(): the program leads its own process group, which a timeout kills whole.
            detached: true,
            ...runAs,
          });
        } catch (err) {
          resolve(finish(false, `cannot run '${program}': ${describeError(err)}`));
          return;
        }
        const output = new BoundedOutput(outputLimit);
        child.stdout?.on('data', (chunk: Buffer) => output.add(chunk));
        child.stderr?.on('data', (chunk: Buffer) => output.add(chunk));

        let settled = false;
        let cancelDrain: (() => void) | undefined;
        const settle = (ok: boolean, detail: string): void => {
          if (settled) return;
          settled = true;
          cancelTimeout();
          cancelDrain?.();
          signal.removeEventListener('abort', onAbort);
          // A grandchild holding the pipes must not keep them (and us) open.
          child.stdout?.destroy();
          child.stderr?.destroy();
          resolve(finish(ok, withOutput(detail, output)));
        };
        const terminate = (why: string): void => {
          settle(false, why);
          if (child.pid !== undefined) killGroupWithGrace(child.pid, time, killGraceMs);
        };
        const cancelTimeout = time.timers.at(started + config.timeoutMs, () => terminate(`timed out after ${config.timeoutMs} ms`));
        const onAbort = (): void => terminate(abortedDetail(signal));
        signal.addEventListener('abort', onAbort, { once: true });

        child.on('error', (err) => settle(false, `cannot run '${program}': ${describeError(err)}`));
        const judge = (code: number | null, signalName: NodeJS.Signals | null): void => {
          if (code === 0) settle(true, 'exit 0');
          else if (code !== null) settle(false, `exit ${code}`);
          else settle(false, `killed by ${signalName ?? 'a signal'}`);
        };
        child.on('close', judge);
        child.on('exit', (code, signalName) => {
          // It finished in time; only its output may still be on the way.
          cancelTimeout();
          cancelDrain = time.timers.at(time.clock.now() + OUTPUT_DRAIN_MS, () => judge(code, signalName));
        });
      });
    },
  };
}

function describeRunAs(config: ExecProbeConfig): string {
  const user = config.user === undefined ? 'the default script user' : `user '${config.user}'`;
  return config.group === undefined ? user : `${user}, group '${config.group}'`;
}

/** SIGTERM to the whole group now; SIGKILL after the grace period if any member is left. */
function killGroupWithGrace(pgid: number, time: ProbeTime, graceMs: number): void {
  if (!signalGroup(pgid, 'SIGTERM')) return;
  time.timers.at(time.clock.now() + graceMs, () => {
    if (signalGroup(pgid, 0)) signalGroup(pgid, 'SIGKILL');
  });
}

/** kill(-pgid, sig); false when the group no longer exists. */
function signalGroup(pgid: number, sig: NodeJS.Signals | 0): boolean {
  try {
    process.kill(-pgid, sig);
    return true;
  } catch {
    return false;
  }
}

function withOutput(detail: string, output: BoundedOutput): string {
  const text = output.text();
  return text === '' ? detail : `${detail}: ${text}`;
}

/** The first `limit` bytes of the program's output, and how many more there were. */
class BoundedOutput {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  private dropped = 0;

  constructor(private readonly limit: number) {}

  add(chunk: Buffer): void {
    const room = this.limit - this.kept;
    if (room > 0) {
      const part = chunk.length > room ? chunk.subarray(0, room) : chunk;
      this.chunks.push(part);
      this.kept += part.length;
    }
    this.dropped += Math.max(0, chunk.length - Math.max(0, room));
  }

  text(): string {
    const text = printable(Buffer.concat(this.chunks, this.kept).toString('utf8'), this.limit);
    return this.dropped > 0 ? `${text} (${this.dropped} more bytes not shown)` : text;
  }
}
