/**
 * Running the reference implementation, keepalived 2.2.7, inside a lab host: its own config,
 * pid files and log per instance so several run side by side.
 */
import { join } from 'node:path';
import type { LabProcess, ProcessExit } from './lab-process.js';
import { waitFor } from './wait-for.js';

export const KEEPALIVED_BINARY = '/usr/sbin/keepalived';

export interface KeepalivedPaths {
  config: string;
  pidFile: string;
  vrrpPidFile: string;
  checkersPidFile: string;
}

export function keepalivedPaths(dir: string): KeepalivedPaths {
  return {
    config: join(dir, 'keepalived.conf'),
    pidFile: join(dir, 'keepalived.pid'),
    vrrpPidFile: join(dir, 'vrrp.pid'),
    checkersPidFile: join(dir, 'checkers.pid'),
  };
}

/** The config check (`-t`), which reports unknown keywords and bad values and exits non-zero. */
export function keepalivedCheckCommand(paths: KeepalivedPaths): string[] {
  return [KEEPALIVED_BINARY, '--config-test', '-f', paths.config];
}

/**
 * The daemon in the foreground (-n) logging to the console (-l, -D) and not to syslog (-G),
 * VRRP only (-P), with pid files of its own (-p, -r, -c) so instances do not see each other.
 */
export function keepalivedRunCommand(paths: KeepalivedPaths): string[] {
  return [
    KEEPALIVED_BINARY,
    '--dont-fork',
    '--log-console',
    '--log-detail',
    '--no-syslog',
    '--vrrp',
    '--use-file', paths.config,
    '--pid', paths.pidFile,
    '--vrrp_pid', paths.vrrpPidFile,
    '--checkers_pid', paths.checkersPidFile,
  ];
}

export type VrrpState = 'INIT' | 'BACKUP' | 'MASTER' | 'FAULT';

/** keepalived's console line for a state change: "(VI_1) Entering MASTER STATE" (maybe "(init)" after). */
const STATE_LINE = /\(([^)\s]+)\) Entering (INIT|BACKUP|MASTER|FAULT) STATE/;

/** The keepalived state of each VRRP instance, as last logged. */
export function parseStateLine(line: string): { instance: string; state: VrrpState } | undefined {
  const match = STATE_LINE.exec(line);
  return match ? { instance: match[1] as string, state: match[2] as VrrpState } : undefined;
}

export class KeepalivedInstance {
  private readonly states = new Map<string, VrrpState>();

  constructor(
    readonly process: LabProcess,
    /** Directory holding its config and pid files. */
    readonly dir: string,
    readonly paths: KeepalivedPaths,
  ) {
    process.onLine((line) => {
      const change = parseStateLine(line);
      if (change) this.states.set(change.instance, change.state);
    });
  }

  /** The state keepalived last logged for a VRRP instance ('VI_1'), or undefined before any. */
  state(instance: string): VrrpState | undefined {
    return this.states.get(instance);
  }

  /** Waits until keepalived logs that `instance` is in `state` (now or later). */
  async waitForState(instance: string, state: VrrpState, timeoutMs = 20_000): Promise<void> {
    await waitFor(() => this.states.get(instance) === state, {
      timeoutMs,
      intervalMs: 20,
      description: `keepalived instance ${instance} in ${state} (log: ${this.process.logPath})`,
    });
  }

  /** SIGTERM (keepalived sends priority 0 and removes its VIPs) and wait for the exit. */
  stop(timeoutMs = 15_000): Promise<ProcessExit> {
    return this.process.stop('SIGTERM', { timeoutMs });
  }
}
