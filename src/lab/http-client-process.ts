/**
 * The lab's HTTP client, run inside a lab host (see node-entry.ts): a GET on `url` every
 * `intervalMs`, each on a new connection (no keep-alive: each request must find the virtual
 * address's current owner) with a timeout on the whole request, without waiting for the previous
 * one (a request hanging on a dead node must not hold the next ones back). Prints one JSON line
 * per finished request (a RequestOutcome), in the order they finished. Runs until SIGTERM, or
 * until `maxMs` when given.
 */
import { request } from 'node:http';
import { preciseNow, type RequestOutcome } from './request-outcome.js';

export interface HttpClientConfig {
  url: string;
  intervalMs: number;
  /** The whole request (connect, answer, body) must finish within this. */
  timeoutMs: number;
  /** Stop by itself after this long (a safety net should its parent not stop it). */
  maxMs?: number;
}

/** Requests in flight at most; beyond that a tick is skipped (the node is not answering anyway). */
const MAX_IN_FLIGHT = 64;

/** One GET; resolves with its outcome, never rejects. */
export function getOnce(url: string, timeoutMs: number): Promise<RequestOutcome> {
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: Omit<RequestOutcome, 'at'>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ at: preciseNow(), ...outcome });
    };
    const req = request(url, { agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('error', (error: NodeJS.ErrnoException) => finish({ ok: false, error: error.code ?? error.message }));
      res.on('end', () => {
        const node = /^node (\S+)/.exec(Buffer.concat(chunks).toString('utf8'))?.[1];
        if (res.statusCode === 200 && node !== undefined) finish({ ok: true, node });
        else finish({ ok: false, error: `status ${res.statusCode}` });
      });
    });
    const timer = setTimeout(() => {
      finish({ ok: false, error: 'timeout' });
      req.destroy();
    }, timeoutMs);
    req.on('error', (error: NodeJS.ErrnoException) => finish({ ok: false, error: error.code ?? error.message }));
    req.end();
  });
}

export function runHttpClient(config: HttpClientConfig): Promise<void> {
  let inFlight = 0;
  const tick = (): void => {
    if (inFlight >= MAX_IN_FLIGHT) return;
    inFlight++;
    void getOnce(config.url, config.timeoutMs).then((outcome) => {
      inFlight--;
      process.stdout.write(`${JSON.stringify(outcome)}\n`);
    });
  };
  tick();
  setInterval(tick, config.intervalMs);
  process.once('SIGTERM', () => process.exit(0));
  if (config.maxMs !== undefined) setTimeout(() => process.exit(0), config.maxMs);
  return new Promise<void>(() => {
    /* runs until stopped */
  });
}
