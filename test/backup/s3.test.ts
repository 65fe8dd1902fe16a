/**
 * The S3 backend against s3rver on loopback (HTTPS, a self-signed certificate): the shared backend
 * suite with a cut link mid-upload, listing across pages, a bucket that is not there, a backup
 * written to S3 that restic 0.14 (minio-go) checks with --read-data and restores, and the server
 * gone mid-backup (a clear error; back, restic checks the repository and the next run completes).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { backup } from '../../src/backup/archiver.js';
import { S3Backend, type S3Location } from '../../src/backup/backend/s3.js';
import { Repository } from '../../src/backup/repo/repository.js';
import { ok, repoRoot, run, waitFor } from './restic-fixture.js';
import { backendSuite } from './support/backend-suite.js';
import { resticSkipReason, runRestic, treeDigest } from './support/restic.js';
import { CuttingProxy, S3_CREDENTIALS, s3SkipReason, startS3Server, type S3Server } from './support/s3-server.js';

const skip = s3SkipReason();
let server: S3Server | undefined;
let proxy: CuttingProxy | undefined;
let n = 0;

before(async () => {
  if (skip) return;
  server = await startS3Server(['repos']);
  proxy = new CuttingProxy(server.port);
  await proxy.start();
});
after(async () => {
  await proxy?.stop();
  await server?.stop();
});

const loc = (prefix: string, port = server!.port, bucket = 'repos'): S3Location => ({ protocol: 'https:', host: '127.0.0.1', port, bucket, prefix });
const backendAt = (prefix: string, options: { pageSize?: number; port?: number; bucket?: string; listObjectsV1?: boolean } = {}) =>
  new S3Backend(loc(prefix, options.port, options.bucket), { credentials: S3_CREDENTIALS, ca: server!.cert, ...(options.pageSize ? { pageSize: options.pageSize } : {}), ...(options.listObjectsV1 ? { listObjectsV1: true } : {}) });

if (skip) {
  test('S3Backend against s3rver', { skip }, () => {});
} else {
  backendSuite(
    'S3Backend',
    async () => ({ backend: backendAt(`suite/r${n++}`, { pageSize: 2 }), cleanup: async () => {} }),
    {
      // The upload goes through a proxy that cuts the TCP connection after 8 MiB.
      async cutSave(backend, h, data) {
        const prefix = (backend as unknown as { loc: S3Location }).loc.prefix;
        const viaProxy = backendAt(prefix, { port: proxy!.port });
        try {
          const cut = proxy!.cut(8 * 1024 * 1024);
          await assert.rejects(viaProxy.save(h, data), /socket|reset|hang up|EPIPE|cut/i);
          await cut;
        } finally {
          await viaProxy.close();
        }
      },
      cutLeavesPartial: 's3rver writes an upload straight to its final file, and keeps what arrived of a cut one',
      reopen: async (backend) => backendAt((backend as unknown as { loc: S3Location }).loc.prefix),
      ...(resticSkipReason()
        ? {}
        : {
            async resticCheck(backend) {
              const url = `s3:https://127.0.0.1:${server!.port}/repos/${(backend as unknown as { loc: S3Location }).loc.prefix}`;
              const env = { AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey };
              const r = await runRestic(['--cacert', server!.certFile, '-r', url, 'check', '--read-data'], 'pw', env);
              assert.equal(r.code, 0, r.stderr + r.stdout);
            },
          }),
    },
  );

  for (const listObjectsV1 of [false, true])
    test(`S3Backend: list() follows ${listObjectsV1 ? 'markers (s3.list-objects-v1)' : 'continuation tokens'} across pages`, async () => {
      const b = backendAt(`pages/r${n++}`, { pageSize: 3, listObjectsV1 });
      try {
        await b.create();
        const names = Array.from({ length: 10 }, () => randomBytes(32).toString('hex'));
        await Promise.all(names.map((name) => b.save({ type: 'index', name }, Buffer.from(name))));
        assert.deepEqual((await b.list('index')).map((f) => f.name).sort(), names.sort());
      } finally {
        await b.close();
      }
    });

  test("hotstandby backup with restic's -o s3.connections, s3.storage-class, s3.list-objects-v1, s3.bucket-lookup, s3.layout, s3.region; restic 0.14 with the same options checks it; s3legacy is refused", { skip: resticSkipReason(), timeout: 180_000 }, async () => {
    const src = mkdtempSync(join(tmpdir(), 'hs-s3-opts-'));
    try {
      writeFileSync(join(src, 'random'), randomBytes(2_000_000));
      writeFileSync(join(src, 'text'), 'hello S3 options\n'.repeat(1000));
      const prefix = `options/r${n++}`;
      const url = `s3:https://127.0.0.1:${server!.port}/repos/${prefix}`;
      const env = { AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey, RESTIC_CACERT: server!.certFile };
      const pw = join(src, '..', `${prefix.replace('/', '-')}-pw`);
      writeFileSync(pw, 'pw\n');
      const options = ['s3.connections=2', 's3.storage-class=STANDARD_IA', 's3.list-objects-v1=true', 's3.bucket-lookup=path', 's3.layout=default', 's3.region=us-east-1'].flatMap((o) => ['-o', o]);
      const at = (...args: string[]) => run(process.execPath, ['bin/hotstandby', 'backup', ...args, '-r', url, '--password-file', pw, ...options], env);
      ok(await at('init'), 'init');
      ok(await at('run', src), 'run');
      ok(await at('check', '--read-data'), 'check');
      ok(await at('snapshots'), 'snapshots (lists with ListObjects v1)');
      // s3rver keeps each object's x-amz-storage-class beside it.
      const metadata = readdirSync(join(server!.dir, 'data', 'repos', prefix), { recursive: true }).map(String).filter((f) => f.endsWith('metadata.json'));
      assert.ok(metadata.length > 3, `objects written (${metadata.length})`);
      for (const f of metadata) assert.equal((JSON.parse(readFileSync(join(server!.dir, 'data', 'repos', prefix, f), 'utf8')) as Record<string, string>)['x-amz-storage-class'], 'STANDARD_IA', f);
      const check = await runRestic(['--cacert', server!.certFile, '-r', url, ...options, 'check', '--read-data'], 'pw', env);
      assert.equal(check.code, 0, check.stderr + check.stdout);
      const legacy = await run(process.execPath, ['bin/hotstandby', 'backup', 'snapshots', '-r', url, '--password-file', pw, '-o', 's3.layout=s3legacy'], env);
      assert.equal(legacy.code, 64, legacy.stderr);
      assert.match(legacy.stderr, /option s3\.layout 's3legacy': hotstandby supports only the default layout/);
    } finally {
      rmSync(src, { recursive: true, force: true });
    }
  });

  test('S3Backend: a bucket that does not exist is a clear error on open(); create() makes it', async () => {
    const b = backendAt('x', { bucket: `nobucket${n++}` });
    try {
      await assert.rejects(b.open(), /Bucket nobucket\d+ does not exist/);
      await b.create();
      await b.open();
    } finally {
      await b.close();
    }
  });

  // s3rver does not check version 4 signatures (sigv4.test.ts checks ours against AWS's examples), only access keys.
  test('S3Backend: an unknown access key is an error naming the location and S3\'s code', async () => {
    const b = new S3Backend(loc('x'), { credentials: { accessKeyId: 'NOSUCHKEY', secretAccessKey: 'x' }, ca: server!.cert });
    try {
      await assert.rejects(b.load({ type: 'config', name: '' }), /s3:https:\/\/127\.0\.0\.1:\d+\/repos\/x: HTTP 403 InvalidAccessKeyId/);
    } finally {
      await b.close();
    }
  });

  test('restic 0.14 checks (--read-data) and restores a backup written to S3', { skip: resticSkipReason() }, async () => {
    const src = mkdtempSync(join(tmpdir(), 'hs-s3-src-'));
    const out = mkdtempSync(join(tmpdir(), 'hs-s3-out-'));
    try {
      mkdirSync(join(src, 'sub'));
      writeFileSync(join(src, 'sub', 'zeros'), Buffer.alloc(5_000_000));
      writeFileSync(join(src, 'random'), randomBytes(3_000_000));
      writeFileSync(join(src, 'text'), 'hello S3\n'.repeat(1000));
      const prefix = `oracle/r${n++}`;
      const b = backendAt(prefix);
      const repo = await Repository.init(b, 'pw', { scrypt: { N: 1024, r: 8, p: 1 } });
      const r = await backup(repo, { paths: [src] });
      await b.close();
      const url = `s3:https://127.0.0.1:${server!.port}/repos/${prefix}`;
      const env = { AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey };
      const check = await runRestic(['--cacert', server!.certFile, '-r', url, 'check', '--read-data'], 'pw', env);
      assert.equal(check.code, 0, check.stderr + check.stdout);
      assert.match(check.stdout, /no errors were found/);
      const restored = await runRestic(['--cacert', server!.certFile, '-r', url, 'restore', r.id, '--target', out], 'pw', env);
      assert.equal(restored.code, 0, restored.stderr);
      assert.equal(treeDigest(join(out, src)), treeDigest(src));
    } finally {
      rmSync(src, { recursive: true, force: true });
      rmSync(out, { recursive: true, force: true });
    }
  });

  test('the S3 server gone mid-backup: a clear error naming the location; back on the same data, restic checks the repository clean and the next backup completes', { skip: resticSkipReason(), timeout: 300_000 }, async () => {
    const own = await startS3Server(['gone']); // a server of its own, to take away
    const scratch = mkdtempSync(join(tmpdir(), 'hs-s3-gone-'));
    try {
      const src = join(scratch, 'src');
      mkdirSync(src);
      for (let i = 0; i < 8; i++) writeFileSync(join(src, `part-${i}`), randomBytes(8 << 20));
      const url = `s3:https://127.0.0.1:${own.port}/gone/repo`;
      const env = { AWS_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey, RESTIC_CACERT: own.certFile };
      const pw = join(scratch, 'pw');
      writeFileSync(pw, 'pw\n');
      const auth = ['-r', url, '--password-file', pw];
      const hs = (...args: string[]) => run(process.execPath, ['bin/hotstandby', 'backup', ...args], env);
      ok(await hs('init', ...auth), 'init');
      const child = spawn(process.execPath, ['bin/hotstandby', 'backup', 'run', ...auth, src], { cwd: repoRoot, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      // s3rver writes an object's metadata once the whole object has arrived (and data/ with the first).
      const data = join(own.dir, 'data', 'gone', 'repo', 'data');
      const packs = () => (existsSync(data) ? readdirSync(data, { recursive: true }) : []).filter((n) => /[0-9a-f]{64}\._S3rver_metadata\.json$/.test(String(n))).length;
      await waitFor(() => packs() >= 1 || child.exitCode !== null, 'a first pack on the server');
      assert.equal(child.exitCode, null, `still running when the server goes: ${stderr}`);
      await own.kill();
      assert.equal(await exited, 1, stderr);
      // What failed first (the upload in flight reset, or the next one refused) names the repository;
      // the lock's removal, refused too, comes after it (withLock) rather than in its place.
      assert.match(stderr, new RegExp(`s3:https://127\\.0\\.0\\.1:${own.port}/gone/repo: (connect ECONNREFUSED|read ECONNRESET).*\\(and removing the lock failed: .*ECONNREFUSED`));
      assert.doesNotMatch(stderr, /\n\s+at /, 'an error message, not a stack trace');

      await own.restart();
      const objects = (type: string) => (existsSync(join(own.dir, 'data', 'gone', 'repo', type)) ? readdirSync(join(own.dir, 'data', 'gone', 'repo', type)) : []).filter((n) => n.endsWith('._S3rver_object'));
      assert.deepEqual(objects('snapshots'), [], 'no snapshot of the interrupted run');
      // Its lock could not be removed while the server was gone: it names a process of this host
      // that has ended, and restic 0.14 keeps such a lock until an unlock (as after kill -9).
      assert.equal(objects('locks').length, 1, 'the interrupted run\'s lock is left');
      const check = () => runRestic(['--cacert', own.certFile, '-r', url, 'check'], 'pw', env);
      const blocked = await check();
      assert.notEqual(blocked.code, 0, 'restic 0.14 refuses while the dead run\'s lock is there');
      assert.match(blocked.stderr, /repository is already locked by PID \d+/);
      ok(await hs('unlock', ...auth), 'unlock');
      const checked = await check();
      assert.equal(checked.code, 0, checked.stderr + checked.stdout);
      const r = ok(await hs('run', ...auth, '--json', src), 'the next run');
      const summary = JSON.parse(r.stdout.trim().split('\n').pop()!) as { snapshot_id: string };
      const full = await runRestic(['--cacert', own.certFile, '-r', url, 'check', '--read-data'], 'pw', env);
      assert.equal(full.code, 0, full.stderr + full.stdout);
      const out = join(scratch, 'out');
      const restored = await runRestic(['--cacert', own.certFile, '-r', url, 'restore', summary.snapshot_id, '--target', out], 'pw', env);
      assert.equal(restored.code, 0, restored.stderr);
      assert.equal(treeDigest(join(out, src)), treeDigest(src));
    } finally {
      await own.stop();
      rmSync(scratch, { recursive: true, force: true });
    }
  });
}
