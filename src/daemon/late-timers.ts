/**
 * "timers ran N ms late": a daemon starved of CPU (a loaded machine, too low a priority) or a
 * blocked event loop wakes up for its VRRP timers late, and a backup that wakes up later than its
 * Master_Down_Interval takes over from a master that is alive. The log should say so before the
 * flap does. PreciseTime reports how late each wake-up ran its most overdue timer; this warns when
 * that is more than half the shortest Master_Down_Interval of the configuration, at most once a
 * `intervalMs` (default 10 s), counting the wake-ups in between.
 */
import type { HotstandbyConfig } from '../config/model.js';
import type { Clock, Logger } from '../ports/index.js';
import { masterDownIntervalMs } from '../vrrp/timers.js';

export const LATE_WARNING_INTERVAL_MS = 10_000;
/** Without instances: the shortest master-down interval keepalived allows is 3 × 10 ms + skew. */
const NO_INSTANCE_THRESHOLD_MS = 500;

/** Half the shortest Master_Down_Interval (RFC 5798 §6.1) of the configured instances. */
export function lateThresholdMs(config: Pick<HotstandbyConfig, 'instances'>): number {
  let shortest = Infinity;
  for (const instance of config.instances) {
    shortest = Math.min(shortest, masterDownIntervalMs(instance.version, instance.priority, instance.advertIntervalMs));
  }
  return Number.isFinite(shortest) ? shortest / 2 : NO_INSTANCE_THRESHOLD_MS;
}

export class LateTimerWarning {
  private lastWarnedAt: number | undefined;
  /** Late wake-ups since the last warning that it did not name. */
  private unreported = 0;
  private worstUnreportedMs = 0;

  constructor(
    private thresholdMs: number,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly intervalMs = LATE_WARNING_INTERVAL_MS,
  ) {}

  /** A new configuration (reload) may have a shorter advert interval. */
  setThreshold(thresholdMs: number): void {
    this.thresholdMs = thresholdMs;
  }

  /** How late a wake-up ran its most overdue timer (PreciseTime's onLate). */
  report(lateMs: number): void {
    if (lateMs <= this.thresholdMs) return;
    const now = this.clock.now();
    if (this.lastWarnedAt !== undefined && now - this.lastWarnedAt < this.intervalMs) {
      this.unreported++;
      this.worstUnreportedMs = Math.max(this.worstUnreportedMs, lateMs);
      return;
    }
    const since =
      this.unreported > 0 ? `; ${this.unreported} more late wake-up${this.unreported === 1 ? '' : 's'} since the last warning, the worst ${Math.round(this.worstUnreportedMs)} ms` : '';
    this.log.log(
      'warn',
      `timers ran ${Math.round(lateMs)} ms late (more than ${Math.round(this.thresholdMs)} ms, half the shortest master-down interval): the daemon did not get the CPU in time (a loaded machine or a low priority; see processPriority) or its event loop was blocked${since}`,
      { lateMs: Math.round(lateMs), thresholdMs: Math.round(this.thresholdMs) },
    );
    this.lastWarnedAt = now;
    this.unreported = 0;
    this.worstUnreportedMs = 0;
  }
}
