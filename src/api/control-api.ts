/**
 * The control API as a plain request handler, built apart from listening, so tests inject
 * requests without a socket and the same handler serves the unix socket and the TCP listener.
 * JSON over HTTP, versioned under /v1; Prometheus text on /metrics. A bad request gets a 4xx
 * with {"error": message}; nothing a client sends can crash the daemon.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Registry } from 'prom-client';
import { ConfigError } from '../config/config-error.js';
import type { Logger } from '../ports/index.js';
import type { DropReason } from '../vrrp/drop-reason.js';
import type { ResourceStatus } from '../resources/group.js';
import { ConflictError, UnknownInstanceError, type DaemonControl } from './daemon-control.js';
import { EventStreams, parseSeq, type EventStreamOptions } from './event-stream.js';
import { DEFAULT_BODY_LIMIT, HttpError, readJsonBody, sendJson, sendText } from './http.js';
import { instanceDetail, type ReportedInstance } from './instance-view.js';
import { createMetricsRegistry, type MetricsOptions } from './metrics.js';
import { redactConfig } from './redact.js';
import { actorOf } from './request-identity.js';
import { Router, type RequestContext, type Route } from './router.js';

export interface DaemonStatus {
  pid: number;
  startedAt: string;
  instances: ReportedInstance[];
  /** Drops no instance claims (unknown VRID, unreadable packets), by interface. */
  unmatchedDrops: Record<string, Record<DropReason, number>>;
  /** Role-following resources (absent when none are configured). */
  resources?: ResourceStatus[];
}

export interface StatusSource {
  status(): DaemonStatus;
}

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

export interface ControlApiOptions {
  /** Where internal errors (500) are reported. */
  log?: Logger;
  /** Largest accepted request body (default 64 KiB); larger ones get 413. */
  bodyLimit?: number;
  stream?: EventStreamOptions;
  metrics?: MetricsOptions;
  /** More routes served beside /v1 and /metrics (the dashboard's, src/ui/). */
  routes?: readonly Route[];
}

/** The handler, plus what the daemon needs around it. */
export interface ControlApi extends RequestHandler {
  /** Ends open event streams, so the server can close (call before server.close()). */
  close(): void;
}

export function createControlApi(control: DaemonControl, options: ControlApiOptions = {}): ControlApi {
  const registry = lazyRegistry(control, options.metrics);
  const streams = new EventStreams(control, options.stream);
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const router = new Router([...routes(control, registry, streams, bodyLimit), ...(options.routes ?? [])]);

  const dispatch = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if (!req.url?.startsWith('/')) throw new HttpError(400, `Request target must be a path, got "${req.url ?? ''}"`);
    const url = new URL(req.url, 'http://control');
    const { route, params } = router.match(req.method ?? 'GET', url.pathname);
    await route.handle({ req, res, url, params });
  };

  const handler: RequestHandler = (req, res) => {
    // A client that resets mid-request must not surface as an unhandled 'error' event.
    req.on('error', () => res.destroy());
    res.on('error', () => {});
    dispatch(req, res).catch((err: unknown) => {
      // Nothing may escape as an unhandled rejection: that would stop the daemon.
      try {
        const { status, message, headers } = describeError(err);
        if (status >= 500) options.log?.log('error', 'control API request failed', { method: req.method, url: req.url, error: errorText(err) });
        if (res.headersSent) {
          res.destroy();
          return;
        }
        sendJson(res, status, { error: message }, headers);
      } catch {
        res.destroy();
      }
    });
  };
  return Object.assign(handler, { close: () => streams.closeAll() });
}

