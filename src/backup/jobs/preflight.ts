/**
 * What `check-config` checks of the backup jobs on this host, beyond the file itself: each
 * password file is readable, each repository is reachable and opens with its password (a
 * removable disk not mounted is named as such), the command's program exists, and nothing is
 * asked that this build cannot do. Opening a
 * repository reads its config and key files only; nothing is written.
 */
import { access, constants, readFile } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import type { BackupsConfig } from '../../config/backups.js';
import { splitCommandLine } from '../../config/command-line.js';
import { Repository } from '../repo/repository.js';
import { JOB_VERBS } from './verbs.js';

export interface PreflightProblem {
  job: string;
  key: string;
  message: string;
}

async function programFound(program: string): Promise<boolean> {
  const candidates = isAbsolute(program) || program.includes('/') ? [program] : (process.env.PATH ?? '/usr/bin:/bin').split(':').map((d) => `${d}/${program}`);
  for (const c of candidates) {
    try {
      await access(c, constants.X_OK);
      return true;
    } catch {
      // next
    }
  }
  return false;
}

/**
 * `openRepositories: false` checks what is on this host only (password files, programs): a reload
 * uses that, since a target that is unreachable for now is the job's failure alarm, not a bad
 * configuration, and an scrypt per repository does not belong on the daemon's event loop.
 */
export async function preflightBackups(config: BackupsConfig, open: typeof Repository.open = Repository.open.bind(Repository), openRepositories = true): Promise<PreflightProblem[]> {
  const problems: PreflightProblem[] = [];
  for (const job of config.jobs) {
    const at = (key: string) => `backups.jobs.${job.name}.${key}`;
    if (job.excludes.length > 0 && !JOB_VERBS.excludes) problems.push({ job: job.name, key: at('excludes'), message: 'exclude patterns are not supported by this build yet' });
    if (job.command !== undefined) {
      const program = splitCommandLine(job.command)[0] ?? '';
      if (!(await programFound(program))) problems.push({ job: job.name, key: at('command'), message: `program "${program}" not found or not executable` });
    }
    for (const [i, r] of job.repositories.entries()) {
      const key = at(`repositories[${i}]`);
      let password: string;
      try {
        password = (await readFile(r.passwordFile, 'utf8')).trim();
      } catch (err) {
        problems.push({ job: job.name, key: `${key}.passwordFile`, message: `cannot read ${r.passwordFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}` });
        continue;
      }
      if (!openRepositories) continue;
      try {
        await open(JOB_VERBS.backend(r), password);
      } catch (err) {
        const e = err as Error;
        const message = e.name === 'WrongPasswordError' ? `the password in ${r.passwordFile} opens no key of ${r.repo}` : e.name === 'NoRepositoryError' ? `${e.message} (create it with: hotstandby backup init -r ${r.repo} -p ${r.passwordFile})` : e.message;
        problems.push({ job: job.name, key: `${key}.repo`, message });
      }
    }
  }
  return problems;
}
