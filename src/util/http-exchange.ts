/**
 * One HTTP(S) request with a deadline for the whole exchange and a bound on the answer kept
 * (the rest is read and dropped), for the daemon's outgoing calls (webhooks, the peer's API).
 * Resolves with any status; rejects only when there is no answer (refused, reset, timed out).
 * Redirects are not followed; no connection is kept alive.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface ExchangeOptions {
  method: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs: number;
  /** PEM CA certificates for https (default: the system's). */
  ca?: string | Buffer;
  /** Answer bytes kept; a longer answer is cut (`truncated`). */
  keepBytes: number;
}

export interface Exchange {
  status: number;
  body: string;
  truncated: boolean;
}

export class ExchangeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExchangeError';
  }
}

export function exchange(options: ExchangeOptions): Promise<Exchange> {
  const url = new URL(options.url);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (err: Error | undefined, value?: Exchange): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(value as Exchange);
    };
    const headers: Record<string, string> = { 'user-agent': 'hotstandby', ...options.headers };
    if (options.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body));
    const req = request(url, { method: options.method, headers, agent: false, ...(options.ca !== undefined ? { ca: options.ca } : {}) }, (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let seen = 0;
      res.on('data', (chunk: Buffer) => {
        if (seen < options.keepBytes) chunks.push(chunk.subarray(0, options.keepBytes - seen));
        seen += chunk.length;
      });
      res.on('error', (err) => finish(new ExchangeError(`answer broke off: ${err.message}`)));
      res.on('end', () => finish(undefined, { status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), truncated: seen > options.keepBytes }));
    });
    const timer = setTimeout(() => {
      req.destroy();
      finish(new ExchangeError(`no answer within ${options.timeoutMs} ms`));
    }, options.timeoutMs);
    req.on('error', (err) => finish(new ExchangeError(`cannot ${options.method} ${url.host}: ${err.message}`)));
    req.end(options.body);
  });
}
