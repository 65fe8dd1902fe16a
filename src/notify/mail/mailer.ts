/**
 * keepalived's smtp_alert: state changes of instances and sync groups that ask for mail become
 * alert mails (alert-policy.ts), sent through the configured relay by a retrying queue
 * (../retry-queue.ts) that never holds up the caller. Each mail's outcome is logged and recorded
 * in the event log (type 'notification').
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { mailConfigured, type MailConfig } from '../../config/mail.js';
import type { EventLog } from '../../daemon/event-log.js';
import type { Clock, Logger, Timers } from '../../ports/index.js';
import { RetryQueue, type RetryPolicy } from '../retry-queue.js';
import { MailAlertPolicy, type StateChange } from './alert-policy.js';
import { renderMessage } from './mail-message.js';
import { sendMail, SmtpError, type Envelope, type SendResult, type SmtpOptions } from './smtp-client.js';

export type SendFn = (options: SmtpOptions, envelope: Envelope, message: string) => Promise<SendResult>;

export interface MailerDeps {
  clock: Clock;
  timers: Timers;
  wallClock: () => Date;
  log: Logger;
  events: Pick<EventLog, 'append'>;
  /** keepalived's default router_id, HELO name and sender domain. */
  hostName: string;
  send?: SendFn;
  retry?: RetryPolicy;
  /** Mails waiting before the oldest is dropped. */
  capacity?: number;
}

/** keepalived sends once and forgets; we retry a few times (5 s, 10 s, 20 s) before giving up. */
export const DEFAULT_MAIL_RETRY: RetryPolicy = { retries: 3, firstDelayMs: 5_000, maxDelayMs: 60_000 };
const DEFAULT_CAPACITY = 100;

interface OutgoingMail {
  subject: string;
  data: string;
  envelope: Envelope;
  smtp: SmtpOptions;
  caFile?: string;
  name: string;
}

export class Mailer {
  private policy: MailAlertPolicy;
  private readonly queue: RetryQueue<OutgoingMail>;

  constructor(
    private mail: MailConfig | undefined,
    private routerId: string | undefined,
    private readonly deps: MailerDeps,
  ) {
    this.policy = new MailAlertPolicy(routerId ?? deps.hostName, mail?.faults ?? true);
    const send = deps.send ?? sendMail;
    this.queue = new RetryQueue<OutgoingMail>({
      deliver: async (item) => {
        const ca = item.caFile === undefined ? undefined : await readFile(item.caFile);
        const result = await send({ ...item.smtp, ...(ca ? { ca } : {}) }, item.envelope, item.data);
        for (const refused of result.rejected) deps.log.log('warn', 'alert mail recipient refused', { recipient: refused.recipient, reply: refused.reply });
      },
      isPermanent: (err) => err instanceof SmtpError && err.permanent,
      policy: deps.retry ?? DEFAULT_MAIL_RETRY,
      capacity: deps.capacity ?? DEFAULT_CAPACITY,
      clock: deps.clock,
      timers: deps.timers,
      onAttemptFailed: (item, attempt, error, willRetry) =>
        deps.log.log(willRetry ? 'info' : 'warn', `alert mail attempt ${attempt} failed${willRetry ? '; will retry' : ''}`, { subject: item.subject, error: describe(error) }),
      onDone: (outcome) => {
        const { item } = outcome;
        const server = `${item.smtp.host}:${item.smtp.port}`;
        const message = outcome.ok
          ? `alert mail "${item.subject}" sent through ${server}`
          : outcome.dropped
            ? `alert mail "${item.subject}" dropped (${outcome.dropped === 'overflow' ? 'too many waiting' : 'shutting down'})`
            : `alert mail "${item.subject}" not sent after ${outcome.attempts} attempt(s): ${describe(outcome.error)}`;
        deps.log.log(outcome.ok ? 'info' : 'warn', message, { to: item.envelope.to });
        deps.events.append({ type: 'notification', message, fields: { channel: 'mail', ok: outcome.ok, attempts: outcome.attempts, to: [...item.envelope.to], subject: item.subject } });
      },
    });
  }

  /** A state change of an instance or group with smtp_alert on (others are ignored). */
  changed(change: StateChange, smtpAlert: boolean): void {
    const mail = this.mail;
    if (!smtpAlert || mail === undefined || !mailConfigured(mail) || mail.server === undefined) return;
    const text = this.policy.decide(change);
    if (text === undefined) return;
    const from = mail.from ?? `hotstandby@${this.deps.hostName}`;
    const data = renderMessage({
      from,
      to: mail.to,
      subject: text.subject,
      body: text.body,
      date: this.deps.wallClock(),
      messageId: `<${randomBytes(12).toString('hex')}.hotstandby@${this.deps.hostName}>`,
    });
    this.queue.enqueue({
      subject: text.subject,
      data,
      name: change.name,
      envelope: { from, to: mail.to },
      smtp: { host: mail.server.host, port: mail.server.port, heloName: mail.heloName ?? this.deps.hostName, timeoutMs: mail.connectTimeoutMs, starttls: mail.starttls },
      ...(mail.caFile !== undefined ? { caFile: mail.caFile } : {}),
    });
  }

  /** A reload: new settings for mails from now on (those queued keep theirs). */
  update(mail: MailConfig | undefined, routerId: string | undefined): void {
    const faultsChanged = (mail?.faults ?? true) !== (this.mail?.faults ?? true);
    if (faultsChanged || routerId !== this.routerId) this.policy = new MailAlertPolicy(routerId ?? this.deps.hostName, mail?.faults ?? true);
    this.mail = mail;
    this.routerId = routerId;
  }

  get pending(): number {
    return this.queue.pending;
  }

  idle(): Promise<void> {
    return this.queue.idle();
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
