/** The lab's HTTP client (http-client-process.ts) from the test's side: what it saw, so far and in sum. */
import { ClientLog } from './client-log.js';
import type { LabProcess } from './lab-process.js';
import { parseOutcomeLine, type RequestOutcome } from './request-outcome.js';

export interface HttpProbeReport {
  /** Finished requests. */
  requests: number;
  failed: number;
  /** Longest time between two successful answers (their finish times), ms. */
  maxGapMs: number;
  /** Successive runs of answers from the same node: which node served when. */
  servedBy: Array<{ node: string; from: number; to: number; count: number }>;
}

export class HttpProber {
  /** Every finished request, in the order they finished. */
  readonly log = new ClientLog();

  constructor(private readonly process: LabProcess) {
    process.onLine((line, stream) => {
      if (stream !== 'stdout') return;
      const outcome = parseOutcomeLine(line);
      if (outcome) this.log.add(outcome);
    });
  }

  /** Outcomes so far (for waiting on a condition). */
  get results(): readonly RequestOutcome[] {
    return this.log.outcomes;
  }

  async stop(): Promise<HttpProbeReport> {
    await this.process.stop('SIGTERM');
    return summarizeHttpProbes(this.log.outcomes);
  }
}

/** Sums up outcomes given in the order the requests finished. */
export function summarizeHttpProbes(outcomes: readonly RequestOutcome[]): HttpProbeReport {
  let maxGapMs = 0;
  let lastOk: number | undefined;
  const servedBy: HttpProbeReport['servedBy'] = [];
  for (const outcome of outcomes) {
    if (!outcome.ok || outcome.node === undefined) continue;
    if (lastOk !== undefined) maxGapMs = Math.max(maxGapMs, outcome.at - lastOk);
    lastOk = outcome.at;
    const current = servedBy[servedBy.length - 1];
    if (current && current.node === outcome.node) {
      current.to = outcome.at;
      current.count++;
    } else servedBy.push({ node: outcome.node, from: outcome.at, to: outcome.at, count: 1 });
  }
  return { requests: outcomes.length, failed: outcomes.filter((o) => !o.ok).length, maxGapMs, servedBy };
}
