/**
 * Runs one configured check: a probe every intervalMs on the monotonic clock (the first at
 * start), never two at once, with rise/fall hysteresis. A tick that finds the previous probe still
 * running is skipped and counted. runNow() (process exits, link changes) runs at once, or right
 * after the probe in flight, whose result may predate the event.
 */
import type { CheckConfig, CheckKind } from '../config/check-model.js';
import type { Clock, Logger, Timers } from '../ports/index.js';
import { initialHysteresis, stepHysteresis, type HysteresisState } from './hysteresis.js';
import { contributionOf, type Contribution } from './priority.js';
import { describeError, type Probe, type ProbeResult } from './probe.js';

export interface CheckRunnerDeps {
  clock: Clock;
  timers: Timers;
  log: Logger;
  /** For the ISO times in status(). */
  wallClock: () => Date;
  /**
   * A probe still unsettled this long after its timeout is given up (counted as a failure and
   * aborted) so one stuck probe cannot stop the check. Default 1000 ms.
   */
  backstopMs?: number;
}

/** What a check says about itself to operators; the control API's CheckStatus adds who tracks it. */
export interface CheckSummary {
  name: string;
  kind: CheckKind;
  healthy: boolean;
  /** Result of the last probe (before hysteresis). */
  lastOk: boolean | null;
  lastDetail: string | null;
  lastLatencyMs: number | null;
  /** When the last completed probe started (ISO). */
  lastRunAt: string | null;
  /** When `healthy` last changed (ISO); null while it still has its initial value. */
  changedAt: string | null;
}

export interface CheckRunnerStatus extends CheckSummary {
  /** File checks: the last number read. */
  value?: number;
  running: boolean;
  runs: number;
  /** Ticks skipped because the previous probe was still running. */
  skippedTicks: number;
  /** Results in a row that disagree with `healthy` (progress towards rise / fall). */
  streak: number;
}

export type CheckChangeListener = (healthy: boolean, result: ProbeResult) => void;
export type CheckResultListener = (result: ProbeResult, status: CheckRunnerStatus) => void;

const DEFAULT_BACKSTOP_MS = 1000;

export class CheckRunner {
  private hysteresis: HysteresisState;
  private currentValue: number | undefined;
  private last: { result: ProbeResult; startedWall: Date } | undefined;
  private changedAt: Date | undefined;
  private runs = 0;
  private skippedTicks = 0;
  private overrunLogged = false;
  /** The probe in flight: its id (late results of abandoned runs are ignored) and cancellation. */
  private inFlight: { id: number; controller: AbortController; startedWall: Date; cancelBackstop: () => void } | undefined;
  private nextId = 1;
  private rerunPending = false;
  private cancelTick: (() => void) | undefined;
  private nextTickAt = 0;
  private started = false;
  private stopped = false;
  private readonly changeListeners = new Set<CheckChangeListener>();
  private readonly resultListeners = new Set<CheckResultListener>();
  private readonly log: Logger;

  constructor(
    readonly config: CheckConfig,
    private readonly probe: Probe,
    private readonly deps: CheckRunnerDeps,
  ) {
    if (!(config.intervalMs > 0)) throw new RangeError(`Check interval ${config.intervalMs} ms is not positive`);
    this.hysteresis = initialHysteresis(config.initFail);
    // File checks: a missing file counts as 0 until the first read says otherwise.
    if (config.kind === 'file') this.currentValue = 0;
    this.log = deps.log.child({ check: config.name, kind: config.kind });
  }

  get name(): string {
    return this.config.name;
  }

  get kind(): CheckKind {
    return this.config.kind;
  }

  /**
   * File checks have no hysteresis: healthy unless the value faults with the check's own weight
   * (weight 0 and a non-zero value). Other kinds: the rise/fall state.
   */
  get healthy(): boolean {
    return this.hysteresis.healthy;
  }

  /** File checks: the last number read (0 before the first read). */
  get value(): number | undefined {
    return this.currentValue;
  }

  /** What this check adds to a tracking instance's priority with `weight` (the check's own by default). */
  contribution(weight: number = this.config.weight): Contribution {
    return contributionOf(weight, { name: this.name, kind: this.kind, healthy: this.healthy, value: this.currentValue });
  }

  /** Called when `healthy` changes, and for file checks also when the value changes. */
  onChange(listener: CheckChangeListener): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  /** Called after every probe. */
  onResult(listener: CheckResultListener): () => void {
    this.resultListeners.add(listener);
    return () => this.resultListeners.delete(listener);
  }

  /**
   * The first probe runs after `phaseMs` (default now), then one every intervalMs. A phase
   * spreads many checks with the same interval over it instead of firing them together.
   */
  start(phaseMs = 0): void {
    if (this.started || this.stopped) return;
    this.started = true;
    this.nextTickAt = this.deps.clock.now() + Math.max(0, phaseMs);
    if (phaseMs > 0) this.cancelTick = this.deps.timers.at(this.nextTickAt, () => this.tick());
    else this.tick();
  }

