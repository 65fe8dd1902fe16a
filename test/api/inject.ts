/**
 * Injects a request into a RequestHandler without a socket: a readable request and a writable
 * response that records status, headers and body.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { Readable, Writable } from 'node:stream';
import type { RequestHandler } from '../../src/api/control-api.js';

export interface InjectOptions {
  method?: string;
  url: string;
  headers?: Record<string, string>;
  /** A string is sent as is; anything else as JSON. */
  body?: unknown;
}

export interface InjectedResponse {
  status: number;
  headers: Record<string, string>;
  text: string;
  json(): any;
}

class RecordingResponse extends Writable {
  statusCode = 0;
  headersSent = false;
  readonly recorded: Record<string, string> = {};
  readonly chunks: Buffer[] = [];

  constructor() {
    super({ emitClose: true });
  }

  writeHead(status: number, headers: OutgoingHttpHeaders = {}): this {
    if (this.headersSent) throw new Error('writeHead called twice');
    this.statusCode = status;
    this.headersSent = true;
    for (const [k, v] of Object.entries(headers)) this.recorded[k.toLowerCase()] = String(v);
    return this;
  }

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, done: () => void): void {
    this.chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
    done();
  }
}

export function inject(handler: RequestHandler, options: InjectOptions): Promise<InjectedResponse> {
  const payload =
    options.body === undefined ? [] : [Buffer.from(typeof options.body === 'string' ? options.body : JSON.stringify(options.body))];
  const req = Readable.from(payload) as unknown as IncomingMessage;
  Object.assign(req, {
    method: options.method ?? 'GET',
    url: options.url,
    headers: Object.fromEntries(Object.entries(options.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
  });
  const res = new RecordingResponse();
  return new Promise((resolve, reject) => {
    res.on('error', reject);
    res.on('finish', () => {
      const text = Buffer.concat(res.chunks).toString('utf8');
      resolve({ status: res.statusCode, headers: res.recorded, text, json: () => JSON.parse(text) });
    });
    handler(req, res as unknown as ServerResponse);
  });
}