function routes(control: DaemonControl, registry: () => Registry, streams: EventStreams, bodyLimit: number): Route[] {
  const findInstance = (name: string): ReportedInstance => {
    const instance = control.status().instances.find((i) => i.name === name);
    if (instance === undefined) throw new UnknownInstanceError(name);
    return instance;
  };
  return [
    { method: 'GET', path: '/v1/status', handle: ({ res }) => sendJson(res, 200, control.status()) },
    {
      method: 'GET',
      path: '/v1/instances',
      handle: ({ res }) => {
        const checks = control.checks();
        const configs = control.config().instances;
        sendJson(res, 200, { instances: control.status().instances.map((i) => instanceDetail(i, checks, configs.find((c) => c.name === i.name))) });
      },
    },
    {
      method: 'GET',
      path: '/v1/instances/:name',
      handle: ({ res, params }) => {
        const instance = findInstance(params.name as string);
        sendJson(res, 200, instanceDetail(instance, control.checks(), control.config().instances.find((c) => c.name === instance.name)));
      },
    },
    { method: 'GET', path: '/v1/checks', handle: ({ res }) => sendJson(res, 200, { checks: control.checks() }) },
    { method: 'GET', path: '/v1/resources', handle: ({ res }) => sendJson(res, 200, { resources: control.status().resources ?? [] }) },
    {
      method: 'GET',
      path: '/v1/events',
      handle: ({ res, url }) => sendJson(res, 200, { events: control.events(parseSeq(url.searchParams.get('since'), 'since')) }),
    },
    { method: 'GET', path: '/v1/events/stream', handle: ({ req, res, url }) => streams.serve(req, res, url) },
    { method: 'GET', path: '/v1/config', handle: ({ res }) => sendJson(res, 200, { config: redactConfig(control.config()) }) },
    {
      method: 'POST',
      path: '/v1/reload',
      handle: async ({ req, res }) => {
        const actor = actorOf(req, await readJsonBody(req, bodyLimit));
        const result = await control.reload(actor);
        // 422: the new file is invalid; the running configuration is untouched.
        sendJson(res, result.ok ? 200 : 422, result.ok ? result : { error: result.message, ...result });
      },
    },
    {
      method: 'POST',
      path: '/v1/instances/:name/maintenance',
      handle: async ({ req, res, params }) => {
        const body = await readJsonBody(req, bodyLimit);
        const on = maintenanceFlag(body);
        const force = forceFlag(body);
        const actor = actorOf(req, body);
        const name = findInstance(params.name as string).name;
        // 409 when no peer can take over (the instance keeps serving); {"force": true} overrides.
        await control.setMaintenance(name, on, actor, force ? { force } : undefined);
        sendJson(res, 200, { instance: name, maintenance: on });
      },
    },
    {
      method: 'POST',
      path: '/v1/instances/:name/garp',
      handle: async ({ req, res, params }) => {
        const actor = actorOf(req, await readJsonBody(req, bodyLimit));
        const name = findInstance(params.name as string).name;
        control.sendGarp(name, actor);
        sendJson(res, 200, { instance: name, garp: 'sent' });
      },
    },
    { method: 'GET', path: '/metrics', handle: metricsRoute(registry) },
  ];
}

/**
 * The registry is built at the first scrape, so a daemon nobody scrapes does not run the
 * event-loop delay monitor of its default metrics, which wakes the loop 100 times a second.
 * prom-client itself is loaded with this module, at start-up: its require tree (OpenTelemetry,
 * http, https) is synchronous and took 60 ms on a quiet machine and up to 800 ms on a loaded one,
 * long enough for a master scraped for the first time to miss its adverts and lose the role.
 */
function lazyRegistry(control: DaemonControl, options: MetricsOptions | undefined): () => Registry {
  let registry: Registry | undefined;
  return () => (registry ??= createMetricsRegistry(control, options));
}

function metricsRoute(registry: () => Registry): (context: RequestContext) => Promise<void> {
  return async ({ res }) => {
    const metrics = registry();
    sendText(res, 200, metrics.contentType, await metrics.metrics());
  };
}

function maintenanceFlag(body: unknown): boolean {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpError(400, 'Request body must be a JSON object like {"on": true}');
  }
  const on = (body as Record<string, unknown>).on;
  if (typeof on !== 'boolean') throw new HttpError(400, `"on" must be true or false, got ${JSON.stringify(on) ?? 'nothing'}`);
  return on;
}

/** Optional "force": hand over even when no peer can take over. */
function forceFlag(body: unknown): boolean {
  const force = (body as Record<string, unknown>).force;
  if (force === undefined) return false;
  if (typeof force !== 'boolean') throw new HttpError(400, `"force" must be true or false, got ${JSON.stringify(force)}`);
  return force;
}

function describeError(err: unknown): { status: number; message: string; headers: Record<string, string> } {
  if (err instanceof TypeError && err.message.startsWith('"actor"')) return { status: 400, message: err.message, headers: {} };
  if (err instanceof HttpError) return { status: err.status, message: err.message, headers: { ...(err.headers as Record<string, string>) } };
  if (err instanceof UnknownInstanceError) return { status: 404, message: err.message, headers: {} };
  if (err instanceof ConflictError) return { status: 409, message: err.message, headers: {} };
  if (err instanceof ConfigError) return { status: 422, message: err.message, headers: {} };
  return { status: 500, message: `Internal error: ${err instanceof Error ? err.message : String(err)}`, headers: {} };
}

function errorText(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}
