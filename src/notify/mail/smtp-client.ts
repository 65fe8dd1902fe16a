/**
 * A small SMTP client for alert mails (RFC 5321): EHLO (HELO when the server refuses it, as
 * keepalived only ever says HELO), optional STARTTLS (RFC 3207) with a verified certificate,
 * MAIL FROM, RCPT TO per recipient, DATA with dot-stuffing, QUIT. Every step has a deadline
 * (keepalived smtp_connect_timeout covers the connection and each reply), so a stalled server
 * costs one timeout, never a hung daemon. No authentication: keepalived has none either; relay
 * through a local MTA.
 */
import { isIP, connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { dotStuff } from './mail-message.js';

export interface SmtpOptions {
  host: string;
  port: number;
  /** EHLO / HELO argument. */
  heloName: string;
  /** For the connection and for each reply. */
  timeoutMs: number;
  /** Require STARTTLS; the server certificate must be valid for `host`. */
  starttls: boolean;
  /** PEM CA certificates for STARTTLS (default: the system's). */
  ca?: string | Buffer;
}

export interface Envelope {
  from: string;
  to: readonly string[];
}

export interface SendResult {
  /** Recipients the server accepted. */
  accepted: string[];
  /** Recipients it refused, with its reply. */
  rejected: Array<{ recipient: string; reply: string }>;
  /** The server's reply to the end of the data (its queue id, usually). */
  reply: string;
}

/** A step failed. `permanent` (a 5xx reply) means retrying the same mail will not help. */
export class SmtpError extends Error {
  constructor(
    message: string,
    readonly stage: string,
    readonly code?: number,
  ) {
    super(message);
    this.name = 'SmtpError';
  }

  get permanent(): boolean {
    return this.code !== undefined && this.code >= 500 && this.code < 600;
  }
}

interface Reply {
  code: number;
  lines: string[];
}

/** RFC 5321 §4.2: lines "250-text" continue a reply, "250 text" ends it. Longer lines are refused. */
const MAX_REPLY_BYTES = 64 * 1024;

class ReplyReader {
  private buffer = '';
  private lines: string[] = [];
  private waiting: { resolve: (r: Reply) => void; reject: (e: Error) => void; timer: NodeJS.Timeout; stage: string } | undefined;
  private replies: Reply[] = [];
  private failure: Error | undefined;

  constructor(
    private socket: Socket,
    private readonly timeoutMs: number,
  ) {
    this.attach(socket);
  }

  attach(socket: Socket): void {
    this.socket = socket;
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => this.data(chunk));
    socket.on('error', (err) => this.fail(new SmtpError(`connection failed: ${err.message}`, 'connection')));
    socket.on('close', () => this.fail(new SmtpError('the server closed the connection', 'connection')));
  }

  detach(): void {
    this.socket.removeAllListeners('data');
    this.socket.removeAllListeners('error');
    this.socket.removeAllListeners('close');
    // An error after detaching (while TLS takes over) must not go unhandled.
    this.socket.on('error', () => undefined);
  }

  next(stage: string): Promise<Reply> {
    const ready = this.replies.shift();
    if (ready) return Promise.resolve(ready);
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        reject(new SmtpError(`no reply within ${this.timeoutMs} ms`, stage));
      }, this.timeoutMs);
      this.waiting = { resolve, reject, timer, stage };
    });
  }

  private data(chunk: string): void {
    this.buffer += chunk;
    if (this.buffer.length > MAX_REPLY_BYTES) {
      this.fail(new SmtpError('reply too long', this.waiting?.stage ?? 'reply'));
      this.socket.destroy();
      return;
    }
    let end: number;
    while ((end = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, end).replace(/\r$/, '');
      this.buffer = this.buffer.slice(end + 1);
      const match = /^(\d{3})([ -]?)(.*)$/.exec(line);
      if (!match) {
        this.fail(new SmtpError(`malformed reply "${line.slice(0, 80)}"`, this.waiting?.stage ?? 'reply'));
        this.socket.destroy();
        return;
      }
      this.lines.push(match[3] ?? '');
      if (match[2] === '-') continue;
      const reply = { code: Number(match[1]), lines: this.lines };
      this.lines = [];
      const waiting = this.waiting;
      if (waiting) {
        this.waiting = undefined;
        clearTimeout(waiting.timer);
        waiting.resolve(reply);
      } else {
        this.replies.push(reply);
      }
    }
  }

  private fail(err: Error): void {
    this.failure ??= err;
    const waiting = this.waiting;
    if (waiting) {
      this.waiting = undefined;
      clearTimeout(waiting.timer);
      waiting.reject(new SmtpError(err.message, waiting.stage, (err as SmtpError).code));
    }
  }
}

