/**
 * The SFTP backend against Debian's OpenSSH server on loopback (its own host key, config and
 * authorized key in a temporary directory): the shared backend suite, a save cut by kill -9 of
 * ssh, a backup written over SFTP that restic 0.14 checks (--read-data) and restores through its
 * own sftp backend, and a clear error when the server is not there.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { backup } from '../../src/backup/archiver.js';
import { SftpBackend, splitCommandLine } from '../../src/backup/backend/sftp.js';
import { Repository } from '../../src/backup/repo/repository.js';
import { waitFor } from '../../src/lab/wait-for.js';
import { backendSuite } from './support/backend-suite.js';
import { sshdSkipReason, startSshd, type SshServer } from './support/sshd.js';
import { resticSkipReason, runRestic, treeDigest } from './support/restic.js';

const skip = sshdSkipReason();
let server: SshServer | undefined;
let n = 0;

before(async () => {
  if (!skip) server = await startSshd();
});
after(async () => server?.stop());

const repoDir = () => join(server!.dir, `repo-${n++}`);
const backendAt = (path: string) => new SftpBackend({ user: 'root', host: '127.0.0.1', port: server!.port, path }, { command: server!.sftpCommand });

if (skip) {
  test('SftpBackend against OpenSSH', { skip }, () => {});
} else {
  backendSuite(
    'SftpBackend',
    async () => {
      const dir = repoDir();
      return { backend: backendAt(dir), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
    },
    {
      async cutSave(backend, h, data) {
        const b = backend as SftpBackend;
        const dir = join((b as unknown as { loc: { path: string } }).loc.path, 'data', h.name.slice(0, 2));
        const saving = b.save(h, data);
        // Once the temporary file holds some bytes, kill ssh as a crash or a cut link would.
        await waitFor(() => readdirSync(dir).some((e) => e.includes('-tmp-') && statSync(join(dir, e)).size > 0), { description: 'the upload under way', intervalMs: 5 });
        b.process!.kill('SIGKILL');
        await assert.rejects(saving, /exited|closed|connection/i);
        assert.ok(!readdirSync(dir).includes(h.name), 'nothing under the final name');
      },
      ...(resticSkipReason()
        ? {}
        : {
            async resticCheck(backend) {
              const path = (backend as unknown as { loc: { path: string } }).loc.path;
              const r = await runRestic(['-r', `sftp:root@127.0.0.1:${path}`, '-o', `sftp.command=${server!.sftpCommand.join(' ')}`, 'check', '--read-data'], 'pw');
              assert.equal(r.code, 0, r.stderr + r.stdout);
            },
          }),
    },
  );

  test('SftpBackend: after the connection died, the next call reconnects', async () => {
    const dir = repoDir();
    const b = backendAt(dir);
    try {
      await b.create();
      b.process!.kill('SIGKILL');
      await waitFor(() => b.process === undefined || b.process.exitCode !== null || b.process.signalCode !== null, { description: 'ssh gone' });
      await b.save({ type: 'snapshots', name: 'a'.repeat(64) }, Buffer.from('x'));
      assert.deepEqual(await b.list('snapshots'), [{ name: 'a'.repeat(64), size: 1 }]);
    } finally {
      await b.close();
    }
  });

  test('SftpBackend: a server that is not there is a clear error naming the location', async () => {
    const b = new SftpBackend({ host: '127.0.0.1', path: '/x' }, { command: server!.sftpCommand.map((a) => (a === String(server!.port) ? '1' : a)) });
    await assert.rejects(b.open(), /Cannot open sftp:127\.0\.0\.1:\/x: .*(refused|exited)/i);
    await b.close();
  });

  test('restic 0.14 checks (--read-data) and restores a backup written over SFTP', { skip: resticSkipReason() }, async () => {
    const src = mkdtempSync(join(tmpdir(), 'hs-sftp-src-'));
    const out = mkdtempSync(join(tmpdir(), 'hs-sftp-out-'));
    try {
      mkdirSync(join(src, 'sub'));
      writeFileSync(join(src, 'sub', 'big'), Buffer.alloc(5_000_000, 7));
      writeFileSync(join(src, 'random'), randomBytes(3_000_000));
      writeFileSync(join(src, 'text'), 'hello over sftp\n'.repeat(1000));
      const dir = repoDir();
      const b = backendAt(dir);
      const repo = await Repository.init(b, 'pw', { scrypt: { N: 1024, r: 8, p: 1 } });
      const r = await backup(repo, { paths: [src] });
      await b.close();
      const url = `sftp:root@127.0.0.1:${dir}`;
      const opt = ['-o', `sftp.command=${server!.sftpCommand.join(' ')}`];
      const check = await runRestic(['-r', url, ...opt, 'check', '--read-data'], 'pw');
      assert.equal(check.code, 0, check.stderr + check.stdout);
      assert.match(check.stdout, /no errors were found/);
      const restored = await runRestic(['-r', url, ...opt, 'restore', r.id, '--target', out], 'pw');
      assert.equal(restored.code, 0, restored.stderr);
      assert.equal(treeDigest(join(out, src)), treeDigest(src));
    } finally {
      rmSync(src, { recursive: true, force: true });
      rmSync(out, { recursive: true, force: true });
    }
  });
}

if (!skip) {
  test('the SFTP server gone mid-backup: a clear error naming the location; restic checks the repository clean and the next backup completes', { skip: resticSkipReason(), timeout: 180_000 }, async () => {
    const own = await startSshd(); // a server of its own, to take away
    const scratch = mkdtempSync(join(tmpdir(), 'hs-sftp-gone-'));
    try {
      const src = join(scratch, 'src');
      const dir = join(scratch, 'repo');
      mkdirSync(src);
      for (let i = 0; i < 6; i++) writeFileSync(join(src, `part-${i}`), randomBytes(8 << 20));
      const b = new SftpBackend({ user: 'root', host: '127.0.0.1', port: own.port, path: dir }, { command: own.sftpCommand });
      const repo = await Repository.init(b, 'pw', { scrypt: { N: 1024, r: 8, p: 1 } });
      const running = backup(repo, { paths: [src] });
      const packs = () => readdirSync(join(dir, 'data'), { recursive: true }).filter((n) => /[0-9a-f]{64}$/.test(String(n))).length;
      await waitFor(() => packs() >= 1, { description: 'a first pack on the server', timeoutMs: 60_000 });
      // The server goes away (its listener, then the connection): the reconnection is refused.
      await own.stop();
      b.process?.kill('SIGKILL');
      // Either the requests in flight on the dying connection, or the reconnection refused: both name the repository.
      await assert.rejects(running, /(Cannot open )?sftp:root@127\.0\.0\.1:\/\S+: connection lost: /);
      await b.close();
      assert.equal(readdirSync(join(dir, 'snapshots')).length, 0, 'no snapshot');
      // The repository as it was left (the directory, read by restic as a local one) is valid.
      const checked = await runRestic(['-r', dir, 'check'], 'pw');
      assert.equal(checked.code, 0, checked.stderr + checked.stdout);
      // Back (through the suite's server): the next backup completes.
      const again = backendAt(dir);
      const r = await backup(await Repository.open(again, 'pw'), { paths: [src] });
      await again.close();
      assert.ok(r.id);
      const full = await runRestic(['-r', dir, 'check', '--read-data'], 'pw');
      assert.equal(full.code, 0, full.stderr + full.stdout);
    } finally {
      await own.stop().catch(() => {});
      rmSync(scratch, { recursive: true, force: true });
    }
  });
}

test('splitCommandLine() splits words and honours quotes and backslashes, as restic\'s sftp.command', () => {
  assert.deepEqual(splitCommandLine(`ssh -i "/k ey" -o 'A=b c' host\\ x -s sftp`), ['ssh', '-i', '/k ey', '-o', 'A=b c', 'host x', '-s', 'sftp']);
  assert.deepEqual(splitCommandLine('  a   b '), ['a', 'b']);
  assert.deepEqual(splitCommandLine(`a ""`), ['a', '']);
  assert.throws(() => splitCommandLine('a "b'), SyntaxError);
});
