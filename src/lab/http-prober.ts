/** A client looping HTTP GETs on a URL (the VIP) from a lab host, and what it saw. */
import type { LabProcess } from './lab-process.js';
import type { HttpProbeLine } from './http-prober-process.js';

export interface HttpProbeReport {
  requests: number;
  failed: number;
  /** Longest time between two successful responses' send times, ms. */
  maxGapMs: number;
  /** Successive runs of answers from the same node: which node served when. */
  servedBy: Array<{ node: string; from: number; to: number; count: number }>;
}

export class HttpProber {
  private readonly lines: HttpProbeLine[] = [];

  constructor(private readonly process: LabProcess) {
    process.onLine((line) => {
      if (line.startsWith('{')) this.lines.push(JSON.parse(line) as HttpProbeLine);
    });
  }

  /** Answers so far (for waiting on a condition). */
  get results(): readonly HttpProbeLine[] {
    return this.lines;
  }

  async stop(): Promise<HttpProbeReport> {
    await this.process.stop('SIGTERM');
    return summarizeHttpProbes(this.lines);
  }
}

export function summarizeHttpProbes(lines: readonly HttpProbeLine[]): HttpProbeReport {
  let maxGapMs = 0;
  let lastOk: number | undefined;
  const servedBy: HttpProbeReport['servedBy'] = [];
  for (const line of lines) {
    if (!line.ok) continue;
    if (lastOk !== undefined) maxGapMs = Math.max(maxGapMs, line.at - lastOk);
    lastOk = line.at;
    const current = servedBy[servedBy.length - 1];
    if (current && current.node === line.body) {
      current.to = line.at;
      current.count++;
    } else servedBy.push({ node: line.body, from: line.at, to: line.at, count: 1 });
  }
  return { requests: lines.length, failed: lines.filter((l) => !l.ok).length, maxGapMs, servedBy };
}
