/**
 * The backups under /v1/backups (issue 13 §4, issue 14 §1): the jobs (last run, result, size,
 * duration, next run, alarms, progress with ETA), each job's snapshots, a snapshot's tree, a file
 * downloaded, and the admin actions "run now" and "restore a file or directory to a path".
 * Who may act is decided before these run (web-access.ts: admin only, Origin / CSRF rules); the
 * actor is named in the event log as for every action.
 */
import type { ServerResponse } from 'node:http';
import type { Backups } from '../backup/jobs/backups.js';
import { HttpError, readJsonBody, sendJson } from './http.js';
import { actorOf } from './request-identity.js';
import type { Route } from './router.js';

export type BackupsControl = Pick<Backups, 'status' | 'snapshots' | 'tree' | 'restore' | 'download' | 'runNow'>;

/** Errors of the backup subsystem and its workers, as HTTP answers. */
function httpError(err: unknown): unknown {
  if (!(err instanceof Error) || err instanceof HttpError) return err;
  switch (err.name) {
    case 'UnknownBackupError':
    case 'NoSuchPathError':
    case 'NotFoundError':
      return new HttpError(404, err.message);
    case 'BackupConflictError':
    case 'LockedError':
      return new HttpError(409, err.message);
    case 'RangeError':
    case 'SyntaxError':
      return new HttpError(400, err.message);
    case 'WrongPasswordError':
    case 'NoRepositoryError':
    case 'WorkerGoneError':
      return new HttpError(502, `The repository cannot be used: ${err.message}`);
    default:
      return err;
  }
}

const mapped = (handle: Route['handle']): Route['handle'] => async (ctx) => {
  try {
    await handle(ctx);
  } catch (err) {
    throw httpError(err);
  }
};

function repoIndex(url: URL): number {
  const text = url.searchParams.get('repo') ?? '0';
  if (!/^\d{1,3}$/.test(text)) throw new HttpError(400, `"repo" must be a repository number (0 for the first), got "${text}"`);
  return Number(text);
}

function pathParam(url: URL, required: boolean): string {
  const path = url.searchParams.get('path') ?? (required ? undefined : '/');
  if (path === undefined || !path.startsWith('/')) throw new HttpError(400, '"path" must be an absolute path in the snapshot, like /srv/www/index.html');
  return path;
}

function stringField(body: Record<string, unknown>, name: string, example: string): string {
  const v = body[name];
  if (typeof v !== 'string' || v === '') throw new HttpError(400, `"${name}" must be a non-empty string, like ${JSON.stringify(example)}`);
  return v;
}

function objectBody(body: unknown): Record<string, unknown> {
  if (body === undefined) return {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new HttpError(400, 'Request body must be a JSON object');
  return body as Record<string, unknown>;
}

/** Writes a chunk; resolves when the socket wants more; rejects when the client went away. */
function writer(res: ServerResponse): (data: Buffer) => Promise<void> {
  return (data) =>
    new Promise((resolve, reject) => {
      if (res.destroyed) return reject(new Error('The client went away'));
      if (res.write(data)) return resolve();
      const done = () => {
        res.off('close', gone);
        resolve();
      };
      const gone = () => {
        res.off('drain', done);
        reject(new Error('The client went away'));
      };
      res.once('drain', done);
      res.once('close', gone);
    });
}

export function backupRoutes(backups: BackupsControl, bodyLimit?: number): Route[] {
  return [
    { method: 'GET', path: '/v1/backups', handle: ({ res }) => sendJson(res, 200, backups.status()) },
    {
      method: 'GET',
      path: '/v1/backups/jobs/:job/snapshots',
      handle: mapped(async ({ res, url, params }) => sendJson(res, 200, { snapshots: await backups.snapshots(params.job as string, repoIndex(url)) })),
    },
    {
      method: 'GET',
      path: '/v1/backups/jobs/:job/snapshots/:snapshot/tree',
      handle: mapped(async ({ res, url, params }) => sendJson(res, 200, await backups.tree(params.job as string, repoIndex(url), params.snapshot as string, pathParam(url, false)))),
    },
    {
      method: 'GET',
      path: '/v1/backups/jobs/:job/snapshots/:snapshot/file',
      handle: mapped(async ({ res, url, params }) => {
        const path = pathParam(url, true);
        const name = path.split('/').pop() || 'file';
        let started = false;
        const write = writer(res);
        try {
          await backups.download(params.job as string, repoIndex(url), params.snapshot as string, path, async (data) => {
            if (!started) {
              started = true;
              res.writeHead(200, {
                'content-type': 'application/octet-stream',
                'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(name)}`,
                'cache-control': 'no-store',
                'x-content-type-options': 'nosniff',
              });
            }
            await write(data);
          });
        } catch (err) {
          if (started) return void res.destroy(); // a cut download must not look complete
          throw err;
        }
        if (!started) res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-disposition': `attachment; filename*=UTF-8''${encodeURIComponent(name)}`, 'cache-control': 'no-store' });
        res.end();
      }),
    },
    {
      method: 'POST',
      path: '/v1/backups/jobs/:job/run',
      handle: mapped(async ({ req, res, params }) => {
        const actor = actorOf(req, await readJsonBody(req, bodyLimit));
        backups.runNow(params.job as string, actor);
        sendJson(res, 202, { job: params.job, run: 'started' });
      }),
    },
    {
      method: 'POST',
      path: '/v1/backups/jobs/:job/restore',
      handle: mapped(async ({ req, res, params }) => {
        const raw = await readJsonBody(req, bodyLimit);
        const body = objectBody(raw);
        const actor = actorOf(req, raw);
        const repo = body.repo === undefined ? 0 : body.repo;
        if (typeof repo !== 'number' || !Number.isInteger(repo) || repo < 0) throw new HttpError(400, '"repo" must be a repository number (0 for the first)');
        const snapshot = stringField(body, 'snapshot', 'a1b2c3d4');
        const path = stringField(body, 'path', '/srv/www/index.html');
        const target = stringField(body, 'target', '/var/tmp/restore');
        if (!path.startsWith('/')) throw new HttpError(400, '"path" must be an absolute path in the snapshot');
        if (!target.startsWith('/')) throw new HttpError(400, '"target" must be an absolute directory on this node');
        const op = backups.restore(params.job as string, repo, snapshot, path, target, actor);
        sendJson(res, 202, { operation: op });
      }),
    },
  ];
}
