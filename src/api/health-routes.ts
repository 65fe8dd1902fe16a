/**
 * GET /v1/health/primary and /v1/health/replica?max_lag=… (Patroni's convention, for load
 * balancers and monitoring): served by the control API on the unix socket and on the optional
 * TCP listener (there with the read token, like every route). The answers come from
 * src/resources/postgresql/health.ts.
 */
import type { Clock } from '../ports/index.js';
import { healthAnswer, parseMaxLag, type PostgresqlHealthView } from '../resources/postgresql/health.js';
import { HttpError, sendJson } from './http.js';
import type { Route } from './router.js';

export function healthRoutes(views: () => readonly PostgresqlHealthView[], clock: Clock): Route[] {
  return [
    {
      method: 'GET',
      path: '/v1/health/primary',
      handle: ({ res }) => {
        const answer = healthAnswer('primary', views(), clock.now());
        sendJson(res, answer.status, answer.body);
      },
    },
    {
      method: 'GET',
      path: '/v1/health/replica',
      handle: ({ res, url }) => {
        const raw = url.searchParams.get('max_lag') ?? url.searchParams.get('lag');
        let maxLagBytes: number | undefined;
        try {
          maxLagBytes = raw === null ? undefined : parseMaxLag(raw);
        } catch (error) {
          throw new HttpError(400, (error as Error).message);
        }
        const answer = healthAnswer('replica', views(), clock.now(), maxLagBytes !== undefined ? { maxLagBytes } : {});
        sendJson(res, answer.status, answer.body);
      },
    },
  ];
}
