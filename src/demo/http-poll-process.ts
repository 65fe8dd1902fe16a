/**
 * The file act's client, run inside the client's namespace: GET a URL every `intervalMs` (a fresh
 * connection each time) until an answer is 200 from the node `from` (the x-served-by header), then
 * print it as one JSON line {"event":"answer","servedBy","body","at"} (`at`: epoch ms at which that
 * request was sent) and exit; {"event":"timeout","last"} after `timeoutMs`. One process for the
 * whole wait, so the time measured is the network's, not a process start's.
 *
 * Started with nodeEntryCommand(…, 'runHttpPoll', config); nothing acts on import.
 */
import { request } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { SERVED_BY_HEADER } from './web-server-process.js';

export interface HttpPollConfig {
  url: string;
  /** The node whose answer ends the wait. */
  from: string;
  intervalMs: number;
  /** Per request. */
  requestTimeoutMs: number;
  timeoutMs: number;
}

export interface HttpPollResult {
  event: 'answer' | 'timeout';
  servedBy?: string;
  status?: number;
  body?: string;
  /** Epoch ms at which the answered request was sent. */
  at?: number;
  /** The last outcome before a timeout. */
  last?: string;
}

function get(url: string, timeoutMs: number): Promise<{ status: number; servedBy: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const servedBy = res.headers[SERVED_BY_HEADER];
        resolve({ status: res.statusCode ?? 0, servedBy: typeof servedBy === 'string' ? servedBy : undefined, body: Buffer.concat(chunks).toString('utf8') });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

export async function runHttpPoll(config: HttpPollConfig): Promise<void> {
  const deadline = Date.now() + config.timeoutMs;
  let last = 'no request yet';
  while (Date.now() < deadline) {
    const at = Date.now();
    try {
      const answer = await get(config.url, config.requestTimeoutMs);
      if (answer.status === 200 && answer.servedBy === config.from) {
        const result: HttpPollResult = { event: 'answer', servedBy: answer.servedBy, status: answer.status, body: answer.body, at };
        process.stdout.write(`${JSON.stringify(result)}\n`);
        return;
      }
      last = `${answer.status} from ${answer.servedBy ?? 'an unnamed server'}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(Math.max(0, at + config.intervalMs - Date.now()));
  }
  const result: HttpPollResult = { event: 'timeout', last };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
