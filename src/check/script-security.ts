/**
 * keepalived's script checks (enable_script_security), done before any script runs:
 *  - the program must exist, be a regular file and be executable by the user it runs as; a bare
 *    name is looked up in PATH as spawn (execvp) would;
 *  - when it runs as root (uid 0 or gid 0, or is set-uid/set-gid root), neither the file nor any
 *    directory from / down to it may be replaceable by a non-root user: owned by a non-root user,
 *    or writable by a non-root group or by everyone (a directory with the sticky bit, like /tmp,
 *    may be writable, but must still be owned by root). Symbolic links are checked both where
 *    they stand and where they lead.
 * With script security off, such unsafe permissions are only warnings, as in keepalived.
 *
 * Also resolves the script user (keepalived's script_user; default `keepalived_script` when
 * that user exists, else the user the daemon runs as) from /etc/passwd and /etc/group.
 */
import { constants, type Stats } from 'node:fs';
import { lstat, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError } from '../config/config-error.js';

export interface RunAs {
  uid: number;
  gid: number;
}

export interface ScriptSecurityOptions {
  /** keepalived enable_script_security: refuse unsafe scripts. Off: report them as warnings. Default on. */
  enforce?: boolean;
  /** PATH for bare program names; default that of this process, else /usr/bin:/bin (libuv's default). */
  searchPath?: string;
  /** Directory relative program paths are taken from; default process.cwd(). */
  cwd?: string;
}

export interface ScriptCheck {
  /** The absolute program path spawn will run. */
  program: string;
  /** The same with every symbolic link resolved. */
  realPath: string;
  /** Unsafe permissions found while script security is off. */
  warnings: string[];
}

/** A script the daemon refuses to use; the caller re-throws it as a ConfigError with file and line. */
export class ScriptSecurityError extends ConfigError {
  constructor(
    message: string,
    /** The file or directory at fault. */
    readonly path: string,
  ) {
    super(message);
    this.name = 'ScriptSecurityError';
  }
}

/** Mode bits fs.constants does not name. */
const S_ISUID = 0o4000;
const S_ISGID = 0o2000;
const S_ISVTX = 0o1000;

/** libuv's search path when the environment has no PATH. */
const DEFAULT_SEARCH_PATH = '/usr/bin:/bin';

/**
 * Checks the program of `command` for running as `runAs`. Throws ScriptSecurityError naming the
 * path at fault and why; resolves to the program spawn will run and any non-enforced warnings.
 */
export async function checkScriptSecurity(command: readonly string[], runAs: RunAs, opts: ScriptSecurityOptions = {}): Promise<ScriptCheck> {
  const name = command[0];
  if (name === undefined || name === '') throw new ScriptSecurityError('Script command is empty', '');
  try {
    return await checkProgram(name, runAs, opts);
  } catch (err) {
    if (err instanceof ScriptSecurityError) throw err;
    // A file changing under us, or a directory root cannot read (NFS root squash).
    const code = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new ScriptSecurityError(`Script "${name}" cannot be checked (${code})`, (err as NodeJS.ErrnoException).path ?? name);
  }
}

async function checkProgram(name: string, runAs: RunAs, opts: ScriptSecurityOptions): Promise<ScriptCheck> {
  const cwd = opts.cwd ?? process.cwd();
  const { program, stats } = name.includes('/')
    ? await checkProgramFile(path.resolve(cwd, name), runAs)
    : await searchProgram(name, runAs, opts.searchPath ?? process.env.PATH ?? DEFAULT_SEARCH_PATH, cwd);

  const realPath = await realpath(program);
  await checkReachable(program, realPath, runAs);

  const warnings: string[] = [];
  if (needsProtection(stats, runAs)) {
    const who = runAs.uid === 0 || runAs.gid === 0 ? `runs as uid ${runAs.uid} gid ${runAs.gid}` : 'is set-uid/set-gid root';
    // Where the name stands (its directory resolved) and, for a link, where it leads.
    const linkPath = path.join(await realpath(path.dirname(program)), path.basename(program));
    for (const chain of linkPath === realPath ? [realPath] : [linkPath, realPath]) {
      const problem = await firstUnsafeComponent(chain);
      if (problem === null) continue;
      const message = `Script "${program}" ${who}, but ${problem.reason}: a non-root user could replace what runs`;
      if (opts.enforce ?? true) throw new ScriptSecurityError(message, problem.path);
      warnings.push(message);
    }
  }
  return { program, realPath, warnings };
}

