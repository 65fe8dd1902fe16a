/**
 * An SMTP server on loopback for tests (RFC 5321 server side, small): records every command and
 * every message as the server un-stuffs it (a leading ".." becomes "."), and can be told to
 * refuse EHLO, answer a stage with a given reply, stall (never greet), or offer STARTTLS with a
 * certificate.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { TLSSocket } from 'node:tls';

export interface SinkMessage {
  from: string;
  to: string[];
  /** The DATA as received, un-stuffed, without the final ".". */
  data: string;
  helo: string;
  tls: boolean;
}

export interface SinkBehaviour {
  /** Answer EHLO with 502 (an old server): the client must say HELO. */
  refuseEhlo?: boolean;
  /** Never send the greeting. */
  stall?: boolean;
  /** A reply instead of the usual one, by stage (MAIL, RCPT, DATA, END), for the next N sessions. */
  replies?: Partial<Record<'MAIL' | 'RCPT' | 'DATA' | 'END', string>>;
  /** How many sessions get `replies` (default all). */
  repliesFor?: number;
  tls?: { key: string; cert: string };
}

export class SmtpSink {
  readonly messages: SinkMessage[] = [];
  readonly commands: string[] = [];
  sessions = 0;
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    public behaviour: SinkBehaviour,
  ) {}

  static async start(behaviour: SinkBehaviour = {}): Promise<SmtpSink> {
    let sink: SmtpSink | undefined;
    const server = createServer((socket) => sink?.session(socket));
    sink = new SmtpSink(server, behaviour);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return sink;
  }

  get port(): number {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('not listening');
    return address.port;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise((resolve) => this.server.close(resolve));
  }

  private session(plain: Socket): void {
    this.sessions++;
    const number = this.sessions;
    this.sockets.add(plain);
    plain.on('close', () => this.sockets.delete(plain));
    plain.on('error', () => undefined);
    if (this.behaviour.stall) return;
    const special = this.behaviour.repliesFor === undefined || number <= this.behaviour.repliesFor ? (this.behaviour.replies ?? {}) : {};
    let socket: Socket = plain;
    let tls = false;
    let buffer = '';
    let inData = false;
    let data: string[] = [];
    let message: Omit<SinkMessage, 'data'> = { from: '', to: [], helo: '', tls: false };
    const send = (line: string): void => {
      socket.write(`${line}\r\n`);
    };
    const onLine = (line: string): void => {
      if (inData) {
        if (line === '.') {
          inData = false;
          const reply = special.END ?? '250 2.0.0 queued as X';
          if (reply.startsWith('250')) this.messages.push({ ...message, data: data.join('\r\n'), tls });
          send(reply);
          return;
        }
        data.push(line.startsWith('.') ? line.slice(1) : line);
        return;
      }
      this.commands.push(line);
      const verb = line.split(/[ :]/)[0]?.toUpperCase() ?? '';
      switch (verb) {
        case 'EHLO':
          if (this.behaviour.refuseEhlo) return send('502 5.5.1 command not implemented');
          message.helo = line.slice(5);
          return send(`250-sink greets ${line.slice(5)}\r\n250-8BITMIME${this.behaviour.tls && !tls ? '\r\n250-STARTTLS' : ''}\r\n250 SIZE 1000000`);
        case 'HELO':
          message.helo = line.slice(5);
          return send('250 sink');
        case 'STARTTLS': {
          if (!this.behaviour.tls || tls) return send('502 5.5.1 no');
          send('220 2.0.0 go ahead');
          socket.removeAllListeners('data');
          const secure = new TLSSocket(socket, { isServer: true, key: this.behaviour.tls.key, cert: this.behaviour.tls.cert });
          secure.on('error', () => undefined);
          secure.on('data', onData);
          socket = secure;
          tls = true;
          buffer = '';
          return;
        }
        case 'MAIL':
          message = { from: /<(.*)>/.exec(line)?.[1] ?? '', to: [], helo: message.helo, tls };
          return send(special.MAIL ?? '250 2.1.0 ok');
        case 'RCPT': {
          const reply = special.RCPT ?? '250 2.1.5 ok';
          if (reply.startsWith('25')) message.to.push(/<(.*)>/.exec(line)?.[1] ?? '');
          return send(reply);
        }
        case 'DATA': {
          const reply = special.DATA ?? '354 end with <CRLF>.<CRLF>';
          if (reply.startsWith('354')) {
            inData = true;
            data = [];
          }
          return send(reply);
        }
        case 'QUIT':
          send('221 2.0.0 bye');
          socket.end();
          return;
        default:
          return send('500 5.5.2 unknown command');
      }
    };
    const onData = (chunk: Buffer): void => {
      buffer += chunk.toString('utf8');
      let end: number;
      while ((end = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        onLine(line);
      }
    };
    socket.on('data', onData);
    send('220 sink ESMTP ready');
  }
}
