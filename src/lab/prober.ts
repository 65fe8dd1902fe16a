/** The test's side of the gap prober (see prober-process.ts for the process that pings). */
import { JsonChannel } from './json-channel.js';
import type { LabProcess } from './lab-process.js';
import type { ProbeReport } from './probe-report.js';
import type { ProberStatus } from './prober-process.js';

export interface ProberOptions {
  /** Between echo requests; default 10 ms. */
  intervalMs?: number;
  /** Wait after stop() for replies still under way; default 1000 ms. */
  drainMs?: number;
  /** How long start may wait for the first reply; default 15 s. */
  firstReplyTimeoutMs?: number;
}

export class Prober {
  private readonly channel: JsonChannel;

  constructor(
    readonly target: string,
    private readonly process: LabProcess,
  ) {
    this.channel = new JsonChannel(process);
  }

  /** Resolves once the target has answered, so the report starts with a working path. */
  async started(timeoutMs: number): Promise<this> {
    await this.channel.next('ready', timeoutMs);
    try {
      await this.channel.next('first-reply', timeoutMs);
    } catch (error) {
      await this.process.stop('SIGKILL');
      throw new Error(`The prober got no reply from ${this.target}: ${(error as Error).message}`);
    }
    return this;
  }

  /**
   * Counts so far while it keeps probing, with the latest reply, the first reply at or after
   * `since` (epoch ms; default now), and, given a window [from, to), the requests sent in it and
   * how many of them are unanswered.
   */
  async status(since = Date.now(), window?: { from: number; to: number }): Promise<ProberStatus> {
    const answer = await this.channel.request(`status ${since}${window ? ` ${window.from} ${window.to}` : ''}`, 'status', 10_000);
    const { event: _event, ...status } = answer;
    return status as unknown as ProberStatus;
  }

  /** Stops sending, waits for late replies, and reports losses and gaps. */
  async stop(): Promise<ProbeReport> {
    const answer = await this.channel.request('stop', 'report', 15_000);
    await this.process.stop('SIGTERM', { timeoutMs: 5000 });
    return answer.report as ProbeReport;
  }
}
