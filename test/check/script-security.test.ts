import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, chown, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../src/config/config-error.js';
import {
  checkScriptSecurity,
  parseGroup,
  parsePasswd,
  resolveScriptUser,
  ScriptSecurityError,
  type RunAs,
} from '../../src/check/script-security.js';

const ROOT: RunAs = { uid: 0, gid: 0 };
const NOBODY: RunAs = { uid: 65534, gid: 65534 };
const isRoot = process.getuid?.() === 0;
const self: RunAs = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };

/** A 0755 temp directory (root's when we are root) under /tmp, which is root's and sticky. */
async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'hs-scriptsec-'));
  try {
    await chmod(dir, 0o755);
    await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function script(file: string, mode = 0o755): Promise<string> {
  await writeFile(file, '#!/bin/sh\nexit 0\n');
  await chmod(file, mode);
  return file;
}

/** Asserts a ScriptSecurityError (a ConfigError) whose message matches and whose path is `at`. */
async function refuses(promise: Promise<unknown>, message: RegExp, at: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof ScriptSecurityError, `expected ScriptSecurityError, got ${String(err)}`);
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, message);
    assert.equal(err.path, at);
    return true;
  });
}

function needsRoot(t: TestContext): boolean {
  if (isRoot) return true;
  t.skip('needs root: creates root-owned files and chowns to nobody');
  return false;
}

test('checkScriptSecurity resolves a bare name through PATH as spawn would', async () => {
  await withDir(async (dir) => {
    await mkdir(path.join(dir, 'empty'), { mode: 0o755 });
    await mkdir(path.join(dir, 'bin'), { mode: 0o755 });
    await script(path.join(dir, 'empty', 'other'));
    const hook = await script(path.join(dir, 'bin', 'myhook'));
    const searchPath = `${dir}/empty:${dir}/bin`;
    const check = await checkScriptSecurity(['myhook', 'arg'], self, { searchPath });
    assert.equal(check.program, hook);
    assert.deepEqual(check.warnings, []);

    await refuses(checkScriptSecurity(['nothere'], self, { searchPath }), new RegExp(`Script "nothere" was not found in PATH "${searchPath}"`), 'nothere');
    const unexecutable = await script(path.join(dir, 'empty', 'plain'), 0o644);
    await refuses(
      checkScriptSecurity(['plain'], self, { searchPath }),
      /Script "plain" was found in PATH at ".*\/empty\/plain" but is not executable by uid \d+ gid \d+/,
      unexecutable,
    );
  });
});

