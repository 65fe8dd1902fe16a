/**
 * The notify subsystem: keepalived's notify scripts, notify FIFO and smtp_alert mails for
 * instance and sync group state changes, webhooks on the event log, and split-brain events, with
 * the global settings they use (script_user, notify_fifo, mail, webhooks) kept current across
 * reloads. Nothing here ever waits on a script, a mail server or a receiver.
 */
import { hostname } from 'node:os';
import { resolveScriptUser } from '../check/script-security.js';
import type { GlobalConfig, SyncGroupConfig } from '../config/model.js';
import { NotifyDispatcher, NotifyFifo, type NotifyFifoSink } from '../notify/index.js';
import { Mailer } from '../notify/mail/mailer.js';
import { Webhooks } from '../notify/webhook/webhooks.js';
import type { Clock, Logger, Timers } from '../ports/index.js';
import type { ChildPriority } from '../util/child-priority.js';
import type { EventLog } from './event-log.js';
import type { InstanceRunner, TransitionRecord } from './instance-runner.js';

export interface NotificationsDeps {
  log: Logger;
  events: EventLog;
  clock: Clock;
  /** For mail and webhook retries. */
  timers: Timers;
  /** Mail Date headers and webhook signature timestamps. */
  wallClock: () => Date;
  /** The priority notify scripts run at (src/util/child-priority.ts); default unchanged. */
  childPriority?: ChildPriority;
}

/** How long mails and webhooks still queued at shutdown (STOP mails among them) get to go out. */
const FLUSH_GRACE_MS = 2000;
/** One split-brain event per instance in this long, however many adverts show it. */
const SPLIT_BRAIN_QUIET_MS = 30_000;
/**
 * A master that took over less than this long ago (at least 2 s, or 3 advert intervals) and
 * hears the old master is in a hand-over, not a split brain: a node in maintenance advertises
 * with priority 1 until the peer has taken over, and the old master's last advert may cross ours.
 */
const HANDOVER_MIN_MS = 2000;

/** How long STOP hooks get at shutdown before they are ended (keepalived waits too). */
const STOP_HOOKS_GRACE_MS = 1000;

export class Notifications {
  private readonly dispatcher: NotifyDispatcher;
  private readonly mailer: Mailer;
  private readonly webhooks: Webhooks;
  private readonly groupStates = new Map<string, 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP'>();
  private readonly splitBrainAt = new Map<string, number>();
  /** When each instance became master (monotonic), while it is. */
  private readonly masterSince = new Map<string, number>();

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
      ...(deps.childPriority ? { childPriority: deps.childPriority } : {}),
    });
    const hostName = hostname();
    this.mailer = new Mailer(global.mail, global.routerId, { ...deps, hostName });
    this.webhooks = new Webhooks(global.webhooks ?? [], { ...deps, node: global.routerId ?? hostName });
  }

  /** Opens the notify FIFO if one is configured (an error names the key). */
  static async open(global: GlobalConfig, deps: NotificationsDeps): Promise<Notifications> {
    return new Notifications(global, await openFifo(global.notifyFifo, deps.log), deps);
  }

  instanceChanged(record: TransitionRecord, runner: InstanceRunner): void {
    const to = record.to === 'INIT' ? 'STOP' : record.to;
    this.dispatcher.instanceChanged(runner.config, to, runner.status().effectivePriority);
    const { config } = runner;
    if (to === 'MASTER') this.masterSince.set(config.name, this.deps.clock.now());
    else this.masterSince.delete(config.name);
    this.mailer.changed({ kind: 'INSTANCE', name: config.name, from: record.from, to, reason: record.reason, vips: config.vips.map((v) => v.address), time: record.time }, config.smtpAlert === true);
  }

  /**
   * keepalived notify_master_rx_lower_pri and its FIFO line. A master hearing another router's
   * advert means two masters at once: a split brain (usually one healing, as the other yields on
   * our answer); it goes to the event log, at most once per instance in 30 s, unless this master
   * has only just taken over (a hand-over, see HANDOVER_MIN_MS).
   */
  masterHeardLowerPriority(runner: InstanceRunner): void {
    const priority = runner.status().effectivePriority;
    this.dispatcher.masterHeardLowerPriority(runner.config, priority);
    const name = runner.config.name;
    const now = this.deps.clock.now();
    const since = this.masterSince.get(name);
    if (since !== undefined && now - since < Math.max(HANDOVER_MIN_MS, 3 * runner.config.advertIntervalMs)) return;
    const last = this.splitBrainAt.get(name);
    if (last !== undefined && now - last < SPLIT_BRAIN_QUIET_MS) return;
    this.splitBrainAt.set(name, now);
    this.deps.events.append({
      type: 'split-brain',
      instance: name,
      message: `split brain: this master (priority ${priority}) heard another master's advert of lower priority; it answers so the other yields`,
      fields: { priority, vips: runner.config.vips.map((v) => v.address) },
    });
  }

  /**
   * Another MAC announced a VIP of this master (address-defence.ts): clients may be sending to it.
   * An event per defence, whose gaps double under a flood (1 s up to 32 s), so never one per frame.
   */
  addressClaimed(runner: InstanceRunner, claimedBy: string, inMs: number): void {
    this.deps.events.append({
      type: 'address-conflict',
      instance: runner.config.name,
      message: `address conflict: ${claimedBy} announces a VIP of this master; it announces its VIPs again in ${inMs} ms`,
      fields: { claimedBy, inMs, vips: runner.config.vips.map((v) => v.address) },
    });
  }

  groupChanged(group: SyncGroupConfig, state: 'MASTER' | 'BACKUP' | 'FAULT' | 'STOP'): void {
    this.dispatcher.groupChanged(group, state);
    const from = this.groupStates.get(group.name) ?? 'INIT';
    this.groupStates.set(group.name, state);
    this.mailer.changed({ kind: 'GROUP', name: group.name, from, to: state, time: this.deps.wallClock().toISOString() }, group.smtpAlert === true);
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
        this.mailer.update(global.mail, global.routerId);
        this.webhooks.update(global.webhooks ?? []);
        if (old !== fifo) old?.close().catch((err: unknown) => this.deps.log.log('warn', 'cannot close the old notify FIFO', { error: String(err) }));
      },
    };
  }

  /** STOP hooks get a moment to run, then hooks still running are ended and the FIFO closed. */
  async close(): Promise<void> {
    await Promise.race([this.dispatcher.idle(), new Promise((resolve) => setTimeout(resolve, STOP_HOOKS_GRACE_MS))]);
    await this.dispatcher.close();
    await this.fifo?.close();
    await Promise.race([Promise.all([this.mailer.idle(), this.webhooks.idle()]), new Promise((resolve) => setTimeout(resolve, FLUSH_GRACE_MS))]);
    await Promise.all([this.mailer.close(), this.webhooks.close()]);
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
