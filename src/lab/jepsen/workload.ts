/**
 * The test's side of the checker's clients: starts writer-process.ts in a lab host, collects the
 * history from its output, asks for check reads (after each failover) and stops it with a final
 * check. The history goes to checkHistory (checker.ts).
 */
import type { Lab } from '../lab.js';
import type { LabProcess } from '../lab-process.js';
import { nodeEntryCommand } from '../node-entry.js';
import { preciseNow } from '../request-outcome.js';
import { waitFor } from '../wait-for.js';
import { type CheckOp, type FaultMark, type Op, looksLikeOpLine, parseOpLine } from './history.js';
import { firstWriteAfter } from './timings.js';
import type { WriterConfig } from './writer-process.js';

const WRITER_MODULE = new URL('./writer-process.js', import.meta.url).href;

export class Workload {
  readonly history: Op[] = [];
  readonly faults: FaultMark[] = [];
  /** Op lines that did not parse (a cut line would silently shorten the history): kept to be reported. */
  readonly brokenLines: string[] = [];
  private ok = 0;

  private constructor(private readonly process: LabProcess) {
    process.onLine((line) => {
      const op = parseOpLine(line);
      if (op === undefined) {
        if (looksLikeOpLine(line)) this.brokenLines.push(line.slice(0, 200));
        return;
      }
      this.history.push(op);
      if (op.kind === 'write' && op.outcome === 'ok') this.ok++;
    });
  }

  static async start(lab: Lab, host: string, config: WriterConfig, options: { readyTimeoutMs?: number } = {}): Promise<Workload> {
    const process = lab.spawn(host, nodeEntryCommand(WRITER_MODULE, 'runWriters', config), { name: `writers-${config.run}`, stdin: 'pipe' });
    const workload = new Workload(process);
    await process.waitForLine(/^\{"ready":true/, options.readyTimeoutMs ?? 60_000);
    return workload;
  }

  /** Notes a fault (now, unless given) for firstWriteAfter. */
  markFault(kind: string, at = preciseNow()): FaultMark {
    const mark = { kind, at };
    this.faults.push(mark);
    return mark;
  }

  /** Waits for `count` more acknowledged writes (the load runs, through the VIP). */
  async acknowledged(count: number, timeoutMs = 60_000, description = 'writes acknowledged'): Promise<void> {
    const target = this.okWrites() + count;
    await waitFor(() => this.okWrites() >= target, { description: `${count} ${description}`, timeoutMs, intervalMs: 50 });
  }

  /**
   * When the first write begun at or after `since` (ms, wall clock) was acknowledged, waited for:
   * the earliest such acknowledgement, also when asked late (after a split's 8 s hold, a 2 s
   * pause), not the newest one.
   */
  async firstAckAfter(since: number, timeoutMs = 60_000): Promise<number> {
    return waitFor(() => {
      const ms = firstWriteAfter({ kind: 'fault', at: since }, this.history);
      return ms === undefined ? undefined : since + ms;
    }, { description: 'a write acknowledged through the VIP after the fault', timeoutMs, intervalMs: 20 });
  }

  /** Reads every row through the VIP; resolves with the check op (the writer process gives up after 120 s: writer-process.ts runCheck). */
  async check(label: string, timeoutMs = 150_000): Promise<CheckOp> {
    this.process.write(`${JSON.stringify({ cmd: 'check', label })}\n`);
    return this.waitForCheck(label, timeoutMs);
  }

  /** Stops the writers, then reads every row (the final check); resolves with the whole history. */
  async stop(finalLabel = 'final', timeoutMs = 150_000): Promise<Op[]> {
    if (this.process.running) {
      this.process.write(`${JSON.stringify({ cmd: 'stop', label: finalLabel })}\n`);
      await this.waitForCheck(finalLabel, timeoutMs).catch(() => undefined);
      await this.process.stop('SIGTERM', { timeoutMs: 5000 });
    }
    return this.history;
  }

  okWrites(): number {
    return this.ok;
  }

  private async waitForCheck(label: string, timeoutMs: number): Promise<CheckOp> {
    return waitFor(() => this.history.find((op): op is CheckOp => op.kind === 'check' && op.label === label), {
      description: `check "${label}" answered`,
      timeoutMs,
      intervalMs: 50,
    });
  }
}