test('checkScriptSecurity: a script must exist, be a regular file and be executable', async () => {
  await withDir(async (dir) => {
    const missing = path.join(dir, 'missing.sh');
    await refuses(checkScriptSecurity([missing], self), /Script ".*missing\.sh" does not exist/, missing);
    await refuses(checkScriptSecurity([dir], self), /is not a regular file/, dir);
    const plain = await script(path.join(dir, 'plain.sh'), 0o644);
    await refuses(checkScriptSecurity([plain], self), /Script ".*plain\.sh" is not executable by uid \d+ gid \d+ \(mode 0644/, plain);
    await refuses(checkScriptSecurity([], self), /empty/, '');
  });
});

test('checkScriptSecurity: relative paths are taken from cwd', async () => {
  await withDir(async (dir) => {
    const hook = await script(path.join(dir, 'hook.sh'));
    const check = await checkScriptSecurity(['./hook.sh'], self, { cwd: dir });
    assert.equal(check.program, hook);
  });
});

test('checkScriptSecurity: system programs pass for root, links (/bin -> usr/bin) included', async () => {
  const id = await checkScriptSecurity(['id', '-u'], ROOT, { searchPath: '/usr/bin:/bin' });
  assert.equal(id.program, '/usr/bin/id');
  const sh = await checkScriptSecurity(['/bin/sh'], ROOT);
  assert.equal(sh.program, '/bin/sh');
  assert.match(sh.realPath, /^\/usr\/bin\//);
});

test('checkScriptSecurity: a directory owned by a non-root user makes a root script unsafe', async () => {
  await withDir(async (dir) => {
    const hook = await script(path.join(dir, 'hook.sh'));
    // As root, hand the directory to nobody; as anyone else it is already ours.
    const owner = isRoot ? NOBODY.uid : self.uid;
    if (isRoot) await chown(dir, NOBODY.uid, NOBODY.gid);
    await refuses(
      checkScriptSecurity([hook], ROOT),
      new RegExp(`Script ".*hook\\.sh" runs as uid 0 gid 0, but "${dir}" is owned by uid ${owner}, not root`),
      dir,
    );
  });
});

test('checkScriptSecurity (root): a safe script passes; group root may write', async (t) => {
  if (!needsRoot(t)) return;
  await withDir(async (dir) => {
    const hook = await script(path.join(dir, 'hook.sh'), 0o775); // group root may write: still safe
    const check = await checkScriptSecurity([hook, 'MASTER'], ROOT);
    assert.equal(check.program, hook);
    assert.equal(check.realPath, hook);
    assert.deepEqual(check.warnings, []);
  });
});

test('checkScriptSecurity (root): a script writable by a non-root group or by everyone is refused', async (t) => {
  if (!needsRoot(t)) return;
  await withDir(async (dir) => {
    const groupWritable = await script(path.join(dir, 'group.sh'), 0o775);
    await chown(groupWritable, 0, NOBODY.gid);
    await refuses(checkScriptSecurity([groupWritable], ROOT), /"[^"]*group\.sh" is writable by group 65534 \(mode 0775/, groupWritable);

    const worldWritable = await script(path.join(dir, 'world.sh'), 0o757);
    await refuses(checkScriptSecurity([worldWritable], ROOT), /"[^"]*world\.sh" is writable by everyone \(mode 0757/, worldWritable);

    const owned = await script(path.join(dir, 'owned.sh'), 0o755);
    await chown(owned, NOBODY.uid, 0);
    await refuses(checkScriptSecurity([owned], ROOT), /"[^"]*owned\.sh" is owned by uid 65534, not root/, owned);

    // gid 0 alone (a non-root user with group root) also needs protection.
    await refuses(checkScriptSecurity([worldWritable], { uid: NOBODY.uid, gid: 0 }), /runs as uid 65534 gid 0/, worldWritable);
  });
});

test('checkScriptSecurity (root): a writable directory on the way is refused unless sticky', async (t) => {
  if (!needsRoot(t)) return;
  await withDir(async (dir) => {
    const sub = path.join(dir, 'shared');
    await mkdir(sub);
    const hook = await script(path.join(sub, 'hook.sh'));
    await chmod(sub, 0o777);
    await refuses(checkScriptSecurity([hook], ROOT), new RegExp(`"${sub}" is writable by everyone \\(mode 0777`), sub);
    await chmod(sub, 0o1777); // like /tmp: others cannot replace root's file
    assert.equal((await checkScriptSecurity([hook], ROOT)).program, hook);
    await chown(sub, NOBODY.uid, 0);
    await refuses(checkScriptSecurity([hook], ROOT), /is owned by uid 65534, not root/, sub);
  });
});

test('checkScriptSecurity (root): scripts that run as their non-root owner are not path-checked', async (t) => {
  if (!needsRoot(t)) return;
  await withDir(async (dir) => {
    const sub = path.join(dir, 'mine');
    await mkdir(sub, { mode: 0o777 });
    await chmod(sub, 0o777);
    const hook = await script(path.join(sub, 'hook.sh'), 0o777);
    await chown(hook, NOBODY.uid, NOBODY.gid);
    const check = await checkScriptSecurity([hook], NOBODY);
    assert.deepEqual(check.warnings, []);
  });
});

test('checkScriptSecurity (root): a set-uid root program is checked even for a non-root user', async (t) => {
  if (!needsRoot(t)) return;
  await withDir(async (dir) => {
    const sub = path.join(dir, 'shared');
    await mkdir(sub);
    await chmod(sub, 0o777);
    const hook = await script(path.join(sub, 'suid'), 0o4755);
    await refuses(checkScriptSecurity([hook], NOBODY), /is set-uid\/set-gid root, but ".*shared" is writable by everyone/, sub);
  });
});

test('checkScriptSecurity (root): without script security, unsafe permissions are warnings', async (t) => {
  if (!needsRoot(t)) return;
  await withDir(async (dir) => {
    const hook = await script(path.join(dir, 'world.sh'), 0o777);
    const check = await checkScriptSecurity([hook], ROOT, { enforce: false });
    assert.equal(check.program, hook);
    assert.equal(check.warnings.length, 1);
    assert.match(check.warnings[0] ?? '', /is writable by everyone/);
    // Missing or unexecutable scripts are refused either way.
    await refuses(checkScriptSecurity([path.join(dir, 'nope')], ROOT, { enforce: false }), /does not exist/, path.join(dir, 'nope'));
  });
});

test('checkScriptSecurity (root): a link is checked where it stands and where it leads', async (t) => {
  if (!needsRoot(t)) return;
  await withDir(async (dir) => {
    const safe = path.join(dir, 'safe');
    const open = path.join(dir, 'open');
    await mkdir(safe, { mode: 0o755 });
    await mkdir(open);
    await chmod(open, 0o777);
    const target = await script(path.join(open, 'real.sh'));
    const link = path.join(safe, 'hook');
    await symlink(target, link);
    await refuses(checkScriptSecurity([link], ROOT), new RegExp(`"${open}" is writable by everyone`), open);

    // A safe target reached through a link that sits in an unsafe directory.
    const goodTarget = await script(path.join(safe, 'good.sh'));
    const badLink = path.join(open, 'hook');
    await symlink(goodTarget, badLink);
    await refuses(checkScriptSecurity([badLink], ROOT), new RegExp(`"${open}" is writable by everyone`), open);

    // Both places safe: fine, and the real path is reported.
    const goodLink = path.join(safe, 'good-link');
    await symlink(goodTarget, goodLink);
    const check = await checkScriptSecurity([goodLink], ROOT);
    assert.equal(check.program, goodLink);
    assert.equal(check.realPath, goodTarget);
  });
});

test('checkScriptSecurity (root): the user must be able to execute the script and reach it', async (t) => {
  if (!needsRoot(t)) return;
  await withDir(async (dir) => {
    const rootOnly = await script(path.join(dir, 'root-only.sh'), 0o700);
    await refuses(checkScriptSecurity([rootOnly], NOBODY), /is not executable by uid 65534 gid 65534 \(mode 0700, owner uid 0 gid 0\)/, rootOnly);
    assert.equal((await checkScriptSecurity([rootOnly], ROOT)).program, rootOnly, 'root may run any file with an x bit');

    const closed = path.join(dir, 'closed');
    await mkdir(closed, { mode: 0o700 });
    const hidden = await script(path.join(closed, 'hook.sh'), 0o755);
    await refuses(checkScriptSecurity([hidden], NOBODY), new RegExp(`cannot be reached by uid 65534 gid 65534: directory "${closed}" is not searchable`), closed);

    const groupOnly = await script(path.join(dir, 'group-only.sh'), 0o750);
    await chown(groupOnly, 0, NOBODY.gid);
    assert.equal((await checkScriptSecurity([groupOnly], NOBODY)).program, groupOnly, 'the group x bit counts for the group');
  });
});

const PASSWD = [
  'root:x:0:0:root:/root:/bin/bash',
  '# a comment',
  'nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin',
  'broken:line',
  '+nisuser::::::',
  'svc:x:998:997::/var/lib/svc:/usr/sbin/nologin',
].join('\n');
const GROUP = ['root:x:0:', 'nogroup:x:65534:', 'svc:x:997:svc,other', 'bad'].join('\n');

async function withUserFiles(passwd: string, fn: (db: { passwdFile: string; groupFile: string }) => Promise<void>): Promise<void> {
  await withDir(async (dir) => {
    const db = { passwdFile: path.join(dir, 'passwd'), groupFile: path.join(dir, 'group') };
    await writeFile(db.passwdFile, passwd);
    await writeFile(db.groupFile, GROUP);
    await fn(db);
  });
}

test('parsePasswd / parseGroup read the fields and skip comments, NIS and malformed lines', () => {
  assert.deepEqual(
    parsePasswd(PASSWD).map((e) => [e.name, e.uid, e.gid]),
    [
      ['root', 0, 0],
      ['nobody', 65534, 65534],
      ['svc', 998, 997],
    ],
  );
  assert.deepEqual(parseGroup(GROUP), [
    { name: 'root', gid: 0, members: [] },
    { name: 'nogroup', gid: 65534, members: [] },
    { name: 'svc', gid: 997, members: ['svc', 'other'] },
  ]);
});

test('resolveScriptUser: a named user with its own group, or the group given', async () => {
  await withUserFiles(PASSWD, async (db) => {
    assert.deepEqual(await resolveScriptUser('svc', undefined, db), { user: 'svc', uid: 998, gid: 997 });
    assert.deepEqual(await resolveScriptUser('svc', 'nogroup', db), { user: 'svc', uid: 998, gid: 65534 });
    await assert.rejects(resolveScriptUser('ghost', undefined, db), (err: unknown) => err instanceof ConfigError && /Script user "ghost" does not exist/.test(err.message));
    await assert.rejects(resolveScriptUser('svc', 'nogrp', db), (err: unknown) => err instanceof ConfigError && /Script group "nogrp" does not exist/.test(err.message));
  });
});

test('resolveScriptUser: default is keepalived_script when it exists, else the daemon user', async () => {
  await withUserFiles(`${PASSWD}\nkeepalived_script:x:996:995::/nonexistent:/usr/sbin/nologin\n`, async (db) => {
    assert.deepEqual(await resolveScriptUser(undefined, undefined, db), { user: 'keepalived_script', uid: 996, gid: 995 });
  });
  await withUserFiles(PASSWD, async (db) => {
    assert.deepEqual(await resolveScriptUser(undefined, undefined, { ...db, self: { uid: 0, gid: 0 } }), { user: 'root', uid: 0, gid: 0 });
    assert.deepEqual(await resolveScriptUser(undefined, undefined, { ...db, self: { uid: 4242, gid: 4243 } }), { user: '4242', uid: 4242, gid: 4243 });
  });
});
