/**
 * The demo's client, run inside the client namespace: a GET on the virtual address every
 * `intervalMs`, each on a new connection with a short timeout, without waiting for the previous
 * one (a request hanging on a dead node must not hold the next ones back). Prints one JSON line
 * per finished request (a RequestOutcome): when it ended, whether it got an answer, and which
 * node answered.
 *
 * Started by demo.ts with `node -e "import(…).then(m => m.runHttpClient(config))"`.
 */
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { RequestOutcome } from './gap.js';

export interface HttpClientConfig {
  url: string;
  intervalMs: number;
  /** The whole request (connect, answer, body) must finish within this. */
  timeoutMs: number;
  /** The lab directory: marks the process as the demo's in `ps` (and for the cleanup test). */
  labDir: string;
}

/** Requests in flight at most; beyond that a tick is skipped (the node is not answering anyway). */
const MAX_IN_FLIGHT = 64;

/** Wall-clock milliseconds with sub-millisecond resolution; the demo compares them across processes. */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}

function emit(outcome: RequestOutcome): void {
  process.stdout.write(`${JSON.stringify(outcome)}\n`);
}

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
      emit(outcome);
    });
  };
  tick();
  setInterval(tick, config.intervalMs);
  process.once('SIGTERM', () => process.exit(0));
  return new Promise<void>(() => {
    /* runs until killed */
  });
}
