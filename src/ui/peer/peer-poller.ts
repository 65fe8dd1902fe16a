/**
 * Asks the peer's control API how it reports itself (GET /v1/status with its read token) every
 * `interval`, each request bounded by `timeout` and 1 MiB. The dashboard renders the latest
 * snapshot and never waits for the peer: a slow or dead peer shows as "unreachable", with the
 * age of what it last said. Requests never overlap; nothing here touches the protocol.
 */
import { readFile } from 'node:fs/promises';
import type { PeerApiConfig } from '../../config/peer-api.js';
import type { Clock, Logger, Timers } from '../../ports/index.js';
import { exchange, type Exchange, type ExchangeOptions } from '../../util/http-exchange.js';
import { parsePeerStatus, type PeerReport } from './peer-report.js';

export interface PeerSnapshot {
  /** The peer's API, as configured. */
  url: string;
  /** What it last said, and when (monotonic ms; `receivedAt` wall time for people). */
  report?: PeerReport;
  receivedMs?: number;
  receivedAt?: string;
  /** Set while the latest attempt failed. */
  error?: string;
  /** At least one attempt finished. */
  asked: boolean;
}

export interface PeerPollerDeps {
  clock: Clock;
  timers: Timers;
  wallClock: () => Date;
  log: Logger;
  fetch?: (options: ExchangeOptions) => Promise<Exchange>;
}

const MAX_ANSWER_BYTES = 1024 * 1024;

export class PeerPoller {
  private current: PeerSnapshot;
  private cancel: (() => void) | undefined;
  private closed = false;
  private failing = false;

  constructor(
    private readonly config: PeerApiConfig,
    private readonly deps: PeerPollerDeps,
  ) {
    this.current = { url: config.url, asked: false };
  }

  /** Asks now, then every interval. */
  start(): void {
    void this.poll();
  }

  snapshot(): PeerSnapshot {
    return this.current;
  }

  close(): void {
    this.closed = true;
    this.cancel?.();
  }

  private async poll(): Promise<void> {
    if (this.closed) return;
    try {
      const report = await this.ask();
      this.current = { url: this.config.url, report, receivedMs: this.deps.clock.now(), receivedAt: this.deps.wallClock().toISOString(), asked: true };
      if (this.failing) this.deps.log.log('info', 'the peer API answers again', { url: this.config.url });
      this.failing = false;
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      this.current = { ...this.current, error, asked: true };
      if (!this.failing) this.deps.log.log('warn', 'the peer API does not answer', { url: this.config.url, error });
      this.failing = true;
    }
    if (!this.closed) this.cancel = this.deps.timers.at(this.deps.clock.now() + this.config.intervalMs, () => void this.poll());
  }

  private async ask(): Promise<PeerReport> {
    const fetch = this.deps.fetch ?? exchange;
    const ca = this.config.caFile === undefined ? undefined : await readFile(this.config.caFile);
    const answer = await fetch({
      method: 'GET',
      url: `${this.config.url}/v1/status`,
      headers: { accept: 'application/json', ...(this.config.readToken !== undefined ? { authorization: `Bearer ${this.config.readToken}` } : {}) },
      timeoutMs: this.config.timeoutMs,
      keepBytes: MAX_ANSWER_BYTES,
      ...(ca ? { ca } : {}),
    });
    if (answer.status !== 200) throw new Error(`the peer answered ${answer.status}${answer.status === 401 ? ' (is peerApi.readToken its read token?)' : ''}`);
    if (answer.truncated) throw new Error(`the peer's answer is over ${MAX_ANSWER_BYTES} bytes`);
    return parsePeerStatus(answer.body);
  }
}
