/**
 * The backup example of docs/backups.md ("A daily backup of the Tomcat pair to a removable disk
 * and to SFTP") is a valid configuration and means what the prose around it says, so the guide
 * cannot drift from the loader.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { test } from 'node:test';
import { DATA_DIR, yaml } from './helpers.js';

const ROOT = resolve(DATA_DIR, '../../..');
const HEADING = '### A daily backup of the Tomcat pair to a removable disk and to SFTP';

/** The first ```yaml block of the section under HEADING (before the next heading). */
function sectionYaml(doc: string, heading: string): string {
  const text = readFileSync(resolve(ROOT, doc), 'utf8');
  const start = text.split('\n').indexOf(heading);
  assert.ok(start >= 0, `${doc} has no heading "${heading}" (renamed? update this test with it)`);
  const lines = text.split('\n').slice(start + 1);
  const end = lines.findIndex((l) => /^#{1,3} /.test(l));
  const section = (end < 0 ? lines : lines.slice(0, end)).join('\n');
  const block = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
  assert.ok(block, `${doc}, section "${heading}": no \`\`\`yaml block`);
  return block;
}

test('the Tomcat backup example of docs/backups.md loads, with the Tomcat pair it names, into the job it describes', () => {
  const block = sectionYaml('docs/backups.md', HEADING);
  // The block is a fragment ("beside the instance app" of the Tomcat pair): appended to node A's
  // configuration of examples/tomcat-pair, as an operator would add it to that file.
  const nodeA = readFileSync(resolve(ROOT, 'examples/tomcat-pair/node-a.yaml'), 'utf8');
  const { config, warnings } = yaml(`${nodeA}\n${block}`);
  assert.deepEqual(warnings, []);
  assert.equal(config.backups?.peerHostname, 'app2');
  assert.deepEqual(config.backups?.jobs.map((j) => j.name), ['tomcat']);
  const job = config.backups!.jobs[0]!;
  assert.deepEqual(job.follows, { kind: 'instance', name: 'app' });
  assert.equal(job.role, 'master', 'runs on the node that holds the address');
  assert.deepEqual(job.paths, ['/var/lib/tomcat10/webapps', '/etc/tomcat10']);
  assert.deepEqual(job.excludes, []);
  assert.equal(job.command, undefined);
  assert.deepEqual(job.repositories, [
    { repo: '/media/backup/tomcat', passwordFile: '/etc/hotstandby/backup-usb.pw', requireMount: '/media/backup' },
    {
      repo: 'sftp:backup@vault.example:/srv/restic/tomcat',
      passwordFile: '/etc/hotstandby/backup-sftp.pw',
      sftpCommand: 'ssh -i /etc/hotstandby/backup_ed25519 -o BatchMode=yes -l backup vault.example -s sftp',
    },
  ]);
  assert.equal(job.schedule, '30 2 * * *');
  assert.equal(job.timezone, 'local');
  assert.equal(job.missedAfterMs, 2 * 3_600_000, 'missedAfter: 2h');
  assert.equal(job.retryMs, 15 * 60_000, 'the documented default retry of 15 min');
  assert.deepEqual(job.retention, { keepDaily: 7, keepWeekly: 5, keepMonthly: 12, prune: true });
  assert.deepEqual(job.verify, { schedule: '0 5 * * sun', readDataSubset: '5%', sampleFiles: 20 });
  assert.deepEqual(job.tags, []);
});
