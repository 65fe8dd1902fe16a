/**
 * One POST of a webhook's JSON. A 2xx answer is success; a 4xx other than 408 and 429 is
 * permanent (the receiver refuses this request: retrying will not help, e.g. a wrong
 * signature); anything else (5xx, 408, 429, a refused connection, a timeout) may be retried.
 */
import { exchange } from '../../util/http-exchange.js';

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

export async function postJson(options: PostOptions): Promise<{ status: number; body: string }> {
  let answer;
  try {
    answer = await exchange({ method: 'POST', url: options.url, body: options.body, headers: { 'content-type': 'application/json', ...options.headers }, timeoutMs: options.timeoutMs, keepBytes: 4096, ...(options.ca !== undefined ? { ca: options.ca } : {}) });
  } catch (err) {
    throw new WebhookError((err as Error).message);
  }
  if (answer.status >= 200 && answer.status < 300) return answer;
  throw new WebhookError(`receiver answered ${answer.status}${answer.body ? `: ${answer.body.slice(0, 200)}` : ''}`, answer.status);
}
