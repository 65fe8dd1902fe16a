/** `hotstandby demo` where it cannot run: it says what it needs and exits 77 (without root). */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

function run(command: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: repoRoot, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

test('without root the demo names what it needs and exits 77, creating nothing', async () => {
  // As root, the same check is made by dropping to the nobody user.
  const asRoot = process.getuid?.() === 0;
  const result = asRoot
    ? await run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, 'bin/hotstandby', 'demo'])
    : await run(process.execPath, ['bin/hotstandby', 'demo']);
  assert.equal(result.code, 77, result.stderr);
  assert.match(result.stderr, /needs root/);
  assert.match(result.stderr, /keepalived is not needed/);
  assert.equal(result.stdout, '');
});

test('demo --help lists --keep and --quiet; an unknown option is a usage error', async () => {
  const help = await run(process.execPath, ['bin/hotstandby', 'demo', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--keep/);
  assert.match(help.stdout, /--quiet/);
  const bad = await run(process.execPath, ['bin/hotstandby', 'demo', '--fast']);
  assert.equal(bad.code, 64);
  assert.match(bad.stderr, /--fast/);
});
