/**
 * `hotstandby backup init | run | snapshots | ls | restore`: restic's verbs on a restic repository
 * (format version 2), with restic's --repo / --password-file and its environment variables
 * (RESTIC_REPOSITORY, RESTIC_PASSWORD_FILE, RESTIC_PASSWORD), and --json on every verb.
 */
import { readFile } from 'node:fs/promises';
import { formatGoTime } from '../backup/repo/go-json.js';
import { encodeSnapshot } from '../backup/repo/snapshot.js';
import { backendFromLocation, parseLocation, type LocationOptions } from '../backup/backend/from-location.js';
import { parseExtendedOptions } from '../backup/backend/extended-options.js';
import {
  LockedError,
  type Backend,
  NoRepositoryError,
  Repository,
  WrongPasswordError,
  withLock,
  findSnapshot,
  loadSnapshots,
  walkTree,
  type Snapshot,
} from '../backup/index.js';
import { parseCommand, type OptionsConfig } from './parse-command.js';
import { UsageError, VERB_MODULES } from './backup-verbs/index.js';
import { nodeJson } from './backup-verbs/node-json.js';
import { RESTORE_HELP, RESTORE_OPTIONS, RUN_HELP, RUN_OPTIONS, restoreSnapshot, runBackup, runRestore } from './backup-verbs/run-restore.js';

const USAGE_EXIT = 64;
const FAIL_EXIT = 1;
/** restic's: the snapshot was saved, but some source data could not be read (left out). */
const INCOMPLETE_EXIT = 3;

const HELP = `usage: hotstandby backup <verb> [options]

Backups in restic's repository format (version 2): restic can check, list and restore them.

verbs:
  init                          create a repository
  run PATH…                     back up files and directories as a new snapshot
                                [--tag TAG]… [--host NAME] [--parent ID|none]
${RUN_HELP}
  snapshots                     list the snapshots
  ls SNAPSHOT                   list the files of a snapshot (an id, a prefix or latest)
  restore SNAPSHOT --target DIR restore a snapshot below DIR
${RESTORE_HELP}
${Object.values(VERB_MODULES).map((m) => m.help).join('\n')}

options of every verb:
  -r, --repo REPO           the repository: a path, sftp:user@host:/path or s3:https://host/bucket/prefix
                            (default: $RESTIC_REPOSITORY; S3 keys from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)
  -p, --password-file FILE  the password's file (default: $RESTIC_PASSWORD_FILE, else $RESTIC_PASSWORD)
  -o, --option KEY=VALUE    restic's extended options, repeatable: sftp.command="ssh -p 2222 user@host -s sftp",
                            local|sftp|s3.connections=N, *.layout=default, s3.region, s3.storage-class,
                            s3.list-objects-v1=true, s3.bucket-lookup=auto|dns|path
                            (the command that runs the SFTP subsystem), s3.region=REGION
  --json                    machine-readable output
  --require-mount DIR       refuse to run unless a filesystem is mounted on DIR and the repository
                            is below it (a removable disk; default: $HOTSTANDBY_REQUIRE_MOUNT).
                            Mount points listed in /etc/fstab are checked without it.
  -h, --help                this help`;

const COMMON = {
  repo: { type: 'string', short: 'r' },
  'password-file': { type: 'string', short: 'p' },
  json: { type: 'boolean', default: false },
  'require-mount': { type: 'string' },
  option: { type: 'string', short: 'o', multiple: true },
} as const satisfies OptionsConfig;

const VERB_OPTIONS = {
  init: {},
  run: { tag: { type: 'string', multiple: true }, host: { type: 'string' }, parent: { type: 'string' }, ...RUN_OPTIONS },
  snapshots: {},
  ls: {},
  restore: { target: { type: 'string' }, ...RESTORE_OPTIONS },
} as const satisfies Record<string, OptionsConfig>;

type Verb = keyof typeof VERB_OPTIONS;

interface Common {
  repo?: string;
  'password-file'?: string;
  json: boolean;
  'require-mount'?: string;
  option?: string[];
}

