/**
 * The SMTP client and the mailer against an SMTP server on loopback written here
 * (test/support/smtp-sink.ts): EHLO and the HELO fallback, dot-stuffing that arrives intact,
 * refused recipients, a stalled server ended by the timeout, STARTTLS with a verified
 * certificate, and the mailer's retries (4xx) and give-up (5xx), with the caller never waiting.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { MailConfig } from '../../src/config/mail.js';
import { EventLog } from '../../src/daemon/event-log.js';
import { silentLogger } from '../../src/daemon/logger.js';
import { waitFor } from '../../src/lab/wait-for.js';
import { Mailer } from '../../src/notify/mail/mailer.js';
import { sendMail, SmtpError, type SmtpOptions } from '../../src/notify/mail/smtp-client.js';
import { realClock, realTimers } from '../support/real-timers.js';
import { SmtpSink } from '../support/smtp-sink.js';
import { opensslUnavailableReason, selfSignedCert } from '../support/tls-cert.js';

const options = (sink: SmtpSink, extra: Partial<SmtpOptions> = {}): SmtpOptions => ({ host: '127.0.0.1', port: sink.port, heloName: 'lb1.test', timeoutMs: 5000, starttls: false, ...extra });

test('sendMail(): EHLO, envelope, and a body whose dot lines arrive as written', async (t) => {
  const sink = await SmtpSink.start();
  t.after(() => sink.close());
  const body = 'Subject: x\r\n\r\nline one\r\n.\r\n..two dots\r\n.leading dot';
  const result = await sendMail(options(sink), { from: 'hs@lb1.test', to: ['a@x.test', 'b@x.test'] }, body);
  assert.deepEqual(result.accepted, ['a@x.test', 'b@x.test']);
  assert.match(result.reply, /^250 /);
  assert.equal(sink.messages.length, 1);
  assert.deepEqual({ ...sink.messages[0], data: undefined }, { from: 'hs@lb1.test', to: ['a@x.test', 'b@x.test'], helo: 'lb1.test', tls: false, data: undefined });
  assert.equal(sink.messages[0]?.data, body, 'un-stuffed by the server, the data is what was sent');
  assert.deepEqual(sink.commands.slice(0, 2), ['EHLO lb1.test', 'MAIL FROM:<hs@lb1.test>']);
  assert.equal(sink.commands.at(-1), 'QUIT');
});

test('sendMail(): HELO when the server refuses EHLO (keepalived only ever says HELO)', async (t) => {
  const sink = await SmtpSink.start({ refuseEhlo: true });
  t.after(() => sink.close());
  await sendMail(options(sink), { from: 'hs@x', to: ['a@x'] }, 'hi');
  assert.deepEqual(sink.commands.slice(0, 2), ['EHLO lb1.test', 'HELO lb1.test']);
  assert.equal(sink.messages.length, 1);
});

test('sendMail(): a refused recipient is reported and the others get the mail; all refused is a permanent error', async (t) => {
  const sink = await SmtpSink.start({ replies: { RCPT: '550 5.1.1 no such user' } });
  t.after(() => sink.close());
  const error = await sendMail(options(sink), { from: 'hs@x', to: ['a@x'] }, 'hi').catch((e: unknown) => e);
  assert.ok(error instanceof SmtpError && error.permanent && error.stage === 'RCPT TO', String(error));
  assert.match(error.message, /every recipient refused: a@x \(550 5\.1\.1 no such user\)/);
  assert.equal(sink.messages.length, 0);
});

test('sendMail(): a server that never greets is given up after the timeout, not waited on forever', async (t) => {
  const sink = await SmtpSink.start({ stall: true });
  t.after(() => sink.close());
  const started = Date.now();
  await assert.rejects(sendMail(options(sink, { timeoutMs: 300 }), { from: 'hs@x', to: ['a@x'] }, 'hi'), (e: unknown) => e instanceof SmtpError && e.stage === 'greeting' && /no reply within 300 ms/.test(e.message));
  assert.ok(Date.now() - started < 4000);
  await assert.rejects(sendMail({ ...options(sink), port: 1, timeoutMs: 2000 }, { from: 'hs@x', to: ['a@x'] }, 'hi'), /cannot connect to 127\.0\.0\.1:1/);
});

test('sendMail() with starttls: upgrades, says EHLO again, checks the certificate against the CA; refuses a server without STARTTLS', { skip: opensslUnavailableReason() }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hs-smtp-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const { keyFile, certFile } = selfSignedCert(dir, '127.0.0.1', 'IP:127.0.0.1');
  const cert = readFileSync(certFile, 'utf8');
  const sink = await SmtpSink.start({ tls: { key: readFileSync(keyFile, 'utf8'), cert } });
  t.after(() => sink.close());
  await sendMail(options(sink, { starttls: true, ca: cert }), { from: 'hs@x', to: ['a@x'] }, 'secret');
  assert.equal(sink.messages[0]?.tls, true);
  assert.deepEqual(sink.commands.slice(0, 3), ['EHLO lb1.test', 'STARTTLS', 'EHLO lb1.test']);
  await assert.rejects(sendMail(options(sink, { starttls: true }), { from: 'hs@x', to: ['a@x'] }, 'x'), /TLS failed: .*self[- ]signed/i, 'an unknown CA is refused');
  const plain = await SmtpSink.start();
  t.after(() => plain.close());
  await assert.rejects(sendMail(options(plain, { starttls: true, ca: cert }), { from: 'hs@x', to: ['a@x'] }, 'x'), /does not offer STARTTLS/);
});

function mailer(sink: SmtpSink, events: EventLog, mail: Partial<MailConfig> = {}): Mailer {
  return new Mailer(
    { to: ['ops@x.test'], server: { host: '127.0.0.1', port: sink.port }, connectTimeoutMs: 2000, alert: true, faults: true, starttls: false, ...mail },
    'lb1',
    { clock: realClock, timers: realTimers, wallClock: () => new Date(), log: silentLogger, events, hostName: 'lb1.test', retry: { retries: 2, firstDelayMs: 50, maxDelayMs: 100 } },
  );
}

test('Mailer: transitions become keepalived-subject mails; a 4xx is retried until accepted; the caller never waits', async (t) => {
  const sink = await SmtpSink.start({ replies: { MAIL: '451 4.3.0 try later' }, repliesFor: 2 });
  t.after(() => sink.close());
  const events = new EventLog({ wallClock: () => new Date() });
  const m = mailer(sink, events);
  t.after(() => m.close());
  const started = performance.now();
  m.changed({ kind: 'INSTANCE', name: 'web', from: 'BACKUP', to: 'MASTER', time: new Date().toISOString(), reason: 'master down' }, true);
  m.changed({ kind: 'INSTANCE', name: 'db', from: 'BACKUP', to: 'MASTER', time: new Date().toISOString() }, false);
  assert.ok(performance.now() - started < 50, 'changed() only queues');
  assert.equal(sink.sessions, 0);
  await waitFor(() => sink.messages.length === 1, { description: 'the mail after two refusals' });
  assert.equal(sink.sessions, 3);
  assert.match(sink.messages[0]?.data ?? '', /\r\nSubject: \[lb1\] VRRP Instance web - Entering MASTER state\r\n/);
  assert.match(sink.messages[0]?.data ?? '', /\r\n\r\n=> VRRP Instance is now owning VRRP VIPs <=\r\n/);
  await waitFor(() => events.since().some((e) => e.type === 'notification'), { description: 'the outcome in the event log' });
  assert.match(events.since().find((e) => e.type === 'notification')?.message ?? '', /alert mail "\[lb1\] VRRP Instance web - Entering MASTER state" sent through 127\.0\.0\.1:\d+/);
});

test('Mailer: a 5xx is not retried; the failure is logged in the event log', async (t) => {
  const sink = await SmtpSink.start({ replies: { MAIL: '550 5.7.1 relaying denied' } });
  t.after(() => sink.close());
  const events = new EventLog({ wallClock: () => new Date() });
  const m = mailer(sink, events);
  t.after(() => m.close());
  m.changed({ kind: 'INSTANCE', name: 'web', from: 'MASTER', to: 'FAULT', time: new Date().toISOString() }, true);
  const failed = await waitFor(() => events.since().find((e) => e.type === 'notification'), { description: 'the failure' });
  assert.match(failed.message, /not sent after 1 attempt\(s\): MAIL FROM refused: 550 5\.7\.1 relaying denied/);
  assert.equal(sink.sessions, 1);
});
