/**
 * A file larger than 4 GiB (sizes and offsets past 32 bits), sparse so that the test stays
 * small on disk: backed up, listed by restic with its size, checked by restic, restored sparse
 * with its data where it was (around the 4 GiB mark too).
 */
import assert from 'node:assert/strict';
import { closeSync, ftruncateSync, mkdirSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { hs, ok, pseudoRandom, restic, scratchDir, skip } from './restic-fixture.js';

const { scratch, passwordFile } = scratchDir('hs-large-');
const auth = (repo: string) => ['--repo', repo, '--password-file', passwordFile];

const SIZE = 4 * 2 ** 30 + 300 * 2 ** 20;
const PIECES = [2 ** 20, 4 * 2 ** 30 - 1000, SIZE - 4096];

function readAt(path: string, at: number, n: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(n);
    readSync(fd, b, 0, n, at);
    return b;
  } finally {
    closeSync(fd);
  }
}

test('a sparse 4.3 GiB file: restic lists its size and checks it; it restores sparse with its data in place', { skip, timeout: 600_000 }, async () => {
  const src = join(scratch, 'src');
  const repo = join(scratch, 'repo');
  mkdirSync(src);
  const file = join(src, 'disk.img');
  const fd = openSync(file, 'w');
  ftruncateSync(fd, SIZE);
  for (const [i, at] of PIECES.entries()) writeSync(fd, pseudoRandom(4096, `large${i}`), 0, 4096, at);
  closeSync(fd);
  ok(await hs('init', ...auth(repo)), 'init');
  ok(await hs('run', ...auth(repo), src), 'run');
  const node = ok(await restic(repo, 'ls', '--json', 'latest'), 'restic ls').stdout.split('\n').map((l) => (l ? (JSON.parse(l) as { name?: string; size?: number }) : {})).find((n) => n.name === 'disk.img');
  assert.equal(node?.size, SIZE);
  ok(await restic(repo, 'check', '--read-data'), 'restic check --read-data');
  const target = join(scratch, 'target');
  ok(await hs('restore', ...auth(repo), 'latest', '--target', target, '--include', file), 'restore --include');
  const restored = join(target, file);
  const st = statSync(restored);
  assert.equal(st.size, SIZE);
  assert.ok(st.blocks * 512 < 64 * 2 ** 20, `sparse: ${st.blocks * 512} bytes allocated`);
  for (const [i, at] of PIECES.entries()) assert.ok(readAt(restored, at, 4096).equals(pseudoRandom(4096, `large${i}`)), `data at ${at}`);
  assert.ok(readAt(restored, 3 * 2 ** 30, 4096).equals(Buffer.alloc(4096)));
});
