/**
 * The CLI's side of the control API: JSON requests and the event stream over the daemon's unix
 * socket.
 */
import { request, type IncomingMessage } from 'node:http';
import type { EventRecord } from './daemon-control.js';
import { SseParser } from './sse-parser.js';

export class ControlClientError extends Error {
  constructor(
    message: string,
    /**
     * not-running: no daemon on the socket; denied: no permission on the socket; bad-response: an
     * answer we cannot use; refused: the daemon said no (4xx).
     */
    readonly code: 'not-running' | 'denied' | 'bad-response' | 'refused',
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ControlClientError';
  }
}

export interface ControlResponse {
  status: number;
  body: unknown;
}

export const DEFAULT_TIMEOUT_MS = 5000;

/** One request; resolves with any status the daemon answers (4xx included), rejects when there is no usable answer. */
export function requestJson(
  socketPath: string,
  method: 'GET' | 'POST',
  path: string,
  body?: unknown,
  timeoutMs = DEFAULT_TIMEOUT_MS,
): Promise<ControlResponse> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string | number> = { accept: 'application/json' };
    if (payload !== undefined) {
      headers['content-type'] = 'application/json';
      headers['content-length'] = Buffer.byteLength(payload);
    }
    const req = request({ socketPath, path, method, headers, timeout: timeoutMs }, (res) => {
      collect(res).then((text) => {
        try {
          resolve({ status: res.statusCode ?? 500, body: JSON.parse(text) as unknown });
        } catch {
          reject(new ControlClientError(`Daemon sent something that is not JSON (status ${res.statusCode}): ${text.slice(0, 200)}`, 'bad-response'));
        }
      }, reject);
    });
    req.on('timeout', () => req.destroy(new ControlClientError(`No answer from the daemon within ${timeoutMs} ms`, 'bad-response')));
    req.on('error', (err: NodeJS.ErrnoException) => reject(connectionError(err, socketPath)));
    req.end(payload);
  });
}

/** GET a JSON resource; a 4xx/5xx answer rejects with its error message. */
export async function getJson(socketPath: string, path: string, timeoutMs = DEFAULT_TIMEOUT_MS): Promise<unknown> {
  return okBody(await requestJson(socketPath, 'GET', path, undefined, timeoutMs));
}

/** The body of a 2xx answer; otherwise a ControlClientError with the daemon's message. */
export function okBody(response: ControlResponse): unknown {
  if (response.status >= 200 && response.status < 300) return response.body;
  const message = errorMessage(response.body) ?? `Daemon answered ${response.status}`;
  throw new ControlClientError(message, response.status < 500 ? 'refused' : 'bad-response', response.status);
}

export function errorMessage(body: unknown): string | undefined {
  if (typeof body === 'object' && body !== null && typeof (body as { error?: unknown }).error === 'string') {
    return (body as { error: string }).error;
  }
  return undefined;
}

export interface FollowOptions {
  /** Replay kept events after this sequence number first (0 = all kept). */
  since?: number;
  onEvent(event: EventRecord): void;
  /** Stops following; the returned promise then resolves. */
  signal?: AbortSignal;
}

/**
 * Follows GET /v1/events/stream until the daemon ends it (resolves 'ended') or `signal` aborts
 * (resolves 'aborted'). Rejects when no daemon answers.
 */
export function followEvents(socketPath: string, options: FollowOptions): Promise<'ended' | 'aborted'> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) return resolve('aborted');
    const path = `/v1/events/stream${options.since !== undefined ? `?since=${options.since}` : ''}`;
    const req = request({ socketPath, path, method: 'GET', headers: { accept: 'text/event-stream' } });
    const onAbort = (): void => {
      req.destroy();
      resolve('aborted');
    };
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const done = (outcome: 'ended'): void => {
      options.signal?.removeEventListener('abort', onAbort);
      resolve(outcome);
    };
    req.on('response', (res) => {
      if (res.statusCode !== 200) {
        collect(res).then((text) => {
          let body: unknown;
          try {
            body = JSON.parse(text);
          } catch {
            body = undefined;
          }
          reject(new ControlClientError(errorMessage(body) ?? `Daemon answered ${res.statusCode}`, 'bad-response', res.statusCode));
        }, reject);
        return;
      }
      res.setEncoding('utf8');
      const parser = new SseParser((message) => {
        try {
          options.onEvent(JSON.parse(message.data) as EventRecord);
        } catch (err) {
          req.destroy();
          reject(err instanceof SyntaxError ? new ControlClientError(`Daemon sent an event that is not JSON: ${message.data.slice(0, 200)}`, 'bad-response') : err);
        }
      });
      res.on('data', (chunk: string) => parser.push(chunk));
      res.on('end', () => done('ended'));
      res.on('error', () => done('ended'));
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (options.signal?.aborted) return;
      reject(connectionError(err, socketPath));
    });
    req.end();
  });
}

function collect(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

function connectionError(err: NodeJS.ErrnoException, socketPath: string): Error {
  if (err instanceof ControlClientError) return err;
  if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') {
    return new ControlClientError(`No daemon is running with control socket ${socketPath}`, 'not-running');
  }
  if (err.code === 'EACCES') return new ControlClientError(`Permission denied on control socket ${socketPath} (run as root)`, 'denied');
  return err;
}

/** Exit codes of the commands that talk to the daemon (sysexits.h values where one fits). */
export const CLIENT_EXIT = Object.freeze({
  ok: 0,
  /** The daemon understood and said no (unknown instance, invalid new configuration, conflict). */
  refused: 1,
  usage: 64,
  /** No daemon is running on the control socket. */
  unavailable: 69,
  /** An answer we could not use, or a bug. */
  software: 70,
  /** No permission on the control socket. */
  noPermission: 77,
});

export const CLIENT_EXIT_HELP = `Exit codes: 0 done, 1 refused by the daemon (the message says why), 64 bad usage,
69 no daemon running, 70 unusable answer or internal error, 77 no permission on the socket.`;

export function exitCodeFor(err: unknown): number {
  if (!(err instanceof ControlClientError)) return CLIENT_EXIT.software;
  switch (err.code) {
    case 'not-running':
      return CLIENT_EXIT.unavailable;
    case 'denied':
      return CLIENT_EXIT.noPermission;
    case 'refused':
      return CLIENT_EXIT.refused;
    case 'bad-response':
      return CLIENT_EXIT.software;
  }
}
