/**
 * bench/backup-restore's --keep DIR: the set and both repositories are made once and reused by
 * later runs (so a 1 M-file set's setup need not hold the bench lock), and a setup cut short (no
 * `ready` marker) is made again rather than reused half-done.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const tool = join(import.meta.dirname, '..', '..', 'bench', 'backup-restore.js');
const hasRestic = (() => {
  try {
    execFileSync('restic', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

function run(keep: string, ...args: string[]): string {
  return execFileSync(process.execPath, [tool, '--small', '40', '--keep', keep, '--shared-fs', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

test('--keep makes the set and repositories once, reuses them, and remakes a setup cut short', { skip: !hasRestic && 'needs restic' }, () => {
  const keep = join(mkdtempSync(join(tmpdir(), 'backup-restore-keep-')), 'kept');
  try {
    assert.match(run(keep, '--rounds', '0'), /40 files and both repositories kept/);
    for (const name of ['data', 'repo-hotstandby', 'repo-restic', 'ready']) assert.ok(existsSync(join(keep, name)), `${name} missing`);
    const first = join(keep, 'data', 'd0', 'f0.txt');
    const ino = statSync(first).ino;

    const out = run(keep, '--rounds', '1', '--variants', 'restic,hotstandby');
    assert.match(out, /\| hotstandby \|/);
    assert.match(out, /\| restic \|/);
    assert.equal(statSync(first).ino, ino, 'the set was made again instead of reused');
    assert.ok(existsSync(join(keep, 'repo-hotstandby')), 'the kept directory was deleted after the run');
    assert.deepEqual(readdirSync(keep).filter((n) => n.startsWith('restore-')), [], 'a restored tree is left');

    rmSync(join(keep, 'ready'));
    run(keep, '--rounds', '0');
    assert.notEqual(statSync(first).ino, ino, 'a setup without its ready marker was reused');
  } finally {
    rmSync(join(keep, '..'), { recursive: true, force: true });
  }
});
