/**
 * The dashboard's routes, served by the control API beside /v1 (createControlApi's `routes`):
 * the page at / and /ui/, the tiles alone for refreshes, the login page, and static files.
 * Every answer carries the security headers (strict CSP). Who may see what is decided before
 * these run, by the listener (src/api/web-access.ts); the identity says what to offer.
 */
import { hostname } from 'node:os';
import type { ServerResponse } from 'node:http';
import type { DaemonControl } from '../api/daemon-control.js';
import { instanceDetail } from '../api/instance-view.js';
import { identityOf } from '../api/request-identity.js';
import type { Route } from '../api/router.js';
import { Assets } from './assets.js';
import { renderLogin } from './login-page.js';
import { renderDashboard, renderInstanceTiles } from './page.js';
import type { PeerSource } from './peer-view.js';
import { renderBackupTiles, type BackupsView } from './backups-view.js';
import { renderResourceTiles } from './resources-view.js';
import { SECURITY_HEADERS } from './security-headers.js';

export interface DashboardOptions {
  /** The node's name in the title (default: router_id, else the host name). */
  node?: string;
  assets?: Assets;
  /** The peer as it reports itself (global.peerApi); rendered from its latest snapshot, never waited for. */
  peer?: PeerSource;
  /** The backup jobs (their section, /ui/fragments/backups). */
  backups?: BackupsView;
}

export function dashboardRoutes(control: DaemonControl, options: DashboardOptions = {}): Route[] {
  const assets = options.assets ?? new Assets();
  const node = (): string => options.node ?? control.config().global.routerId ?? hostname();
  const details = () => {
    const checks = control.checks();
    const configs = control.config().instances;
    return control.status().instances.map((i) => instanceDetail(i, checks, configs.find((c) => c.name === i.name)));
  };
  const page: Route['handle'] = ({ req, res }) => {
    const identity = identityOf(req);
    // The section appears once jobs are configured (also by a reload); the placeholder says how before.
    const backups = options.backups && options.backups.status().jobs.length > 0 ? options.backups : undefined;
    send(res, 200, 'text/html; charset=utf-8', renderDashboard({ node: node(), status: control.status(), instances: details(), identity, ...(options.peer ? { peer: options.peer } : {}), ...(backups ? { backups } : {}) }).text);
  };
  const backupRoutes: Route[] = options.backups
    ? [{ method: 'GET', path: '/ui/fragments/backups', handle: ({ req, res }) => send(res, 200, 'text/html; charset=utf-8', renderBackupTiles(options.backups!, identityOf(req).role === 'admin').text) }]
    : [];
  return [
    ...backupRoutes,
    { method: 'GET', path: '/', handle: page },
    { method: 'GET', path: '/ui', handle: page },
    {
      method: 'GET',
      path: '/ui/fragments/instances',
      handle: ({ req, res }) => send(res, 200, 'text/html; charset=utf-8', renderInstanceTiles(details(), identityOf(req).role === 'admin', options.peer).text),
    },
    { method: 'GET', path: '/ui/fragments/resources', handle: ({ res }) => send(res, 200, 'text/html; charset=utf-8', renderResourceTiles(control.status().resources ?? []).text) },
    {
      method: 'GET',
      path: '/ui/login',
      handle: ({ req, res }) => {
        // The unix socket has no tokens: straight to the dashboard.
        if (!identityOf(req).tcp) return void res.writeHead(303, { ...SECURITY_HEADERS, location: '/ui/' }).end();
        send(res, 200, 'text/html; charset=utf-8', renderLogin(node()).text);
      },
    },
    {
      method: 'GET',
      path: '/ui/assets/:file',
      handle: async ({ res, params }) => {
        const asset = await assets.get(params.file as string);
        send(res, 200, asset.contentType, asset.body);
      },
    },
  ];
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}