async function checkProgramFile(program: string, runAs: RunAs): Promise<{ program: string; stats: Stats }> {
  let stats: Stats;
  try {
    stats = await stat(program);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new ScriptSecurityError(`Script "${program}" does not exist`, program);
    throw new ScriptSecurityError(`Script "${program}" cannot be read (${code ?? String(err)})`, program);
  }
  if (!stats.isFile()) throw new ScriptSecurityError(`Script "${program}" is not a regular file`, program);
  if (!isExecutable(stats, runAs)) {
    throw new ScriptSecurityError(`Script "${program}" is not executable by uid ${runAs.uid} gid ${runAs.gid} (${describe(stats)})`, program);
  }
  return { program, stats };
}

/** execvp's search: the first regular file executable by the user; empty entries mean the current directory. */
async function searchProgram(name: string, runAs: RunAs, searchPath: string, cwd: string): Promise<{ program: string; stats: Stats }> {
  let deniedAt: string | undefined;
  for (const dir of searchPath.split(':')) {
    const candidate = path.resolve(cwd, dir === '' ? '.' : dir, name);
    const stats = await stat(candidate).catch(() => undefined);
    if (stats === undefined || !stats.isFile()) continue;
    if (isExecutable(stats, runAs)) return { program: candidate, stats };
    deniedAt ??= candidate;
  }
  if (deniedAt !== undefined) {
    throw new ScriptSecurityError(`Script "${name}" was found in PATH at "${deniedAt}" but is not executable by uid ${runAs.uid} gid ${runAs.gid}`, deniedAt);
  }
  throw new ScriptSecurityError(`Script "${name}" was not found in PATH "${searchPath}"`, name);
}

/** Every directory leading to the file must be searchable by the user, or exec fails with EACCES. */
async function checkReachable(program: string, realPath: string, runAs: RunAs): Promise<void> {
  if (runAs.uid === 0) return;
  for (const dir of ancestors(path.dirname(realPath))) {
    const stats = await stat(dir);
    if (!isExecutable(stats, runAs)) {
      throw new ScriptSecurityError(
        `Script "${program}" cannot be reached by uid ${runAs.uid} gid ${runAs.gid}: directory "${dir}" is not searchable (${describe(stats)})`,
        dir,
      );
    }
  }
}

/** keepalived checks paths only when the script would run with root's powers. */
function needsProtection(stats: Stats, runAs: RunAs): boolean {
  const mode = stats.mode;
  return (
    runAs.uid === 0 ||
    runAs.gid === 0 ||
    (stats.uid === 0 && (mode & constants.S_IXUSR) !== 0 && (mode & S_ISUID) !== 0) ||
    (stats.gid === 0 && (mode & constants.S_IXGRP) !== 0 && (mode & S_ISGID) !== 0)
  );
}

/** keepalived's rule for who may run a file: root needs any x bit; otherwise owner, then group, then other. */
function isExecutable(stats: Stats, runAs: RunAs): boolean {
  const mode = stats.mode;
  if (runAs.uid === 0) return (mode & (constants.S_IXUSR | constants.S_IXGRP | constants.S_IXOTH)) !== 0;
  if (runAs.uid === stats.uid) return (mode & constants.S_IXUSR) !== 0;
  if (runAs.gid === stats.gid) return (mode & constants.S_IXGRP) !== 0;
  return (mode & constants.S_IXOTH) !== 0;
}

/** The first of /, /a, /a/b, ... `target` (not following a final link) that a non-root user controls. */
async function firstUnsafeComponent(target: string): Promise<{ path: string; reason: string } | null> {
  const chain = ancestors(target);
  for (let i = 0; i < chain.length; i++) {
    const component = chain[i] as string;
    const last = i === chain.length - 1;
    const stats = await lstat(component);
    if (!last && !stats.isDirectory()) return { path: component, reason: `"${component}" is not a directory` };
    if (last && !stats.isFile() && !stats.isSymbolicLink()) return { path: component, reason: `"${component}" is not a regular file` };
    if (stats.uid !== 0) return { path: component, reason: `"${component}" is owned by uid ${stats.uid}, not root (${describe(stats)})` };
    // Links' own mode bits mean nothing; a sticky directory only lets owners replace their own files.
    const modeMatters = stats.isFile() || (stats.isDirectory() && (stats.mode & S_ISVTX) === 0);
    if (!modeMatters) continue;
    if ((stats.mode & constants.S_IWOTH) !== 0) {
      return { path: component, reason: `"${component}" is writable by everyone (${describe(stats)})` };
    }
    if (stats.gid !== 0 && (stats.mode & constants.S_IWGRP) !== 0) {
      return { path: component, reason: `"${component}" is writable by group ${stats.gid} (${describe(stats)})` };
    }
  }
  return null;
}

