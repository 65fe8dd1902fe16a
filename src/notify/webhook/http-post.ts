/**
 * One POST of a JSON body with a deadline for the whole exchange. A 2xx answer is success; a 4xx
 * other than 408 and 429 is permanent (the receiver refuses this request: retrying will not help,
 * e.g. a wrong signature); anything else (5xx, 408, 429, a refused connection, a timeout) may be
 * retried. Redirects are not followed. The answer's body is read and dropped, up to 64 KiB kept.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

export class WebhookError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'WebhookError';
  }

  get permanent(): boolean {
    return this.status !== undefined && this.status >= 400 && this.status < 500 && this.status !== 408 && this.status !== 429;
  }
}

export interface PostOptions {
  url: string;
  body: string;
  headers: Record<string, string>;
  timeoutMs: number;
  ca?: string | Buffer;
}

const KEEP_BYTES = 64 * 1024;

export function postJson(options: PostOptions): Promise<{ status: number; body: string }> {
  const url = new URL(options.url);
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (err: Error | undefined, value?: { status: number; body: string }): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(value as { status: number; body: string });
    };
    const req = request(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(options.body)), 'user-agent': 'hotstandby', ...options.headers },
        ...(options.ca !== undefined ? { ca: options.ca } : {}),
        agent: false,
      },
      (res: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let kept = 0;
        res.on('data', (chunk: Buffer) => {
          if (kept < KEEP_BYTES) chunks.push(chunk.subarray(0, KEEP_BYTES - kept));
          kept += chunk.length;
        });
        res.on('error', (err) => finish(new WebhookError(`answer broke off: ${err.message}`)));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          const body = Buffer.concat(chunks).toString('utf8');
          if (status >= 200 && status < 300) finish(undefined, { status, body });
          else finish(new WebhookError(`receiver answered ${status}${body ? `: ${body.slice(0, 200)}` : ''}`, status));
        });
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      finish(new WebhookError(`no answer within ${options.timeoutMs} ms`));
    }, options.timeoutMs);
    req.on('error', (err) => finish(new WebhookError(`cannot POST: ${err.message}`)));
    req.end(options.body);
  });
}
