/**
 * The notify subsystem: keepalived's notify scripts and notify FIFO for instance and sync group
 * state changes, with the global settings they use (script_user, notify_fifo) kept current
 * across reloads.
 */
import { resolveScriptUser } from '../check/script-security.js';
import type { GlobalConfig, SyncGroupConfig } from '../config/model.js';
import { NotifyDispatcher, NotifyFifo, type NotifyFifoSink } from '../notify/index.js';
import type { Clock, Logger } from '../ports/index.js';
import type { EventLog } from './event-log.js';
import type { InstanceRunner, TransitionRecord } from './instance-runner.js';

export interface NotificationsDeps {
  log: Logger;
  events: EventLog;
  clock: Clock;
}

/** How long STOP hooks get at shutdown before they are ended (keepalived waits too). */
const STOP_HOOKS_GRACE_MS = 1000;

export class Notifications {
  private readonly dispatcher: NotifyDispatcher;

  private constructor(
    private global: GlobalConfig,
    private fifo: NotifyFifo | undefined,
    private readonly deps: NotificationsDeps,
  ) {
    // The FIFO can be replaced by a reload; the dispatcher keeps writing to whichever is current.
    const sink: NotifyFifoSink = { write: (line) => this.fifo?.write(line) };
    this.dispatcher = new NotifyDispatcher({
      log: deps.log,
      events: deps.events,
      clock: deps.clock,
      ...(global.scriptUser !== undefined ? { scriptUser: global.scriptUser } : {}),
      resolveUser: (user) => resolveScriptUser(user, this.global.scriptGroup),
      fifo: sink,
    });
  }

  /** Opens the notify FIFO if one is configured (an error names the key). */
  static async open(global: GlobalConfig, deps: NotificationsDeps): Promise<Notifications> {
    return new Notifications(global, await openFifo(global.notifyFifo, deps.log), deps);
  }

  instanceChanged(record: TransitionRecord, runner: InstanceRunner): void {
    this.dispatcher.instanceChanged(runner.config, record.to === 'INIT' ? 'STOP' : record.to, runner.status().effectivePriority);
  }

  /** keepalived notify_master_rx_lower_pri and its FIFO line. */
  masterHeardLowerPriority(runner: InstanceRunner): void {
    this.dispatcher.masterHeardLowerPriority(runner.config, runner.status().effectivePriority);
  }

  groupChanged(group: SyncGroupConfig, state: 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP'): void {
    this.dispatcher.groupChanged(group, state);
  }

  /**
   * Readies the settings of a reloaded configuration without using them yet: a new FIFO is
   * opened now, so a FIFO that cannot be opened refuses the reload. apply() switches over.
   */
  async prepare(global: GlobalConfig): Promise<{ apply(): void }> {
    const fifoChanged = global.notifyFifo !== this.global.notifyFifo;
    const fifo = fifoChanged ? await openFifo(global.notifyFifo, this.deps.log) : this.fifo;
    return {
      apply: () => {
        const userChanged = global.scriptUser !== this.global.scriptUser || global.scriptGroup !== this.global.scriptGroup;
        const old = this.fifo;
        this.global = global;
        this.fifo = fifo;
        if (userChanged) this.dispatcher.useScriptUser(global.scriptUser);
        if (old !== fifo) old?.close().catch((err: unknown) => this.deps.log.log('warn', 'cannot close the old notify FIFO', { error: String(err) }));
      },
    };
  }

  /** STOP hooks get a moment to run, then hooks still running are ended and the FIFO closed. */
  async close(): Promise<void> {
    await Promise.race([this.dispatcher.idle(), new Promise((resolve) => setTimeout(resolve, STOP_HOOKS_GRACE_MS))]);
    await this.dispatcher.close();
    await this.fifo?.close();
  }
}

async function openFifo(path: string | undefined, log: Logger): Promise<NotifyFifo | undefined> {
  if (path === undefined) return undefined;
  try {
    return await NotifyFifo.open(path, log);
  } catch (err) {
    throw new Error(`notifyFifo (notify_fifo): cannot open ${path}: ${(err as Error).message}`);
  }
}
