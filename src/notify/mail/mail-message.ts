/**
 * An alert mail as SMTP's DATA carries it (RFC 5322 message format, RFC 5321 §4.5.2 transparency),
 * as pure functions. keepalived 2.2.7 (smtp.c) sends Date, From, Subject, X-Mailer and To headers
 * and a one-line body; we send the same headers (X-Mailer: hotstandby) plus Message-ID and a
 * MIME text/plain declaration, so non-ASCII names arrive intact.
 */

export interface MailMessage {
  from: string;
  to: readonly string[];
  subject: string;
  body: string;
  date: Date;
  /** `<unique@host>`; made by the caller (randomness stays out of here). */
  messageId: string;
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

const two = (n: number): string => String(n).padStart(2, '0');

/** RFC 5322 §3.3 date-time in UTC: `Wed, 02 Dec 2026 08:25:00 +0000`. */
export function formatMailDate(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new RangeError(`Invalid date ${String(date)}`);
  return `${DAYS[date.getUTCDay()]}, ${two(date.getUTCDate())} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()} ${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())} +0000`;
}

/**
 * A header value on one line: CR/LF and other control characters (header injection through an
 * instance name or router_id) become blanks; non-ASCII text becomes an RFC 2047 encoded word.
 */
export function headerValue(text: string): string {
  const flat = text.replace(/[\x00-\x1f\x7f]+/g, ' ');
  // eslint-disable-next-line no-control-regex
  return /^[\x20-\x7e]*$/.test(flat) ? flat : `=?UTF-8?B?${Buffer.from(flat, 'utf8').toString('base64')}?=`;
}

/** Every line break as CRLF (SMTP forbids bare CR and LF, RFC 5321 §2.3.8). */
export function toCrlf(text: string): string {
  return text.replace(/\r\n|\r|\n/g, '\r\n');
}

/** The message: headers, a blank line, the body; CRLF line ends, ending with CRLF. Not yet dot-stuffed. */
export function renderMessage(message: MailMessage): string {
  const headers = [
    `Date: ${formatMailDate(message.date)}`,
    `From: ${headerValue(message.from)}`,
    `To: ${message.to.map(headerValue).join(', ')}`,
    `Subject: ${headerValue(message.subject)}`,
    `Message-ID: ${headerValue(message.messageId)}`,
    'X-Mailer: hotstandby',
    'MIME-Version: 1.0',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: 8bit',
  ];
  const body = toCrlf(message.body);
  return `${headers.join('\r\n')}\r\n\r\n${body}${body.endsWith('\r\n') ? '' : '\r\n'}`;
}

/**
 * RFC 5321 §4.5.2: a line of the message that starts with "." gets one more, so the server does
 * not take it for the end of the data; the terminating "<CRLF>.<CRLF>" is appended.
 */
export function dotStuff(data: string): string {
  const crlf = toCrlf(data);
  const stuffed = crlf.replace(/^\./gm, '..');
  return `${stuffed}${stuffed.endsWith('\r\n') ? '' : '\r\n'}.\r\n`;
}
