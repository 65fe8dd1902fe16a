/**
 * keepalived's smtp_alert rules as a pure policy (which state changes mail, subjects as keepalived
 * 2.2.7 writes them, bodies that say what happened, including BACKUP → FAULT and the recovery),
 * and the message format (RFC 5322 date, header injection, RFC 5321 dot-stuffing).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MailAlertPolicy, type StateChange } from '../../src/notify/mail/alert-policy.js';
import { dotStuff, formatMailDate, headerValue, renderMessage } from '../../src/notify/mail/mail-message.js';

const TIME = '2026-12-02T08:00:00.000Z';
const change = (from: StateChange['from'], to: StateChange['to'], extra: Partial<StateChange> = {}): StateChange => ({ kind: 'INSTANCE', name: 'VI_1', from, to, time: TIME, vips: ['192.0.2.10'], ...extra });

function headlines(policy: MailAlertPolicy, steps: Array<[StateChange['from'], StateChange['to']]>): Array<string | undefined> {
  return steps.map(([from, to]) => {
    const mail = policy.decide(change(from, to));
    return mail === undefined ? undefined : `${mail.subject} | ${mail.body.split('\n')[0]}`;
  });
}

test('keepalived subjects for each state entered, [router_id] first; STOP is "Stopping"', () => {
  const policy = new MailAlertPolicy('lb1', true);
  assert.deepEqual(
    headlines(policy, [
      ['INIT', 'BACKUP'],
      ['BACKUP', 'MASTER'],
      ['MASTER', 'BACKUP'],
      ['BACKUP', 'STOP'],
    ]),
    [
      '[lb1] VRRP Instance VI_1 - Entering BACKUP state | => VRRP Instance is backup; it does not own the VRRP VIPs <=',
      '[lb1] VRRP Instance VI_1 - Entering MASTER state | => VRRP Instance is now owning VRRP VIPs <=',
      '[lb1] VRRP Instance VI_1 - Entering BACKUP state | => VRRP Instance is no longer owning VRRP VIPs <=',
      '[lb1] VRRP Instance VI_1 - Stopping | => VRRP Instance stopping <=',
    ],
  );
});

test('BACKUP → FAULT says the instance held nothing (keepalived says "no longer owning"); the recovery says it recovered', () => {
  const policy = new MailAlertPolicy('lb1', true);
  assert.deepEqual(
    headlines(policy, [
      ['INIT', 'BACKUP'],
      ['BACKUP', 'FAULT'],
      ['FAULT', 'BACKUP'],
      ['BACKUP', 'MASTER'],
      ['MASTER', 'FAULT'],
      ['FAULT', 'MASTER'],
    ]).slice(1),
    [
      '[lb1] VRRP Instance VI_1 - Entering FAULT state | => VRRP Instance is in FAULT state; it did not own the VRRP VIPs, nothing moved <=',
      '[lb1] VRRP Instance VI_1 - Entering BACKUP state | => VRRP Instance recovered from FAULT; it is backup and does not own the VRRP VIPs <=',
      '[lb1] VRRP Instance VI_1 - Entering MASTER state | => VRRP Instance is now owning VRRP VIPs <=',
      '[lb1] VRRP Instance VI_1 - Entering FAULT state | => VRRP Instance is in FAULT state and no longer owning VRRP VIPs <=',
      '[lb1] VRRP Instance VI_1 - Entering MASTER state | => VRRP Instance recovered from FAULT and is now owning VRRP VIPs <=',
    ],
  );
});

test('no_email_faults: no FAULT mail; a recovery to the state last mailed sends none (keepalived last_email_state), a lost VIP still does', () => {
  const policy = new MailAlertPolicy('lb1', false);
  assert.deepEqual(
    headlines(policy, [
      ['INIT', 'BACKUP'],
      ['BACKUP', 'FAULT'],
      ['FAULT', 'BACKUP'],
      ['BACKUP', 'MASTER'],
      ['MASTER', 'FAULT'],
      ['FAULT', 'BACKUP'],
    ]),
    [
      '[lb1] VRRP Instance VI_1 - Entering BACKUP state | => VRRP Instance is backup; it does not own the VRRP VIPs <=',
      undefined,
      undefined,
      '[lb1] VRRP Instance VI_1 - Entering MASTER state | => VRRP Instance is now owning VRRP VIPs <=',
      undefined,
      '[lb1] VRRP Instance VI_1 - Entering BACKUP state | => VRRP Instance is no longer owning VRRP VIPs <=',
    ],
  );
});

test('sync groups: keepalived\'s "VRRP Group" subject and "All VRRP group instances" body; the body names reason, VIPs, node and time', () => {
  const policy = new MailAlertPolicy('lb1', true);
  const mail = policy.decide({ kind: 'GROUP', name: 'G1', from: 'BACKUP', to: 'MASTER', time: TIME });
  assert.equal(mail?.subject, '[lb1] VRRP Group G1 - Entering MASTER state');
  assert.match(mail?.body ?? '', /^=> All VRRP group instances are now in MASTER state <=\n/);
  const instance = new MailAlertPolicy('lb1', true).decide(change('BACKUP', 'MASTER', { reason: 'master down timer expired' }));
  assert.equal(instance?.body, `=> VRRP Instance is now owning VRRP VIPs <=\n\nInstance: VI_1\nNode: lb1\nState: BACKUP -> MASTER\nReason: master down timer expired\nVIPs: 192.0.2.10\nTime: ${TIME}\n`);
});

test('formatMailDate() is RFC 5322 in UTC; headerValue() defeats header injection and encodes non-ASCII', () => {
  assert.equal(formatMailDate(new Date('2026-12-02T08:05:09Z')), 'Wed, 02 Dec 2026 08:05:09 +0000');
  assert.throws(() => formatMailDate(new Date(NaN)), RangeError);
  assert.equal(headerValue('web\r\nBcc: victim@example.net'), 'web Bcc: victim@example.net');
  assert.equal(headerValue('bâtiment'), `=?UTF-8?B?${Buffer.from('bâtiment').toString('base64')}?=`);
});

test('dotStuff() doubles a leading "." on every line, makes bare LF CRLF, and ends with <CRLF>.<CRLF>', () => {
  assert.equal(dotStuff('a\n.\n..b\nc.d'), 'a\r\n..\r\n...b\r\nc.d\r\n.\r\n');
  assert.equal(dotStuff('.first\r\n'), '..first\r\n.\r\n');
  const message = renderMessage({ from: 'hs@x', to: ['a@x', 'b@x'], subject: 's', body: 'line\n.dot', date: new Date(0), messageId: '<1@x>' });
  assert.match(message, /^Date: Thu, 01 Jan 1970 00:00:00 \+0000\r\nFrom: hs@x\r\nTo: a@x, b@x\r\nSubject: s\r\n/);
  assert.ok(message.endsWith('\r\n\r\nline\r\n.dot\r\n'));
});
