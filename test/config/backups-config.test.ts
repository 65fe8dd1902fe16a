import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseYamlConfig } from '../../src/config/yaml/index.js';

const BASE = `instances:
  web:
    interface: eth0
    vrid: 51
    priority: 150
    vips: [10.0.0.100/24]
`;

const load = (backups: string) => parseYamlConfig(`${BASE}backups:\n${backups}`, 'hs.yaml').config;

test('backups: a full job is read with its defaults', () => {
  const c = load(`  peerHostname: node-b
  jobs:
    tomcat:
      paths: [/srv/tomcat/webapps, /etc/tomcat10]
      excludes: ['*.tmp']
      tags: [daily]
      repositories:
        - repo: /mnt/usb/backups
          passwordFile: /etc/hotstandby/usb.pw
        - { repo: "sftp:backup@vault:/srv/restic/tomcat", passwordFile: /etc/hotstandby/sftp.pw }
      schedule: "30 2 * * *"
      retention: { keepDaily: 7, keepWeekly: 4 }
      verify: { schedule: "0 4 * * sun" }
`);
  assert.equal(c.backups?.peerHostname, 'node-b');
  const job = c.backups!.jobs[0]!;
  assert.deepEqual(job.follows, { kind: 'instance', name: 'web' });
  assert.equal(job.role, 'master');
  assert.deepEqual(job.paths, ['/srv/tomcat/webapps', '/etc/tomcat10']);
  assert.deepEqual(job.repositories.map((r) => r.repo), ['/mnt/usb/backups', 'sftp:backup@vault:/srv/restic/tomcat']);
  assert.equal(job.timezone, 'local');
  assert.equal(job.missedAfterMs, 3_600_000);
  assert.deepEqual(job.retention, { prune: false, keepDaily: 7, keepWeekly: 4 });
  assert.deepEqual(job.verify, { schedule: '0 4 * * sun', readDataSubset: '5%', sampleFiles: 20 });
});

test('backups: a command source with a user and a file name', () => {
  const c = load(`  jobs:
    pg:
      role: backup
      command: pg_basebackup -D - -Ft -X fetch
      commandUser: postgres
      stdinFilename: base.tar
      repositories: [{ repo: /backups/pg, passwordFile: /etc/pg.pw }]
      schedule: "@daily"
      timezone: utc
`);
  const job = c.backups!.jobs[0]!;
  assert.equal(job.role, 'backup');
  assert.equal(job.command, 'pg_basebackup -D - -Ft -X fetch');
  assert.equal(job.stdinFilename, 'base.tar');
  assert.equal(job.timezone, 'utc');
});

test('backups: errors name the file, line and key', () => {
  const job = (body: string) => () => load(`  jobs:\n    j:\n${body}`);
  const repo = '      repositories: [{ repo: /r, passwordFile: /p }]\n';
  assert.throws(job(`      paths: [/a]\n${repo}      schedule: "61 2 * * *"\n`), /hs\.yaml:\d+: backups\.jobs\.j\.schedule: Cron expression '61 2 \* \* \*': minute 61 is out of range/);
  assert.throws(job(`      paths: [/a]\n${repo}`), /backups\.jobs\.j\.schedule: Job "j" needs a schedule/);
  assert.throws(job(`${repo}      schedule: "@daily"\n`), /backups\.jobs\.j\.paths: Job "j" backs up nothing/);
  assert.throws(job(`      paths: [relative]\n${repo}      schedule: "@daily"\n`), /backups\.jobs\.j\.paths\[0\]: Backup path "relative" is not an absolute path/);
  assert.throws(job(`      paths: [/a]\n      repositories: [{ repo: /r }]\n      schedule: "@daily"\n`), /backups\.jobs\.j\.repositories\[0\]\.passwordFile: A repository needs "passwordFile"/);
  assert.throws(job(`      paths: [/a]\n${repo}      schedule: "@daily"\n      instance: db\n`), /backups\.jobs\.j\.instance: No instance named "db"/);
  assert.throws(job(`      paths: [/a]\n${repo}      schedule: "@daily"\n      role: primary\n`), /backups\.jobs\.j\.role/);
  assert.throws(job(`      paths: [/a]\n${repo}      schedule: "@daily"\n      retention: { prune: true }\n`), /backups\.jobs\.j\.retention: A retention keeps nothing/);
  assert.throws(job(`      paths: [/a]\n${repo}      schedule: "@daily"\n      verify: { readDataSubset: 5% }\n`), /backups\.jobs\.j\.verify\.schedule: Verification needs a schedule/);
  assert.throws(job(`      paths: [/a]\n${repo}      schedule: "@daily"\n      verify: { schedule: "@weekly", readDataSubset: lots }\n`), /verify\.readDataSubset: readDataSubset "lots" is not/);
  assert.throws(job(`      paths: [/a]\n${repo}      schedule: "@daily"\n      shedule: x\n`), /Unknown key "shedule"/);
  assert.throws(job(`      paths: [/a]\n${repo}      schedule: "@daily"\n      missedAfter: 10s\n`), /missedAfter/);
});