/** "/", "/a", "/a/b" for "/a/b" (an absolute, normalised path). */
function ancestors(absolute: string): string[] {
  const out = ['/'];
  let current = '';
  for (const part of absolute.split('/')) {
    if (part === '') continue;
    current += `/${part}`;
    out.push(current);
  }
  return out;
}

function describe(stats: Stats): string {
  return `mode ${(stats.mode & 0o7777).toString(8).padStart(4, '0')}, owner uid ${stats.uid} gid ${stats.gid}`;
}

// ---------------------------------------------------------------------------------------------
// The script user

export interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
  shell: string;
}

export interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

/** /etc/passwd lines `name:x:uid:gid:gecos:home:shell`; comments, NIS `+`/`-` lines and malformed lines are skipped. */
export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields.length < 7 || line.startsWith('#') || line.startsWith('+') || line.startsWith('-')) continue;
    const [name, , uid, gid, , home, shell] = fields as [string, string, string, string, string, string, string];
    if (name === '' || !/^\d+$/.test(uid) || !/^\d+$/.test(gid)) continue;
    out.push({ name, uid: Number(uid), gid: Number(gid), home, shell });
  }
  return out;
}

/** /etc/group lines `name:x:gid:member,member`; malformed lines are skipped. */
export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    const fields = line.split(':');
    if (fields.length < 4 || line.startsWith('#') || line.startsWith('+') || line.startsWith('-')) continue;
    const [name, , gid, members] = fields as [string, string, string, string];
    if (name === '' || !/^\d+$/.test(gid)) continue;
    out.push({ name, gid: Number(gid), members: members === '' ? [] : members.split(',') });
  }
  return out;
}

export interface ScriptUser extends RunAs {
  /** The user name (or the uid as text when the daemon's own uid has no passwd entry). */
  user: string;
}

export interface UserDatabase {
  passwdFile?: string;
  groupFile?: string;
  /** The daemon's own ids, the fallback when `keepalived_script` does not exist. Default: this process's. */
  self?: RunAs;
}

/** keepalived's default script user, used when script_user is not set and it exists. */
export const DEFAULT_SCRIPT_USER = 'keepalived_script';

/**
 * The uid/gid scripts run as: `user` (and `group`, default the user's own group), or with no
 * user, `keepalived_script` if it exists and otherwise the daemon's own ids. Throws ConfigError
 * naming an unknown user or group.
 */
export async function resolveScriptUser(user?: string, group?: string, db: UserDatabase = {}): Promise<ScriptUser> {
  const passwd = parsePasswd(await readFile(db.passwdFile ?? '/etc/passwd', 'utf8'));
  let resolved: ScriptUser;
  if (user === undefined) {
    const fallback = db.self ?? { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
    const entry = passwd.find((e) => e.name === DEFAULT_SCRIPT_USER);
    resolved = entry
      ? { user: entry.name, uid: entry.uid, gid: entry.gid }
      : { user: passwd.find((e) => e.uid === fallback.uid)?.name ?? String(fallback.uid), ...fallback };
  } else {
    const entry = passwd.find((e) => e.name === user);
    if (entry === undefined) throw new ConfigError(`Script user "${user}" does not exist`);
    resolved = { user: entry.name, uid: entry.uid, gid: entry.gid };
  }
  if (group !== undefined) {
    const groups = parseGroup(await readFile(db.groupFile ?? '/etc/group', 'utf8'));
    const entry = groups.find((e) => e.name === group);
    if (entry === undefined) throw new ConfigError(`Script group "${group}" does not exist`);
    resolved = { ...resolved, gid: entry.gid };
  }
  return resolved;
}
