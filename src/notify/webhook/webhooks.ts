/**
 * Webhooks on the event log: every record whose kind a webhook wants (event-filter.ts) is POSTed
 * to it as JSON `{ node, delivery, event }`, signed (signature.ts), through a retrying queue per
 * webhook (../retry-queue.ts) that never holds up the event log or the protocol. Kinds that
 * subsystems add later (resource-*, replication-*, backup-*) flow through with no change here.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { EventRecord } from '../../api/daemon-control.js';
import type { WebhookConfig } from '../../config/webhooks.js';
import type { EventLog } from '../../daemon/event-log.js';
import type { Clock, Logger, Timers } from '../../ports/index.js';
import { RetryQueue, type RetryPolicy } from '../retry-queue.js';
import { wantsEvent } from './event-filter.js';
import { postJson, WebhookError, type PostOptions } from './http-post.js';
import { signatureOf } from './signature.js';

export type PostFn = (options: PostOptions) => Promise<unknown>;

export interface WebhooksDeps {
  events: Pick<EventLog, 'subscribe' | 'append'>;
  clock: Clock;
  timers: Timers;
  /** Unix time for the signature's timestamp. */
  wallClock: () => Date;
  log: Logger;
  /** This node in the payload (router_id, else the host name). */
  node: string;
  post?: PostFn;
  /** First retry after this long (doubling, at most 5 min). Default 1 s. */
  firstRetryMs?: number;
  /** Deliveries waiting per webhook before the oldest is dropped. Default 1,000. */
  capacity?: number;
}

export interface WebhookPayload {
  node: string;
  /** Stable across retries: a receiver drops repeats by it. */
  delivery: string;
  event: EventRecord;
}

interface Delivery {
  payload: WebhookPayload;
  body: string;
}

const MAX_RETRY_DELAY_MS = 300_000;

class Webhook {
  readonly queue: RetryQueue<Delivery>;
  private ca: Promise<Buffer | undefined> | undefined;

  constructor(
    readonly config: WebhookConfig,
    deps: WebhooksDeps,
  ) {
    const post = deps.post ?? postJson;
    const policy: RetryPolicy = { retries: config.retries, firstDelayMs: deps.firstRetryMs ?? 1000, maxDelayMs: MAX_RETRY_DELAY_MS };
    this.queue = new RetryQueue<Delivery>({
      deliver: async (delivery, attempt) => {
        const timestamp = Math.floor(deps.wallClock().getTime() / 1000);
        const headers: Record<string, string> = {
          'x-hotstandby-event': delivery.payload.event.type,
          'x-hotstandby-delivery': delivery.payload.delivery,
          'x-hotstandby-attempt': String(attempt),
          'x-hotstandby-timestamp': String(timestamp),
        };
        if (config.secret !== undefined) headers['x-hotstandby-signature'] = signatureOf(config.secret, timestamp, delivery.body);
        const ca = await this.caFile();
        await post({ url: config.url, body: delivery.body, headers, timeoutMs: config.timeoutMs, ...(ca ? { ca } : {}) });
      },
      isPermanent: (err) => err instanceof WebhookError && err.permanent,
      policy,
      capacity: deps.capacity ?? 1000,
      clock: deps.clock,
      timers: deps.timers,
      onAttemptFailed: (delivery, attempt, error, willRetry) =>
        deps.log.log(willRetry ? 'info' : 'warn', `webhook ${config.name} attempt ${attempt} failed${willRetry ? '; will retry' : ''}`, {
          event: delivery.payload.event.seq,
          error: error instanceof Error ? error.message : String(error),
        }),
      onDone: (outcome) => {
        if (outcome.ok) {
          deps.log.log('debug', `webhook ${config.name} delivered`, { event: outcome.item.payload.event.seq, attempts: outcome.attempts });
          return;
        }
        const why = outcome.dropped ? (outcome.dropped === 'overflow' ? 'too many waiting' : 'shutting down') : outcome.error instanceof Error ? outcome.error.message : String(outcome.error);
        const message = `webhook ${config.name}: event ${outcome.item.payload.event.seq} (${outcome.item.payload.event.type}) not delivered after ${outcome.attempts} attempt(s): ${why}`;
        deps.log.log('warn', message);
        deps.events.append({ type: 'notification', message, fields: { channel: 'webhook', webhook: config.name, ok: false, attempts: outcome.attempts, event: outcome.item.payload.event.seq } });
      },
    });
  }

  private caFile(): Promise<Buffer | undefined> {
    const path = this.config.caFile;
    if (path === undefined) return Promise.resolve(undefined);
    // Read once; a failed read is tried again on the next delivery.
    this.ca ??= readFile(path).catch((err: unknown) => {
      this.ca = undefined;
      throw err;
    });
    return this.ca;
  }
}

export class Webhooks {
  private hooks: Webhook[];
  private readonly unsubscribe: () => void;

  constructor(
    configs: readonly WebhookConfig[],
    private readonly deps: WebhooksDeps,
  ) {
    this.hooks = configs.map((config) => new Webhook(config, deps));
    this.unsubscribe = deps.events.subscribe((event) => this.publish(event));
  }

  /** A reload: unchanged webhooks keep their queues; removed ones finish what they are sending. */
  update(configs: readonly WebhookConfig[]): void {
    const next = configs.map((config) => this.hooks.find((h) => JSON.stringify(h.config) === JSON.stringify(config)) ?? new Webhook(config, this.deps));
    for (const old of this.hooks) if (!next.includes(old)) void old.queue.close();
    this.hooks = next;
  }

  get pending(): number {
    return this.hooks.reduce((n, h) => n + h.queue.pending, 0);
  }

  async idle(): Promise<void> {
    await Promise.all(this.hooks.map((h) => h.queue.idle()));
  }

  async close(): Promise<void> {
    this.unsubscribe();
    await Promise.all(this.hooks.map((h) => h.queue.close()));
  }

  private publish(event: EventRecord): void {
    for (const hook of this.hooks) {
      if (!wantsEvent(hook.config.events, event)) continue;
      const payload: WebhookPayload = { node: this.deps.node, delivery: randomUUID(), event };
      hook.queue.enqueue({ payload, body: JSON.stringify(payload) });
    }
  }
}