test("backups: a repository's sftpCommand (restic's -o sftp.command) is for sftp: repositories only", () => {
  const job = (repo: string) => load(`  jobs:\n    j:\n      paths: [/a]\n      repositories: [${repo}]\n      schedule: "@daily"\n`);
  const ok = job('{ repo: "sftp:backup@vault:/srv/r", passwordFile: /p, sftpCommand: "ssh -i /k -l backup vault -s sftp" }');
  assert.deepEqual(ok.backups?.jobs[0]?.repositories, [{ repo: 'sftp:backup@vault:/srv/r', passwordFile: '/p', sftpCommand: 'ssh -i /k -l backup vault -s sftp' }]);
  assert.throws(() => job('{ repo: /r, passwordFile: /p, sftpCommand: ssh }'), /backups\.jobs\.j\.repositories\[0\]\.sftpCommand: sftpCommand is for sftp: repositories; \/r is not one/);
  assert.throws(() => job(`{ repo: "sftp:h:/r", passwordFile: /p, sftpCommand: 'ssh "h' }`), /repositories\[0\]\.sftpCommand: sftpCommand "ssh "h": Unterminated/);
});

test("backups: a repository's requireMount (the CLI's --require-mount) is off by default, a directory at or above a local repository", () => {
  const job = (repo: string) => load(`  jobs:\n    j:\n      paths: [/a]\n      repositories: [${repo}]\n      schedule: "@daily"\n`);
  assert.deepEqual(job('{ repo: /media/usb/tomcat, passwordFile: /p }').backups?.jobs[0]?.repositories, [{ repo: '/media/usb/tomcat', passwordFile: '/p' }], 'off by default');
  assert.deepEqual(job('{ repo: /media/usb/tomcat, passwordFile: /p, requireMount: /media/usb }').backups?.jobs[0]?.repositories, [{ repo: '/media/usb/tomcat', passwordFile: '/p', requireMount: '/media/usb' }]);
  assert.equal(job('{ repo: "local:/media/usb", passwordFile: /p, requireMount: /media/usb/ }').backups?.jobs[0]?.repositories[0]?.requireMount, '/media/usb/', 'the repository on the mount point itself');
  assert.throws(() => job('{ repo: /media/usb/tomcat, passwordFile: /p, requireMount: true }'), /hs\.yaml:\d+: backups\.jobs\.j\.repositories\[0\]\.requireMount: requireMount is the directory the disk is mounted on \(such as \/media\/backup\), not true/);
  assert.throws(() => job('{ repo: /media/usb/tomcat, passwordFile: /p, requireMount: "" }'), /repositories\[0\]\.requireMount: Expected a non-empty string/);
  assert.throws(() => job('{ repo: /media/usb/tomcat, passwordFile: /p, requireMount: media/usb }'), /backups\.jobs\.j\.repositories\[0\]\.requireMount: requireMount "media\/usb" is not an absolute path/);
  assert.throws(() => job('{ repo: /media/usb2/tomcat, passwordFile: /p, requireMount: /media/usb }'), /repositories\[0\]\.requireMount: requireMount "\/media\/usb": the repository \/media\/usb2\/tomcat is not below it/);
  assert.throws(() => job('{ repo: "sftp:h:/media/usb", passwordFile: /p, requireMount: /media/usb }'), /repositories\[0\]\.requireMount: requireMount is for local repositories \(a disk\); sftp:h:\/media\/usb is not one/);
  assert.throws(() => job('{ repo: /media/usb/tomcat, passwordFile: /p, requireMnt: /media/usb }'), /Unknown key "requireMnt" \(did you mean 'requireMount'\?\)/);
});

test("backups: retention takes restic prune's options, checked, and only with prune", () => {
  const job = (retention: string) => () => load(`  jobs:\n    j:\n      paths: [/a]\n      repositories: [{ repo: /r, passwordFile: /p }]\n      schedule: "@daily"\n      retention: ${retention}\n`);
  const c = job('{ keepDaily: 7, prune: true, maxUnused: 10%, maxRepackSize: 2G, repackCacheableOnly: true, repackSmall: true, repackUncompressed: true }')();
  assert.deepEqual(c.backups!.jobs[0]!.retention, { prune: true, keepDaily: 7, maxUnused: '10%', maxRepackSize: 2 * 2 ** 30, repackCacheableOnly: true, repackSmall: true, repackUncompressed: true });
  assert.deepEqual(job('{ keepDaily: 7, prune: true, repackSmall: false }')().backups!.jobs[0]!.retention, { prune: true, keepDaily: 7 }, 'false is the default: nothing set');
  assert.throws(job('{ keepDaily: 7, prune: true, maxUnused: 120% }'), /hs\.yaml:\d+: backups\.jobs\.j\.retention\.maxUnused: max-unused '120%': a percentage must be at least 0 and below 100/);
  assert.throws(job('{ keepDaily: 7, prune: true, maxUnused: lots }'), /retention\.maxUnused: max-unused 'lots': expected a size \(100M\), a percentage \(5%\) or unlimited/);
  assert.throws(job('{ keepDaily: 7, prune: true, maxRepackSize: big }'), /retention\.maxRepackSize: maxRepackSize 'big': expected a size such as 500M/);
  assert.throws(job('{ keepDaily: 7, repackSmall: true }'), /retention\.repackSmall: repackSmall is an option of the prune: set prune: true too/);
  assert.throws(job('{ keepDaily: 7, maxUnused: 0 }'), /retention\.maxUnused: maxUnused is an option of the prune/);
  assert.equal(job('{ keepDaily: 7, prune: true, maxUnused: 0, maxRepackSize: 1048576 }')().backups!.jobs[0]!.retention!.maxRepackSize, 1_048_576, 'bare numbers: 0 (repack everything) and bytes');
  assert.equal(job('{ keepDaily: 7, prune: true, maxUnused: 0 }')().backups!.jobs[0]!.retention!.maxUnused, '0');
  assert.throws(job('{ keepDaily: 7, prune: true, repackTiny: true }'), /Unknown key "repackTiny"/);
});