function text(reply: Reply): string {
  return `${reply.code} ${reply.lines.join(' / ')}`.trim();
}

function expect(reply: Reply, ok: readonly number[], stage: string): Reply {
  if (!ok.includes(reply.code)) throw new SmtpError(`${stage} refused: ${text(reply)}`, stage, reply.code);
  return reply;
}

function openSocket(options: SmtpOptions): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect({ host: options.host, port: options.port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new SmtpError(`cannot connect to ${options.host}:${options.port} within ${options.timeoutMs} ms`, 'connect'));
    }, options.timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(new SmtpError(`cannot connect to ${options.host}:${options.port}: ${err.message}`, 'connect'));
    });
  });
}

function upgrade(socket: Socket, options: SmtpOptions): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    // The certificate must be valid for the configured host (a name, or an IP address SAN); SNI only for names (RFC 6066 §3).
    const tls = tlsConnect({ socket, host: options.host, ...(isIP(options.host) === 0 ? { servername: options.host } : {}), ...(options.ca !== undefined ? { ca: options.ca } : {}) });
    const timer = setTimeout(() => {
      tls.destroy();
      reject(new SmtpError(`TLS handshake not done within ${options.timeoutMs} ms`, 'starttls'));
    }, options.timeoutMs);
    tls.once('secureConnect', () => {
      clearTimeout(timer);
      tls.removeAllListeners('error');
      resolve(tls);
    });
    tls.once('error', (err) => {
      clearTimeout(timer);
      reject(new SmtpError(`TLS failed: ${err.message}`, 'starttls'));
    });
  });
}

/** Sends one message to the recipients the server accepts; throws SmtpError when none can get it. */
export async function sendMail(options: SmtpOptions, envelope: Envelope, message: string): Promise<SendResult> {
  if (envelope.to.length === 0) throw new SmtpError('no recipients', 'envelope');
  let socket: Socket = await openSocket(options);
  const reader = new ReplyReader(socket, options.timeoutMs);
  const command = async (line: string, stage: string, ok: readonly number[]): Promise<Reply> => {
    socket.write(`${line}\r\n`);
    return expect(await reader.next(stage), ok, stage);
  };
  try {
    expect(await reader.next('greeting'), [220], 'greeting');
    let extensions = await hello(command, options.heloName);
    if (options.starttls) {
      if (!extensions.includes('STARTTLS')) throw new SmtpError(`${options.host} does not offer STARTTLS, which global.mail.starttls requires`, 'starttls');
      await command('STARTTLS', 'starttls', [220]);
      reader.detach();
      socket = await upgrade(socket, options);
      reader.attach(socket);
      // RFC 3207 §4.2: forget what was learnt before TLS and say hello again.
      extensions = await hello(command, options.heloName);
    }
    await command(`MAIL FROM:<${envelope.from}>`, 'MAIL FROM', [250]);
    const result: SendResult = { accepted: [], rejected: [], reply: '' };
    for (const recipient of envelope.to) {
      socket.write(`RCPT TO:<${recipient}>\r\n`);
      const reply = await reader.next('RCPT TO');
      if (reply.code === 250 || reply.code === 251) result.accepted.push(recipient);
      else if (reply.code >= 500) result.rejected.push({ recipient, reply: text(reply) });
      else throw new SmtpError(`RCPT TO:<${recipient}> refused: ${text(reply)}`, 'RCPT TO', reply.code);
    }
    if (result.accepted.length === 0) {
      throw new SmtpError(`every recipient refused: ${result.rejected.map((r) => `${r.recipient} (${r.reply})`).join(', ')}`, 'RCPT TO', 550);
    }
    await command('DATA', 'DATA', [354]);
    socket.write(dotStuff(message));
    result.reply = text(expect(await reader.next('end of data'), [250], 'end of data'));
    // The mail is accepted; QUIT is a courtesy whose answer does not matter.
    socket.write('QUIT\r\n');
    await reader.next('QUIT').catch(() => undefined);
    return result;
  } finally {
    socket.destroy();
  }
}

/** EHLO, falling back to HELO when the server does not know it; returns the EHLO keywords. */
async function hello(command: (line: string, stage: string, ok: readonly number[]) => Promise<Reply>, name: string): Promise<string[]> {
  try {
    const reply = await command(`EHLO ${name}`, 'EHLO', [250]);
    return reply.lines.slice(1).map((line) => (line.split(' ')[0] ?? '').toUpperCase());
  } catch (err) {
    if (!(err instanceof SmtpError) || err.code === undefined || err.code < 500) throw err;
    await command(`HELO ${name}`, 'HELO', [250]);
    return [];
  }
}
