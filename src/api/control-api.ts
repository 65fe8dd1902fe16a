/**
 * The control API as a plain request handler (built apart from listening, so tests inject
 * requests without a socket). JSON over HTTP; the full API grows in the operations issue.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { InstanceStatus } from '../daemon/instance-runner.js';
import type { DropReason } from '../vrrp/drop-reason.js';

export interface DaemonStatus {
  pid: number;
  startedAt: string;
  instances: InstanceStatus[];
  /** Drops no instance claims (unknown VRID, unreadable packets), by interface. */
  unmatchedDrops: Record<string, Record<DropReason, number>>;
}

export interface StatusSource {
  status(): DaemonStatus;
}

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

export function createControlApi(source: StatusSource): RequestHandler {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://control');
    if (url.pathname === '/v1/status') {
      if (req.method !== 'GET') return sendJson(res, 405, { error: `Method ${req.method} not allowed on ${url.pathname}` });
      return sendJson(res, 200, source.status());
    }
    sendJson(res, 404, { error: `No such resource: ${url.pathname}` });
  };
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
