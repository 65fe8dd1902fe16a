/**
 * The record of the HTTP client's finished requests (http-client-process.ts prints one
 * RequestOutcome per line), with the questions a test or the demo asks of it.
 */
import type { RequestOutcome } from './request-outcome.js';

/** Outcomes in the order they arrive, which is the order the requests finished. */
export class ClientLog {
  private readonly all: RequestOutcome[] = [];

  add(outcome: RequestOutcome): void {
    this.all.push(outcome);
  }

  get outcomes(): readonly RequestOutcome[] {
    return this.all;
  }

  /** The first answer from `node` that finished after `after`. */
  firstAnswerFrom(node: string, after: number): RequestOutcome | undefined {
    return this.all.find((o) => o.ok && o.node === node && o.at > after);
  }

  /** Answers by node and failures among the requests that finished in (now - windowMs, now]. */
  recent(now: number, windowMs = 1000): { answersBy: Record<string, number>; failures: number } {
    const answersBy: Record<string, number> = {};
    let failures = 0;
    for (let i = this.all.length - 1; i >= 0; i--) {
      const outcome = this.all[i] as RequestOutcome;
      if (outcome.at <= now - windowMs) break;
      if (outcome.at > now) continue;
      if (outcome.ok && outcome.node !== undefined) answersBy[outcome.node] = (answersBy[outcome.node] ?? 0) + 1;
      else if (!outcome.ok) failures++;
    }
    return { answersBy, failures };
  }
}
