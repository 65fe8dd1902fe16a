/** What the backup job tests share: a repository in a scratch directory, real timers, a log that collects. */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalBackend } from '../../../src/backup/backend/local.js';
import { Repository } from '../../../src/backup/repo/repository.js';
import type { Clock, Logger, Timers } from '../../../src/ports/index.js';
import { version as resticVersion } from '../restic-fixture.js';

/** scrypt at restic's minimum cost would make every open take a while; tests use a small one. */
export const TEST_SCRYPT = { N: 1024, r: 8, p: 1 };

export async function initRepository(dir: string, name: string, password = 'secret'): Promise<{ repo: string; passwordFile: string }> {
  const repo = join(dir, name);
  const passwordFile = join(dir, `${name}.pw`);
  writeFileSync(passwordFile, `${password}\n`);
  await Repository.init(new LocalBackend(repo), password, { scrypt: TEST_SCRYPT });
  return { repo, passwordFile };
}

export const realTime: Clock & Timers = {
  now: () => performance.now(),
  at(deadline, fn) {
    const t = setTimeout(fn, Math.max(0, deadline - performance.now()));
    return () => clearTimeout(t);
  },
};

export function collectingLog(lines: string[] = []): Logger & { lines: string[] } {
  const log: Logger & { lines: string[] } = {
    lines,
    log: (level, message, fields) => lines.push(`${level} ${message}${fields ? ` ${JSON.stringify(fields)}` : ''}`),
    child: () => log,
  };
  return log;
}

/** restic 0.14 is installed (restic-fixture.ts asked it once). */
export const resticAvailable = (): boolean => resticVersion !== undefined;

export function restic(repo: { repo: string; passwordFile: string }, args: string[]): string {
  return execFileSync('restic', ['--no-cache', '-r', repo.repo, '--password-file', repo.passwordFile, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
