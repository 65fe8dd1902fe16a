/**
 * One command timed from a cold page cache (the backup benches): `sync`, then (as root) a drop of
 * the page cache, then the command under /usr/bin/time for its wall time, CPU and peak RSS, with
 * the load average seen just before it.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';

export interface ColdRun {
  wall: number;
  cpu: number;
  user: number;
  sys: number;
  rssMb: number;
  load: number;
}

/** Drops the page cache, dentries and inodes (root only): the next reads come from the disk. */
export function dropPageCache(): void {
  writeFileSync('/proc/sys/vm/drop_caches', '3\n');
}

/** Runs a command and throws with its stderr when it fails. */
export function runOrThrow(cmd: string, args: string[], env: NodeJS.ProcessEnv): void {
  const r = spawnSync(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.signal ?? r.status}): ${r.stderr}`);
}

/**
 * `cmd` after a sync and a cache drop (root only; not with `warm`, as the bench row runs), timed;
 * `timeFile` is /usr/bin/time's scratch file.
 */
export function coldRun(cmd: string[], env: NodeJS.ProcessEnv, timeFile: string, warm = false): ColdRun {
  runOrThrow('sync', [], env);
  if (!warm && process.getuid?.() === 0) dropPageCache();
  const load = loadavg()[0]!;
  runOrThrow('/usr/bin/time', ['-o', timeFile, '-f', '%e %U %S %M', ...cmd], env);
  const [wall, user, sys, kb] = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
  return { wall: wall!, cpu: user! + sys!, user: user!, sys: sys!, rssMb: kb! / 1024, load };
}
