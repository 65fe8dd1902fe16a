/**
 * What the restic oracle tests share: restic and hotstandby as a user runs them, a source tree
 * with every kind of entry and awkward names, and a description of a tree that must survive a
 * round trip. Skipped, with the reason, where restic is not installed.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { linkSync, chownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadNative } from '../../src/net/native.js';
import { bytesToName, fsPath } from '../../src/backup/repo/names.js';
import type { Repository } from '../../src/backup/repo/repository.js';
import { decodeTree } from '../../src/backup/repo/tree.js';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

function resticVersion(): string | undefined {
  try {
    return execFileSync('restic', ['version'], { encoding: 'utf8' }).trim();
  } catch {
    return undefined;
  }
}
export const version = resticVersion();
export const skip = version === undefined ? 'restic is not installed (apt-get install restic)' : false;
export const isRoot = process.getuid?.() === 0;

export const PASSWORD = 'correct horse';

/** A scratch directory removed after the file's tests, with the password in `password`. */
export function scratchDir(prefix: string): { scratch: string; passwordFile: string } {
  const scratch = mkdtempSync(join(tmpdir(), prefix));
  after(() => rmSync(scratch, { recursive: true, force: true }));
  const passwordFile = join(scratch, 'password');
  writeFileSync(passwordFile, `${PASSWORD}\n`);
  return { scratch, passwordFile };
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

export function run(cmd: string, args: string[], env: Record<string, string> = {}, cwd = repoRoot): Promise<Run> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

export const restic = (repo: string, ...args: string[]) => run('restic', ['--no-cache', '-r', repo, ...args], { RESTIC_PASSWORD: PASSWORD });
export const hs = (...args: string[]) => run(process.execPath, ['bin/hotstandby', 'backup', ...args]);

export function ok(r: Run, what: string): Run {
  assert.equal(r.code, 0, `${what} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** Deterministic pseudo-random bytes (SHA-256 in counter mode). */
export function pseudoRandom(n: number, seed: string): Buffer {
  const out = Buffer.alloc(n);
  for (let i = 0, off = 0; off < n; i++, off += 32) createHash('sha256').update(`${seed}:${i}`).digest().copy(out, off);
  return out;
}

export const native = (() => {
  try {
    return loadNative();
  } catch {
    return undefined;
  }
})();

/** Sets an odd nanosecond mtime (and atime) so that any rounding shows. */
export function setNs(path: string, sec: number, nsec: number): void {
  native?.setFileTimes?.(fsPath(path), sec, nsec, sec, nsec, true);
}

/** A small tree with every kind of entry `run` handles. */
export function makeSource(dir: string, seed: string): void {
  mkdirSync(join(dir, 'sub', 'deeper'), { recursive: true });
  mkdirSync(join(dir, 'empty-dir'));
  writeFileSync(join(dir, 'random.bin'), pseudoRandom(3 * 1024 * 1024 + 17, seed));
  writeFileSync(join(dir, 'zeros'), Buffer.alloc(1536 * 1024));
  writeFileSync(join(dir, 'text.txt'), 'hello <&> world\n');
  writeFileSync(join(dir, 'empty-file'), '');
  writeFileSync(join(dir, 'sub', 'deeper', 'file'), 'deep\n');
  writeFileSync(join(dir, 'we"ird \\ name\nwith a newline'), 'odd name\n');
  writeFileSync(join(dir, 'setuid'), '#!/bin/sh\n');
  chmodSync(join(dir, 'setuid'), 0o4755);
  chmodSync(join(dir, 'text.txt'), 0o640);
  chmodSync(join(dir, 'sub'), 0o750);
  // Names that are not UTF-8: restic keeps their bytes, so must we.
  const notUtf8 = Buffer.concat([Buffer.from(dir + '/bad-'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('.txt')]);
  writeFileSync(notUtf8, 'latin-1 era\n');
  const notUtf8Dir = Buffer.concat([Buffer.from(dir + '/dir-'), Buffer.from([0xe9, 0x80])]);
  mkdirSync(notUtf8Dir);
  writeFileSync(Buffer.concat([notUtf8Dir, Buffer.from('/inside')]), 'inside\n');
  symlinkSync('sub/deeper/file', join(dir, 'link-relative'));
  linkSync(join(dir, 'text.txt'), join(dir, 'sub', 'hard-link-to-text'));
  symlinkSync('/nonexistent/target', join(dir, 'link-dangling'));
  if (isRoot) {
    chownSync(join(dir, 'text.txt'), 1234, 5678);
    chownSync(join(dir, 'sub'), 4321, 8765);
  }
  let n = 0;
  const stamp = (p: string) => setNs(p, 1_700_000_000 + n++ * 1000, 123_456_789 + n);
  const walk = (p: string) => {
    for (const raw of readdirSync(fsPath(p), { encoding: 'buffer' })) {
      const child = join(p, bytesToName(raw));
      if (lstatSync(fsPath(child)).isDirectory()) walk(child);
      stamp(child);
    }
  };
  walk(dir);
  stamp(dir);
}

/** What must survive a round trip: per entry type, permissions, owner, size, mtime, content, target. */
export function describe(root: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    const p = fsPath(join(root, rel));
    const st = lstatSync(p, { bigint: true });
    const type = st.isDirectory() ? 'dir' : st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : 'other';
    const extra = type === 'file' ? createHash('sha256').update(readFileSync(p)).digest('hex').slice(0, 16) : type === 'symlink' ? readlinkSync(p) : '';
    const mode = type === 'symlink' ? '' : (Number(st.mode) & 0o7777).toString(8);
    const links = type === 'file' ? Number(st.nlink) : 0;
    out.push(JSON.stringify([rel, type, mode, Number(st.uid), Number(st.gid), type === 'file' ? Number(st.size) : 0, st.mtimeNs.toString(), extra, links]));
    if (type === 'dir') {
      for (const name of readdirSync(p, { encoding: 'buffer' }).map(bytesToName).sort()) walk(rel === '' ? name : `${rel}/${name}`);
    }
  };
  walk('');
  return out;
}


/** Polls `cond` until it holds (generous deadline: the machine is shared and loaded). */
export async function waitFor(cond: () => boolean | Promise<boolean>, what: string, ms = 120_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * The subtree id of directory `path` in a snapshot's tree (its ancestors in the temp dir change
 * as other programs use it, so tests compare this).
 */
export async function subtreeOf(repo: Repository, tree: string, path: string): Promise<string> {
  let id = tree;
  for (const name of path.split('/').filter(Boolean)) {
    const node = decodeTree(await repo.loadBlob('tree', id)).find((n) => n.name === name);
    assert.ok(node?.subtree, `${path}: no directory ${name}`);
    id = node.subtree;
  }
  return id;
}
