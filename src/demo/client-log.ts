/**
 * The demo's record of the client's requests, fed by the client process's output lines
 * (http-client-process.ts prints one RequestOutcome per line).
 */
import type { RequestOutcome } from './gap.js';

/** The outcome a client output line carries, or undefined for any other line. */
export function parseOutcomeLine(line: string): RequestOutcome | undefined {
  if (!line.startsWith('{')) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const { at, ok, node, error } = value as Record<string, unknown>;
  if (typeof at !== 'number' || !Number.isFinite(at) || typeof ok !== 'boolean') return undefined;
  const outcome: RequestOutcome = { at, ok };
  if (typeof node === 'string') outcome.node = node;
  if (typeof error === 'string') outcome.error = error;
  return outcome;
}

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
