/**
 * Both daemons behind one face, started in a lab host from the same keepalived.conf text:
 * keepalived 2.2.7 and `hotstandby run --keepalived-conf`.
 */
import { join } from 'node:path';
import type { Lab, LabProcess } from '../../src/lab/index.js';

export type DaemonKind = 'hotstandby' | 'keepalived';

export const DAEMONS: readonly DaemonKind[] = ['hotstandby', 'keepalived'];

/** "hs" / "ka" in narrow table columns. */
export function shortName(daemon: DaemonKind): string {
  return daemon === 'hotstandby' ? 'hs' : 'ka';
}

/**
 * The order of the two daemons in repetition `rep`: alternating, so a drift in the machine's load
 * during the benchmark hits both alike.
 */
export function daemonOrder(rep: number): DaemonKind[] {
  return rep % 2 === 0 ? ['hotstandby', 'keepalived'] : ['keepalived', 'hotstandby'];
}

export interface RunningDaemon {
  kind: DaemonKind;
  host: string;
  /** The process whose tree is the daemon (keepalived: the parent of its VRRP child). */
  pid: number;
  process: LabProcess;
  /** SIGTERM and wait for the exit (a master sends priority 0 first). */
  stop(): Promise<void>;
  /** The states entered so far, in order, from the daemon's own log. */
  transitions(): Promise<string[]>;
}

/** hotstandby's JSON log message of a state change: "BACKUP → MASTER". */
const HOTSTANDBY_TRANSITION = /"msg":"(?:INIT|BACKUP|MASTER|FAULT) → (INIT|BACKUP|MASTER|FAULT)"/;
/** keepalived's console line: "(VI_1) Entering MASTER STATE". */
const KEEPALIVED_TRANSITION = /\) Entering (INIT|BACKUP|MASTER|FAULT) STATE/;

/**
 * Starts `kind` in `host` with the keepalived.conf text `conf`. hotstandby runs from `root`, the
 * package root of the benchmark's snapshot of the build (see snapshot.ts).
 */
export async function startDaemon(lab: Lab, kind: DaemonKind, host: string, conf: string, root: string): Promise<RunningDaemon> {
  if (kind === 'keepalived') {
    const ka = await lab.startKeepalived(host, conf);
    return {
      kind,
      host,
      pid: ka.process.pid,
      process: ka.process,
      stop: async () => {
        await ka.stop();
      },
      transitions: () => transitionsInLog(ka.process, KEEPALIVED_TRANSITION),
    };
  }
  const name = `hotstandby-${host}`;
  const file = lab.writeFile(`${name}.conf`, conf);
  // One runtime directory (control socket, pid file) per daemon, also for a restart in the same host.
  const runtimeDir = `${file.slice(0, -'.conf'.length)}-run`;
  const child = lab.spawn(
    host,
    [process.execPath, join(root, 'bin', 'hotstandby'), 'run', '--keepalived-conf', file, '--runtime-dir', runtimeDir, '--log-format', 'json'],
    { name, cwd: root },
  );
  return {
    kind,
    host,
    pid: child.pid,
    process: child,
    stop: async () => {
      await child.stop('SIGTERM');
    },
    transitions: () => transitionsInLog(child, HOTSTANDBY_TRANSITION),
  };
}

async function transitionsInLog(process: LabProcess, pattern: RegExp): Promise<string[]> {
  const states: string[] = [];
  for (const line of (await process.readLog()).split('\n')) {
    const match = pattern.exec(line);
    if (match) states.push(match[1] as string);
  }
  return states;
}
