/** restic 0.14 as the oracle for the remote backends: running it, and comparing restored trees. */
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

export function resticSkipReason(): string | false {
  try {
    execFileSync('restic', ['version'], { stdio: 'ignore' });
    return false;
  } catch {
    return 'restic is not installed (apt-get install restic)';
  }
}

export interface ResticRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs restic (no cache) with `password` in RESTIC_PASSWORD and `env` added. */
export function runRestic(args: string[], password: string, env: Record<string, string> = {}): Promise<ResticRun> {
  return new Promise((resolve) => {
    execFile('restic', ['--no-cache', ...args], { env: { ...process.env, RESTIC_PASSWORD: password, ...env }, maxBuffer: 64 * 1024 * 1024, timeout: 300_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

/** One line per entry below `root`: path, type, permissions, size, mtime (ns), content hash or link target. */
export function treeDigest(root: string): string {
  const lines: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const r = join(rel, name);
      const p = join(root, r);
      const st = lstatSync(p, { bigint: true });
      const what = st.isFile() ? createHash('sha256').update(readFileSync(p)).digest('hex') : st.isSymbolicLink() ? readlinkSync(p) : '';
      lines.push(`${r} ${st.mode.toString(8)} ${st.isFile() ? st.size : ''} ${st.mtimeNs} ${what}`);
      if (st.isDirectory()) walk(r);
    }
  };
  walk('');
  return lines.join('\n');
}
