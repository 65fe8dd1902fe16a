/**
 * A webhook receiver for lab tests, run inside a host's namespace (a daemon there posts to its
 * loopback): it verifies each POST's signature as docs/notifications.md tells receivers to
 * (src/notify/webhook/signature.ts), answers 2xx only when it holds, and prints one JSON line
 * per request: {"event":"received","verdict":{...},"kind":...,"payload":{...}}.
 *
 * Started with nodeEntryCommand(…, 'runWebhookReceiver', config); nothing acts on import.
 */
import { createServer } from 'node:http';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifySignature } from '../notify/webhook/signature.js';

export interface WebhookReceiverConfig {
  port: number;
  secret: string;
}

export async function runWebhookReceiver(config: WebhookReceiverConfig): Promise<void> {
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const header = (name: string) => (typeof req.headers[name] === 'string' ? (req.headers[name] as string) : undefined);
      const verdict = verifySignature(config.secret, body, header(SIGNATURE_HEADER), header(TIMESTAMP_HEADER), Math.floor(Date.now() / 1000));
      let payload: unknown;
      try {
        payload = JSON.parse(body.toString('utf8'));
      } catch {
        payload = null;
      }
      process.stdout.write(`${JSON.stringify({ event: 'received', method: req.method, kind: header('x-hotstandby-event'), verdict, payload })}\n`);
      res.writeHead(verdict.ok ? 204 : 401).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, '127.0.0.1', () => resolve());
  });
  process.stdout.write(`${JSON.stringify({ event: 'listening', port: config.port })}\n`);
  process.once('SIGTERM', () => server.close(() => process.exit(0)));
}
