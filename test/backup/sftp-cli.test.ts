/**
 * `hotstandby backup … -o sftp.command="ssh … -s sftp"` (restic's extended option, also
 * `--option`) against Debian's OpenSSH server on loopback: every verb reaches the repository
 * through the given command (the server's port, key and known hosts are only in it), restic 0.14
 * checks the result with the same option; bad options are usage errors naming the key.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { hs, ok, PASSWORD } from './restic-fixture.js';
import { resticSkipReason, runRestic } from './support/restic.js';
import { sshdSkipReason, startSshd, type SshServer } from './support/sshd.js';

const skip = sshdSkipReason() ?? resticSkipReason();
let server: SshServer | undefined;
const scratch = mkdtempSync(join(tmpdir(), 'hs-sftp-cli-'));
const pw = join(scratch, 'pw');
writeFileSync(pw, `${PASSWORD}\n`);

before(async () => {
  if (!skip) server = await startSshd();
});
after(async () => {
  await server?.stop();
  rmSync(scratch, { recursive: true, force: true });
});

test('every backup verb reaches an sftp: repository through -o sftp.command (and --option); restic checks it with the same option', { skip, timeout: 300_000 }, async () => {
  const dir = join(server!.dir, 'cli-repo');
  const url = `sftp:root@127.0.0.1:${dir}`;
  const command = server!.sftpCommand.join(' ');
  // The short and the long form, on alternate verbs.
  let n = 0;
  // restic's sftp.connections and sftp.layout=default too (the connection limit: connection-limit.test.ts).
  const at = (...args: string[]) => hs(...args, '-r', url, '-p', pw, ...(n++ % 2 ? ['-o', `sftp.command=${command}`] : [`--option=sftp.command=${command}`]), '-o', 'sftp.connections=2', '-o', 'sftp.layout=default');
  const src = join(scratch, 'src');
  mkdirSync(join(src, 'etc'), { recursive: true });
  writeFileSync(join(src, 'etc', 'app.conf'), 'port = 8080\n');
  writeFileSync(join(src, 'data.bin'), Buffer.alloc(300_000, 5));

  const init = JSON.parse(ok(await at('init', '--json'), 'init').stdout) as { message_type: string; repository: string };
  assert.deepEqual([init.message_type, init.repository], ['initialized', url]);
  const first = JSON.parse(ok(await at('run', '--json', src), 'run').stdout) as { snapshot_id: string };
  writeFileSync(join(src, 'etc', 'app.conf'), 'port = 9090\n');
  const second = JSON.parse(ok(await at('run', '--json', '--tag', 'second', src), 'run 2').stdout) as { snapshot_id: string };
  const snaps = JSON.parse(ok(await at('snapshots', '--json'), 'snapshots').stdout) as { id: string }[];
  assert.deepEqual(snaps.map((s) => s.id).sort(), [first.snapshot_id, second.snapshot_id].sort());
  assert.ok(ok(await at('ls', 'latest'), 'ls').stdout.split('\n').includes(`${src}/etc/app.conf`));
  assert.match(ok(await at('find', 'app.conf'), 'find').stdout, /etc\/app\.conf/);
  assert.equal(ok(await at('dump', first.snapshot_id.slice(0, 8), `${src}/etc/app.conf`), 'dump').stdout, 'port = 8080\n');
  const target = join(scratch, 'target');
  ok(await at('restore', 'latest', '--target', target, '--include', `${src}/etc`), 'restore');
  assert.equal(readFileSync(join(target, src, 'etc', 'app.conf'), 'utf8'), 'port = 9090\n');
  assert.ok(ok(await at('stats', '--json'), 'stats').stdout.includes('total_size'));
  ok(await at('check', '--read-data'), 'check');
  const forgot = ok(await at('forget', '--keep-last', '1', '--prune'), 'forget --prune').stdout;
  assert.match(forgot, /removed 1 snapshot/);
  ok(await at('prune'), 'prune');
  ok(await at('unlock'), 'unlock');
  const left = JSON.parse(ok(await at('snapshots', '--json'), 'snapshots after forget').stdout) as { id: string }[];
  assert.deepEqual(left.map((s) => s.id), [second.snapshot_id]);

  const check = await runRestic(['-r', url, '-o', `sftp.command=${command}`, '-o', 'sftp.connections=2', '-o', 'sftp.layout=default', 'check', '--read-data'], PASSWORD);
  assert.equal(check.code, 0, check.stderr + check.stdout);
});

test('-o: a key that is not known, one hotstandby does not implement, a value that is not key=value, or an unterminated quote is a usage error naming it', { skip: sshdSkipReason(), timeout: 120_000 }, async () => {
  const url = 'sftp:root@127.0.0.1:/nowhere';
  const cases: [string[], RegExp][] = [
    [['-o', 'sftp.comand=ssh x -s sftp'], /option sftp\.comand is not known \(supported: .*sftp\.command, sftp\.connections, sftp\.layout.*\)/],
    [['-o', 'rclone.connections=2'], /option rclone\.connections is not supported by hotstandby/],
    [['-o', 'sftp.connections=0'], /option sftp\.connections '0': expected a whole number of connections, at least 1/],
    [['-o', 'sftp.layout=s3legacy'], /option sftp\.layout 's3legacy': hotstandby supports only the default layout/],
    [['--option', 'sftp.command'], /invalid option 'sftp\.command': expected key=value/],
    [['-o', 'sftp.command=ssh "host -s sftp'], /option sftp\.command: Unterminated " in command/],
    [['-o', 'sftp.command='], /option sftp\.command is empty/],
  ];
  for (const [opt, message] of cases) {
    for (const verb of [['snapshots'], ['init'], ['prune']]) {
      const r = await hs(...verb, '-r', url, '-p', pw, ...opt);
      assert.equal(r.code, 64, `${verb} ${opt.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, message);
    }
  }
});
