/** Helpers for process-check tests: a uniquely named copy of sleep, so no other process matches. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { chmod, copyFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

export interface SleepBinary {
  dir: string;
  path: string;
  /** The process name the kernel will show (the file name, at most 15 bytes). */
  comm: string;
  start(args?: string[]): Promise<ChildProcess>;
}

export async function uniqueSleep(t: TestContext, name = `hs-sl-${Math.random().toString(36).slice(2, 8)}`): Promise<SleepBinary> {
  const dir = await mkdtemp(join(tmpdir(), 'hs-proc-'));
  await chmod(dir, 0o755);
  const path = join(dir, name);
  await copyFile('/bin/sleep', path);
  await chmod(path, 0o755);
  const children: ChildProcess[] = [];
  t.after(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });
  return {
    dir,
    path,
    comm: Buffer.from(name).subarray(0, 15).toString(),
    async start(args = ['1000']) {
      const child = spawn(path, args, { stdio: 'ignore' });
      children.push(child);
      await once(child, 'spawn');
      return child;
    },
  };
}
