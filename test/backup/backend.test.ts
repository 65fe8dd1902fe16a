/** The backend suite against the in-memory and the local backend, and what only the local one does. */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { waitFor } from '../../src/lab/wait-for.js';
import { LocalBackend } from '../../src/backup/backend/local.js';
import { MemoryBackend } from '../../src/backup/backend/memory.js';
import { unmountedReason } from '../../src/backup/backend/mount-check.js';
import { backendSuite } from './support/backend-suite.js';
import { resticSkipReason, runRestic } from './support/restic.js';

const scratch = mkdtempSync(join(tmpdir(), 'hs-backend-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let n = 0;
const noMounts = async () => ({ fstab: '', mountinfo: '' });

backendSuite('MemoryBackend', async () => ({ backend: new MemoryBackend(), cleanup: async () => {} }), {
  // Its saves cannot be cut: what a cut leaves elsewhere (a temporary file beside the final name) is planted.
  async cutSave(backend, h, data) {
    (backend as MemoryBackend).leaveTemporary({ type: h.type, name: `${h.name}-tmp-0123456789abcdef`, size: data.length >> 1, modifiedMs: Date.now() });
  },
});
const localJs = fileURLToPath(new URL('../../src/backup/backend/local.js', import.meta.url));

backendSuite(
  'LocalBackend',
  async () => {
    const dir = join(scratch, `repo-${n++}`);
    return { backend: new LocalBackend(dir, { mountTables: noMounts }), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
  },
  {
    // Another process saves the same handle into the same directory and is killed (-9) once its
    // temporary file holds some bytes, as a crash or a power cut would.
    async cutSave(backend, h, data) {
      const root = backend.location();
      const dir = join(root, 'data', h.name.slice(0, 2));
      const script = `const { LocalBackend } = await import(${JSON.stringify(localJs)});
        const b = new LocalBackend(${JSON.stringify(root)}, { mountTables: async () => ({ fstab: '', mountinfo: '' }) });
        await b.save({ type: 'data', name: ${JSON.stringify(h.name)} }, new Uint8Array(${data.length}).fill(1));`;
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'ignore' });
      const exited = new Promise<unknown>((resolve) => child.once('exit', (code, signal) => resolve(signal ?? code)));
      await waitFor(() => existsSync(dir) && readdirSync(dir).some((e) => e.includes('-tmp-') && statSync(join(dir, e)).size > 0), { description: 'the write under way', intervalMs: 2 });
      child.kill('SIGKILL');
      assert.equal(await exited, 'SIGKILL', 'the writer was killed mid-save');
    },
    ...(resticSkipReason()
      ? {}
      : {
          async resticCheck(backend) {
            const r = await runRestic(['-r', backend.location(), 'check', '--read-data'], 'pw');
            assert.equal(r.code, 0, r.stderr + r.stdout);
          },
        }),
  },
);

test('LocalBackend: create() makes restic\'s layout with 0700 directories; saved files are 0600 and no temporary file stays', async () => {
  const dir = join(scratch, 'layout');
  const b = new LocalBackend(dir, { mountTables: noMounts });
  await b.create();
  assert.deepEqual(readdirSync(dir).sort(), ['data', 'index', 'keys', 'locks', 'snapshots']);
  assert.equal(readdirSync(join(dir, 'data')).length, 256);
  assert.equal(statSync(join(dir, 'data', 'ab')).mode & 0o777, 0o700);
  const name = 'ab' + 'c'.repeat(62);
  await b.save({ type: 'data', name }, Buffer.from('pack'));
  assert.deepEqual(readdirSync(join(dir, 'data', 'ab')), [name]);
  assert.equal(statSync(join(dir, 'data', 'ab', name)).mode & 0o777, 0o600);
});

const FSTAB = 'UUID=1 / ext4 defaults 0 1\nUUID=2 /mnt/usb ext4 noauto 0 2\n/dev/sdc1 /mnt/with\\040space vfat noauto 0 0\n';
const mountinfo = (points: string[]) => points.map((p, i) => `${i + 20} 1 8:1 / ${p} rw - ext4 /dev/x rw`).join('\n');

test('unmountedReason() names an fstab mount point with nothing mounted, and allows it once mounted', () => {
  assert.match(unmountedReason('/mnt/usb/backups', { fstab: FSTAB, mountinfo: mountinfo(['/']) }) ?? '', /\/mnt\/usb is a mount point in \/etc\/fstab but nothing is mounted/);
  assert.equal(unmountedReason('/mnt/usb/backups', { fstab: FSTAB, mountinfo: mountinfo(['/', '/mnt/usb']) }), undefined);
  assert.equal(unmountedReason('/srv/backups', { fstab: FSTAB, mountinfo: mountinfo(['/']) }), undefined);
  assert.equal(unmountedReason('/mnt/usbx', { fstab: FSTAB, mountinfo: mountinfo(['/']) }), undefined);
  assert.notEqual(unmountedReason('/mnt/with space/r', { fstab: FSTAB, mountinfo: mountinfo(['/']) }), undefined);
  assert.equal(unmountedReason('/mnt/with space/r', { fstab: FSTAB, mountinfo: mountinfo(['/', '/mnt/with\\040space']) }), undefined);
});

test('LocalBackend: create() under an unmounted fstab mount point fails and creates nothing', async () => {
  const mountPoint = join(scratch, 'usb');
  const tables = async () => ({ fstab: `/dev/sdz1 ${mountPoint} ext4 noauto 0 0\n`, mountinfo: mountinfo(['/']) });
  const b = new LocalBackend(join(mountPoint, 'repo'), { mountTables: tables });
  await assert.rejects(b.create(), /nothing is mounted/);
  await assert.rejects(b.open(), /nothing is mounted/);
  assert.equal(existsSync(mountPoint), false);
});
