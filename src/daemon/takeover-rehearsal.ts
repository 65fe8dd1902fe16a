/**
 * V8 compiles a function the first time it runs, so a backup's first takeover would run the whole
 * takeover path (state machine, VIP requests, advert, gratuitous ARPs) through the compiler:
 * measured at 1–2 ms between the master-down deadline and the first GARP, against 0.7 ms for
 * later takeovers. At start-up each instance rehearses a takeover and a shutdown once, with the
 * same classes but stand-ins that touch no socket, interface or clock, so that the real one runs
 * compiled code. (The daemon also keeps V8 from flushing that code while it waits: v8-tuning.ts.)
 */
import type { InstanceConfig } from '../config/model.js';
import { EventQueue } from '../util/event-queue.js';
import type { VrrpState } from '../vrrp/state-machine.js';
import { ScheduledAnnouncer } from './announcer.js';
import { InstanceRunner } from './instance-runner.js';
import { silentLogger } from './logger.js';
import type { Clock, Timers } from '../ports/index.js';
import { AddressVipHolder, type AddressTable, type ResolvedVip } from './vip-holder.js';

/** A clock that moves only when told, with the timers due by then. */
class RehearsalTime implements Clock, Timers {
  private current = 0;
  private readonly queue = new EventQueue<{ fn: () => void; cancelled: boolean }>();

  now(): number {
    return this.current;
  }

  at(deadline: number, fn: () => void): () => void {
    const entry = { fn, cancelled: false };
    this.queue.push(deadline, entry);
    return () => {
      entry.cancelled = true;
    };
  }

  /** Runs the timers due within `ms` (bounded: a master's advert timer re-arms forever). */
  advanceBy(ms: number, maxTimers = 100): void {
    const until = this.current + ms;
    for (let fired = 0; fired < maxTimers; fired++) {
      const next = this.queue.peekTime();
      if (next === undefined || next > until) break;
      const entry = this.queue.pop()?.value;
      this.current = Math.max(this.current, next);
      if (entry !== undefined && !entry.cancelled) entry.fn();
    }
    this.current = until;
  }
}

/** Every address request succeeds at once. */
const standInTable: AddressTable = {
  addAddress: () => Promise.resolve('added'),
  deleteAddress: () => Promise.resolve(),
};

/**
 * Runs `config`'s instance through start-up, takeover (master-down timer), a few adverts and a
 * shutdown, against stand-ins; returns the states it went through. Never throws: a rehearsal is
 * an optimisation, not a check.
 */
export function rehearseTakeover(config: InstanceConfig, source: { text: string; bytes: Buffer }, vips: readonly ResolvedVip[]): VrrpState[] {
  const states: VrrpState[] = [];
  try {
    const time = new RehearsalTime();
    const runner = new InstanceRunner(
      config,
      source,
      {
        clock: time,
        wallClock: () => new Date(0),
        timers: time,
        sender: { send: () => true },
        vips: new AddressVipHolder(vips, standInTable, silentLogger),
        announcer: new ScheduledAnnouncer(config.garp, time, time, () => vips.length),
        log: silentLogger,
        onTransition: (record) => states.push(record.to),
      },
    );
    runner.start();
    // Master_Down_Interval is under 4 advert intervals (RFC 5798 §6.1); then a few adverts.
    time.advanceBy(12 * config.advertIntervalMs);
    runner.stop();
    time.advanceBy(12 * config.advertIntervalMs);
  } catch {
    // The real instance will meet the same problem and report it.
  }
  return states;
}
