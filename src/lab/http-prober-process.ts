/**
 * Runs inside a lab host (see node-entry.ts): GETs a URL every intervalMs on a fresh connection
 * (no keep-alive: each request must find the VIP's current owner) and prints one JSON line per
 * request: when it was sent, whether it succeeded, and the first line of the body (which node
 * answered). Stops on SIGTERM, or after maxMs.
 */
import { request } from 'node:http';

export interface HttpProberConfig {
  url: string;
  intervalMs: number;
  timeoutMs: number;
  maxMs: number;
}

export interface HttpProbeLine {
  /** Wall-clock ms when sent. */
  at: number;
  ok: boolean;
  latencyMs: number;
  body: string;
}

function probe(url: string, timeoutMs: number): Promise<HttpProbeLine> {
  const at = Date.now();
  const started = performance.now();
  return new Promise((resolve) => {
    const done = (ok: boolean, body: string) => resolve({ at, ok, latencyMs: performance.now() - started, body });
    const req = request(url, { agent: false, timeout: timeoutMs, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => done(res.statusCode === 200, body.split('\n')[0] ?? ''));
      res.on('error', (err) => done(false, err.message));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', (err) => done(false, err.message));
    req.end();
  });
}

export async function runHttpProber(config: HttpProberConfig): Promise<void> {
  let stopped = false;
  process.on('SIGTERM', () => (stopped = true));
  const end = Date.now() + config.maxMs;
  while (!stopped && Date.now() < end) {
    const next = Date.now() + config.intervalMs;
    const line = await probe(config.url, config.timeoutMs);
    process.stdout.write(`${JSON.stringify(line)}\n`);
    const wait = next - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
}