  /** Cancels the schedule and aborts the probe in flight. Idempotent; a stopped runner stays stopped. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.cancelTick?.();
    this.cancelTick = undefined;
    this.rerunPending = false;
    const flight = this.inFlight;
    this.inFlight = undefined;
    if (flight !== undefined) {
      flight.cancelBackstop();
      flight.controller.abort(new Error('check stopped'));
    }
  }

  /** Probes now; if a probe is running, once more right after it. */
  runNow(): void {
    if (!this.started || this.stopped) return;
    if (this.inFlight !== undefined) this.rerunPending = true;
    else this.launch();
  }

  status(): CheckRunnerStatus {
    const last = this.last;
    const status: CheckRunnerStatus = {
      name: this.name,
      kind: this.kind,
      healthy: this.healthy,
      lastOk: last?.result.ok ?? null,
      lastDetail: last?.result.detail ?? null,
      lastLatencyMs: last === undefined ? null : Math.round(last.result.latencyMs * 1000) / 1000,
      lastRunAt: last?.startedWall.toISOString() ?? null,
      changedAt: this.changedAt?.toISOString() ?? null,
      running: this.inFlight !== undefined,
      runs: this.runs,
      skippedTicks: this.skippedTicks,
      streak: this.hysteresis.streak,
    };
    if (this.currentValue !== undefined) status.value = this.currentValue;
    return status;
  }

  private tick(): void {
    this.cancelTick = undefined;
    if (this.stopped) return;
    if (this.inFlight === undefined) {
      this.overrunLogged = false;
      this.launch();
    } else {
      this.skippedTicks++;
      // Once per overrun streak: a probe slower than its interval is worth one line, not one per tick.
      if (!this.overrunLogged) {
        this.overrunLogged = true;
        this.log.log('warn', 'check probe still running at its next interval; skipping ticks until it ends', { intervalMs: this.config.intervalMs });
      }
    }
    // Deadlines stay on the grid start + k × interval; after a stall, resume at the next future one.
    const interval = this.config.intervalMs;
    const now = this.deps.clock.now();
    this.nextTickAt += interval;
    if (this.nextTickAt < now) this.nextTickAt += Math.ceil((now - this.nextTickAt) / interval) * interval;
    this.cancelTick = this.deps.timers.at(this.nextTickAt, () => this.tick());
  }

  private launch(): void {
    const id = this.nextId++;
    const controller = new AbortController();
    const startedWall = this.deps.wallClock();
    const backstopAt = this.deps.clock.now() + this.config.timeoutMs + (this.deps.backstopMs ?? DEFAULT_BACKSTOP_MS);
    const cancelBackstop = this.deps.timers.at(backstopAt, () => {
      if (this.inFlight?.id !== id) return;
      controller.abort(new Error('probe did not finish'));
      this.complete(id, {
        ok: false,
        latencyMs: this.config.timeoutMs + (this.deps.backstopMs ?? DEFAULT_BACKSTOP_MS),
        detail: `probe did not finish within ${this.config.timeoutMs} ms (+${this.deps.backstopMs ?? DEFAULT_BACKSTOP_MS} ms grace); given up`,
      });
    });
    this.inFlight = { id, controller, startedWall, cancelBackstop };
    let running: Promise<ProbeResult>;
    try {
      running = this.probe.run(controller.signal);
    } catch (err) {
      running = Promise.resolve({ ok: false, latencyMs: 0, detail: `probe threw: ${describeError(err)}` });
    }
    running.then(
      (result) => this.complete(id, result),
      (err: unknown) => this.complete(id, { ok: false, latencyMs: 0, detail: `probe failed: ${describeError(err)}` }),
    );
  }

  private complete(id: number, result: ProbeResult): void {
    const flight = this.inFlight;
    if (flight === undefined || flight.id !== id || this.stopped) return;
    flight.cancelBackstop();
    this.inFlight = undefined;
    this.runs++;
    this.last = { result, startedWall: flight.startedWall };
    const wasHealthy = this.healthy;
    const previousValue = this.currentValue;
    if (this.config.kind === 'file') {
      this.currentValue = result.value ?? 0;
      const healthy = contributionOf(this.config.weight, { kind: 'file', healthy: true, value: this.currentValue }).fault === undefined;
      this.hysteresis = { healthy, streak: 0 };
    } else {
      this.hysteresis = stepHysteresis(this.hysteresis, result.ok, this.config.rise, this.config.fall);
    }
    const healthChanged = wasHealthy !== this.healthy;
    if (healthChanged) {
      this.changedAt = this.deps.wallClock();
      this.log.log(this.healthy ? 'info' : 'warn', this.healthy ? 'check is healthy' : 'check failed', { detail: result.detail });
    }
    const status = this.status();
    for (const listener of [...this.resultListeners]) this.safely(() => listener(result, status));
    if (healthChanged || previousValue !== this.currentValue) {
      for (const listener of [...this.changeListeners]) this.safely(() => listener(this.healthy, result));
    }
    if (this.rerunPending && !this.stopped && this.inFlight === undefined) {
      this.rerunPending = false;
      this.launch();
    }
  }

  private safely(call: () => void): void {
    try {
      call();
    } catch (err) {
      this.log.log('error', 'check listener failed', { error: describeError(err) });
    }
  }
}