function repoLocation(values: Common): string {
  const repo = values.repo ?? process.env.RESTIC_REPOSITORY;
  if (!repo) throw new UsageError('no repository: give --repo or set RESTIC_REPOSITORY');
  try {
    parseLocation(repo);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  return repo;
}

/** restic reads the password file whole and trims white space around it. */
async function password(values: Common): Promise<string> {
  const file = values['password-file'] ?? process.env.RESTIC_PASSWORD_FILE;
  if (file) return (await readFile(file, 'utf8')).trim();
  const env = process.env.RESTIC_PASSWORD;
  if (env !== undefined) return env;
  throw new UsageError('no password: give --password-file or set RESTIC_PASSWORD_FILE or RESTIC_PASSWORD');
}

const shortId = (id: string) => id.slice(0, 8);

function snapshotJson(id: string, s: Snapshot): Record<string, unknown> {
  return { ...(JSON.parse(encodeSnapshot(s).toString()) as object), id, short_id: shortId(id) };
}

/** The -o/--option values, checked (a usage error names the bad one). */
function extendedOptions(values: Common): LocationOptions {
  try {
    return parseExtendedOptions(values.option ?? []);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function repoBackend(values: Common): Backend {
  const requireMount = values['require-mount'] ?? process.env.HOTSTANDBY_REQUIRE_MOUNT;
  const options = extendedOptions(values);
  const location = repoLocation(values);
  return backendFromLocation(location, process.env, { ...options, ...(requireMount ? { requireMount } : {}) });
}

async function openRepo(values: Common): Promise<Repository> {
  return Repository.open(repoBackend(values), await password(values));
}

function print(json: boolean, obj: unknown, text: string): void {
  console.log(json ? JSON.stringify(obj) : text);
}

async function runVerb(verb: Verb, values: Common & Record<string, unknown>, args: string[]): Promise<number> {
  const module = VERB_MODULES[verb];
  if (module) return module.run({ values, args, openRepo: () => openRepo(values), print: (obj, text) => print(values.json, obj, text), stdout: process.stdout, stderr: process.stderr });
  switch (verb) {
    case 'init': {
      if (args.length) throw new UsageError('init takes no arguments');
      const location = repoLocation(values);
      const repo = await Repository.init(repoBackend(values), await password(values));
      print(values.json, { message_type: 'initialized', id: repo.config.id, repository: location }, `created restic repository ${repo.config.id.slice(0, 10)} at ${location}`);
      return 0;
    }
    case 'run': {
      const repo = await openRepo(values);
      return withLock(repo, false, async () => {
        const started = performance.now();
        const r = await runBackup(repo, values, args);
        const seconds = (performance.now() - started) / 1000;
        const s = r.stats;
        print(
          values.json,
          {
            message_type: 'summary',
            files_new: s.files - s.unchangedFiles,
            files_unmodified: s.unchangedFiles,
            dirs_new: s.dirs - s.unchangedDirs,
            dirs_unmodified: s.unchangedDirs,
            data_added: s.bytesStored,
            total_files_processed: s.files,
            total_bytes_processed: s.bytesRead,
            total_duration: seconds,
            snapshot_id: r.id,
            ...(r.errors.length ? { error_count: r.errors.length, errors: r.errors } : {}),
          },
          `Files: ${s.files} (${s.unchangedFiles} unchanged), dirs: ${s.dirs} (${s.unchangedDirs} unchanged)\n` +
            `Added to the repository: ${s.bytesStored} bytes in ${s.blobsSaved} blobs; read ${s.bytesRead} bytes in ${seconds.toFixed(2)} s\n` +
            `snapshot ${shortId(r.id)} saved` +
            (r.errors.length ? `\n${r.errors.length} ${r.errors.length === 1 ? 'entry' : 'entries'} could not be read and ${r.errors.length === 1 ? 'is' : 'are'} not in the snapshot` : ''),
        );
        return r.errors.length ? INCOMPLETE_EXIT : 0;
      });
    }
    case 'snapshots': {
      if (args.length) throw new UsageError('snapshots takes no arguments');
      const all = await loadSnapshots(await openRepo(values));
      if (values.json) {
        console.log(JSON.stringify(all.map((e) => snapshotJson(e.id, e.snapshot))));
        return 0;
      }
      const rows = all.map((e) => [shortId(e.id), formatGoTime(e.snapshot.time).slice(0, 19).replace('T', ' '), e.snapshot.hostname ?? '', (e.snapshot.tags ?? []).join(','), e.snapshot.paths.join(' ')]);
      const head = ['ID', 'Time', 'Host', 'Tags', 'Paths'];
      const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
      const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
      console.log([line(head), '-'.repeat(line(head).length), ...rows.map(line), `${all.length} snapshots`].join('\n'));
      return 0;
    }
    case 'ls': {
      if (args.length !== 1) throw new UsageError('ls needs one snapshot (an id, a prefix or latest)');
      const repo = await openRepo(values);
      const { id, snapshot } = await findSnapshot(repo, args[0]!);
      await repo.loadIndex();
      if (values.json) console.log(JSON.stringify({ ...snapshotJson(id, snapshot), struct_type: 'snapshot' }));
      for await (const { path, node } of walkTree(repo, snapshot.tree)) {
        if (values.json) console.log(JSON.stringify(nodeJson(path, node, { fileSize: true })));
        else console.log(path);
      }
      return 0;
    }
    case 'restore': {
      if (args.length !== 1) throw new UsageError('restore needs one snapshot (an id, a prefix or latest)');
      const target = values.target as string | undefined;
      if (!target) throw new UsageError('restore needs --target DIR');
      const repo = await openRepo(values);
      const { id, snapshot } = await restoreSnapshot(repo, values, args[0]!);
      const started = performance.now();
      // Under a lock: a prune must not remove packs meanwhile.
      const s = await withLock(repo, false, () => runRestore(repo, values, snapshot.tree, target));
      const seconds = (performance.now() - started) / 1000;
      print(
        values.json,
        { message_type: 'summary', snapshot_id: id, files_restored: s.files, dirs_restored: s.dirs, symlinks_restored: s.symlinks, bytes_restored: s.bytesWritten, total_duration: seconds },
        `restored snapshot ${shortId(id)} to ${target}: ${s.files} files, ${s.dirs} directories, ${s.symlinks} symlinks, ${s.bytesWritten} bytes in ${seconds.toFixed(2)} s`,
      );
      return 0;
    }
  }
}

/** The options of every verb that take a value (restic's global flags: `restic -r REPO -o k=v snapshots`). */
const COMMON_WITH_VALUE = new Set(['-r', '--repo', '-p', '--password-file', '-o', '--option', '--require-mount']);

/**
 * restic takes its global flags before the verb too (`restic -r /srv/repo snapshots`): the
 * options of every verb given first are moved after the verb, which the parser then reads as usual.
 */
function verbFirst(argv: string[]): string[] {
  let i = 0;
  while (i < argv.length && argv[i]!.startsWith('-') && argv[i] !== '-h' && argv[i] !== '--help') {
    const a = argv[i]!;
    if (a === '--json' || (a.startsWith('--') && a.includes('=') && COMMON_WITH_VALUE.has(a.slice(0, a.indexOf('='))))) i += 1;
    else if (COMMON_WITH_VALUE.has(a)) i += 2;
    else return argv; // not an option of every verb: left for the usage error
  }
  if (i === 0 || i >= argv.length) return argv;
  return [argv[i]!, ...argv.slice(0, i), ...argv.slice(i + 1)];
}

export async function runBackupCommand(argv: string[]): Promise<number> {
  // `hotstandby backup ls latest | head` closes the pipe early: that is not an error.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    throw err;
  });
  const [verb, ...rest] = verbFirst(argv);
  if (verb === undefined || verb === '-h' || verb === '--help' || verb === 'help') {
    console.log(HELP);
    return verb === undefined ? USAGE_EXIT : 0;
  }
  if (!(verb in VERB_OPTIONS) && !(verb in VERB_MODULES)) {
    console.error(`hotstandby backup: unknown verb '${verb}'\n\n${HELP}`);
    return USAGE_EXIT;
  }
  const v = verb as Verb;
  const parsed = parseCommand(rest, {
    name: `backup ${v}`,
    help: HELP,
    options: { ...COMMON, ...(VERB_MODULES[v]?.options ?? VERB_OPTIONS[v]) } as OptionsConfig,
    allowPositionals: true,
    usageExit: USAGE_EXIT,
  });
  if (typeof parsed === 'number') return parsed;
  const values = parsed.values as unknown as Common & Record<string, unknown>;
  try {
    extendedOptions(values); // a bad -o is a usage error before anything is opened or read
    return await runVerb(v, values, parsed.positionals);
  } catch (err) {
    if (err instanceof UsageError) return parsed.usage(err.message);
    const message =
      err instanceof WrongPasswordError
        ? 'wrong password or no key found'
        : err instanceof NoRepositoryError || err instanceof LockedError
          ? err.message
          : err instanceof Error
            ? err.message
            : String(err);
    if (values.json) console.log(JSON.stringify({ message_type: 'error', error: message }));
    console.error(`hotstandby backup ${v}: ${message}`);
    return FAIL_EXIT;
  }
}
