/**
 * The soak's daemons behind one face: hotstandby (`run --keepalived-conf`) or keepalived 2.2.7,
 * started from the same keepalived.conf text, killed, stopped, paused and started again in place.
 * Signals reach the whole process tree: keepalived does its VRRP work in a child process.
 */
import { join } from 'node:path';
import type { Lab } from '../lab.js';
import type { LabProcess } from '../lab-process.js';
import { signalProcessTree } from '../process-tree.js';

export type ChaosDaemonKind = 'hotstandby' | 'keepalived';

/** The first state an instance enters, in each daemon's log: it is up and running the protocol. */
const FIRST_STATE: Record<ChaosDaemonKind, RegExp> = {
  hotstandby: /"msg":"(?:INIT|BACKUP|MASTER|FAULT) → (?:BACKUP|MASTER|FAULT)"/,
  keepalived: /\) Entering (?:BACKUP|MASTER|FAULT) STATE/,
};

export interface ChaosDaemonOptions {
  kind: ChaosDaemonKind;
  host: string;
  /** keepalived.conf text (both daemons run it). */
  conf: string;
  /** Package root of the hotstandby build to run; default the lab's own. */
  hotstandbyRoot?: string;
}

/** One node's daemon across its restarts. */
export class ChaosDaemon {
  private current: LabProcess | undefined;
  /** hotstandby's config file, and one runtime directory across restarts, as a service manager would keep. */
  private hotstandbyFiles: { conf: string; runtimeDir: string } | undefined;

  constructor(
    private readonly lab: Lab,
    private readonly options: ChaosDaemonOptions,
  ) {}

  get kind(): ChaosDaemonKind {
    return this.options.kind;
  }

  get host(): string {
    return this.options.host;
  }

  get process(): LabProcess | undefined {
    return this.current;
  }

  /** Starts the daemon; resolves once an instance has entered its first state (rejects after timeoutMs). */
  async start(timeoutMs = 20_000): Promise<void> {
    if (this.current?.running) throw new Error(`The ${this.kind} daemon in ${this.host} is already running`);
    this.current = await this.spawn();
    await this.current.waitForLine(FIRST_STATE[this.kind], timeoutMs);
  }

  private async spawn(): Promise<LabProcess> {
    const { kind, host, conf } = this.options;
    if (kind === 'keepalived') return (await this.lab.startKeepalived(host, conf, { name: `keepalived-${host}` })).process;
    if (!this.hotstandbyFiles) {
      const file = this.lab.writeFile(`hotstandby-${host}.conf`, conf);
      this.hotstandbyFiles = { conf: file, runtimeDir: `${file.slice(0, -'.conf'.length)}-run` };
    }
    const root = this.options.hotstandbyRoot;
    const args = ['run', '--keepalived-conf', this.hotstandbyFiles.conf, '--runtime-dir', this.hotstandbyFiles.runtimeDir, '--log-format', 'json'];
    if (root === undefined) return this.lab.startDaemon(host, args);
    return this.lab.spawn(host, [process.execPath, join(root, 'bin', 'hotstandby'), ...args], { name: `hotstandby-${host}`, cwd: root });
  }

  /** SIGKILL to the whole tree (nothing is cleaned up), or SIGTERM to the daemon and wait for its exit. */
  async kill(signal: 'SIGKILL' | 'SIGTERM'): Promise<void> {
    const child = this.live();
    if (signal === 'SIGKILL') {
      signalProcessTree(child.pid, 'SIGKILL');
      await child.exited;
    } else {
      await child.stop('SIGTERM', { timeoutMs: 15_000 });
    }
  }

  pause(): void {
    signalProcessTree(this.live().pid, 'SIGSTOP');
  }

  resume(): void {
    signalProcessTree(this.live().pid, 'SIGCONT');
  }

  /** Ends the daemon however it is (paused or not), for a repair or the end of the soak. */
  async end(): Promise<void> {
    const child = this.current;
    if (!child?.running) return;
    signalProcessTree(child.pid, 'SIGKILL');
    await child.exited;
  }

  private live(): LabProcess {
    const child = this.current;
    if (!child?.running) throw new Error(`The ${this.kind} daemon in ${this.host} is not running`);
    return child;
  }
}
