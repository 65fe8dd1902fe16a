/**
 * A small route table: "GET /v1/instances/:name" patterns, percent-decoded parameters, and the
 * difference between an unknown path (404) and a known path with the wrong method (405 + Allow).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HttpError } from './http.js';

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  params: Record<string, string>;
}

export interface Route {
  method: 'GET' | 'POST';
  /** Literal segments and `:name` parameters, e.g. "/v1/instances/:name/garp". */
  path: string;
  handle(context: RequestContext): void | Promise<void>;
}

export type RouteMatch = { route: Route; params: Record<string, string> };

export class Router {
  private readonly compiled: Array<{ route: Route; segments: string[] }>;

  constructor(routes: readonly Route[]) {
    this.compiled = routes.map((route) => ({ route, segments: splitPath(route.path) }));
  }

  /** The route for method and path; throws HttpError 404 / 405 (with Allow) / 400 (bad escapes). */
  match(method: string, pathname: string): RouteMatch {
    const segments = splitPath(pathname).map(decodeSegment);
    const allowed = new Set<string>();
    for (const { route, segments: pattern } of this.compiled) {
      const params = matchSegments(pattern, segments);
      if (params === undefined) continue;
      if (route.method === method) return { route, params };
      allowed.add(route.method);
    }
    if (allowed.size > 0) {
      const allow = [...allowed].sort().join(', ');
      throw new HttpError(405, `Method ${method} is not allowed on ${pathname}; use ${allow}`, { allow });
    }
    throw new HttpError(404, `No such resource: ${pathname}`);
  }
}

function splitPath(path: string): string[] {
  // "/v1/instances/" and "/v1/instances" are the same resource.
  return path.split('/').filter((segment, i, all) => i > 0 && !(segment === '' && i === all.length - 1));
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, `Path segment "${segment}" is not valid percent-encoding`);
  }
}

function matchSegments(pattern: string[], segments: string[]): Record<string, string> | undefined {
  if (pattern.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const expected = pattern[i] as string;
    const actual = segments[i] as string;
    if (expected.startsWith(':')) {
      if (actual === '') return undefined;
      params[expected.slice(1)] = actual;
    } else if (expected !== actual) {
      return undefined;
    }
  }
  return params;
}
