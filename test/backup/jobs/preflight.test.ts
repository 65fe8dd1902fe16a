import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { initRepository } from './support.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'hs-preflight-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

function checkConfig(file: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, ['bin/hotstandby', 'check-config', file], { cwd: root, timeout: 60_000 }, (err, stdout, stderr) => resolve({ code: err ? Number(err.code) : 0, stdout, stderr }));
  });
}

const yaml = (jobs: string) => `instances:
  web:
    interface: eth0
    vrid: 51
    priority: 150
    vips: [10.0.0.100/24]
backups:
  jobs:
${jobs}`;

test('check-config opens each repository with its password and names what fails, by key', { timeout: 60_000 }, async () => {
  const good = await initRepository(scratch, 'good');
  const wrong = join(scratch, 'wrong.pw');
  writeFileSync(wrong, 'not the password\n');
  const ok = join(scratch, 'ok.yaml');
  writeFileSync(ok, yaml(`    a:\n      paths: [/etc]\n      repositories: [{ repo: ${good.repo}, passwordFile: ${good.passwordFile} }]\n      schedule: "@daily"\n`));
  const r1 = await checkConfig(ok);
  assert.equal(r1.code, 0, r1.stderr);

  const bad = join(scratch, 'bad.yaml');
  writeFileSync(
    bad,
    yaml(`    a:
      paths: [/etc]
      repositories:
        - { repo: ${good.repo}, passwordFile: ${wrong} }
        - { repo: ${join(scratch, 'none')}, passwordFile: ${good.passwordFile} }
        - { repo: ${good.repo}, passwordFile: ${join(scratch, 'missing.pw')} }
        - { repo: "s3:https://s3.example/bucket", passwordFile: ${good.passwordFile} }
      schedule: "@daily"
    b:
      command: no-such-dump-program --all
      repositories: [{ repo: ${good.repo}, passwordFile: ${good.passwordFile} }]
      schedule: "@daily"
`),
  );
  const r2 = await checkConfig(bad);
  assert.equal(r2.code, 1);
  assert.match(r2.stderr, /backups\.jobs\.a\.repositories\[0\]\.repo: the password in .*wrong\.pw opens no key of/);
  assert.match(r2.stderr, /backups\.jobs\.a\.repositories\[1\]\.repo: No repository at .*none \(no config file\) \(create it with: hotstandby backup init/);
  assert.match(r2.stderr, /backups\.jobs\.a\.repositories\[2\]\.passwordFile: cannot read .*missing\.pw: ENOENT/);
  // An s3: repository is opened with restic's variables from the environment; without them, said so.
  assert.match(r2.stderr, /backups\.jobs\.a\.repositories\[3\]\.repo: .*s3:https:\/\/s3\.example\/bucket.*(needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY|ENOTFOUND|EAI_AGAIN)/);
  assert.match(r2.stderr, /backups\.jobs\.b\.command: program "no-such-dump-program" not found/);
});

test('check-config refuses a repository whose requireMount has nothing mounted on it, even with a repository there', { timeout: 60_000 }, async () => {
  // The scratch directory is no mount point: a removable disk's mount point with the disk out.
  const media = mkdtempSync(join(scratch, 'media-'));
  const stray = await initRepository(media, 'tomcat');
  const file = join(scratch, 'mount.yaml');
  writeFileSync(file, yaml(`    a:\n      paths: [/etc]\n      repositories: [{ repo: ${stray.repo}, passwordFile: ${stray.passwordFile}, requireMount: ${media} }]\n      schedule: "@daily"\n`));
  const r = await checkConfig(file);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stderr, new RegExp(`backups\\.jobs\\.a\\.repositories\\[0\\]\\.repo: nothing is mounted on ${media} \\(is the disk plugged in\\?\\): refusing to use ${stray.repo}`));
});
