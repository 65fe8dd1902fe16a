import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmod, mkdtemp, open, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileProbe, parseTrackedNumber } from '../../src/check/file-probe.js';
import { probeTime } from './helpers.js';

async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hs-file-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const read = (path: string, timeoutMs = 1000) => createFileProbe({ path, timeoutMs }, probeTime).run(new AbortController().signal);

test('file: the number in the file is the value', async (t) => {
  const dir = await tempDir(t);
  const path = join(dir, 'weight');
  const cases: Array<[string, number]> = [['5\n', 5], ['  -3  \n', -3], ['+7', 7], ['0\n', 0], ['42\nrest is ignored\n', 42], ['', 0]];
  for (const [text, value] of cases) {
    await writeFile(path, text);
    const result = await read(path);
    assert.equal(result.value, value, JSON.stringify(text));
    assert.equal(result.ok, true);
    assert.equal(result.detail, `${path} holds ${value}`);
  }
});

test('file: missing, unreadable or not a number counts as 0 and says why', async (t) => {
  const dir = await tempDir(t);
  const missing = await read(join(dir, 'nope'));
  assert.deepEqual([missing.ok, missing.value, missing.detail], [false, 0, `${join(dir, 'nope')}: missing; counts as 0`]);
  const garbage = join(dir, 'garbage');
  await writeFile(garbage, 'twelve\n');
  const notNumber = await read(garbage);
  assert.deepEqual([notNumber.ok, notNumber.value, notNumber.detail], [false, 0, `${garbage}: not a number: 'twelve'; counts as 0`]);
  const directory = await read(dir);
  assert.equal(directory.value, 0);
  assert.match(directory.detail, /EISDIR; counts as 0$/);
  if (process.getuid?.() !== 0) {
    const locked = join(dir, 'locked');
    await writeFile(locked, '3');
    await chmod(locked, 0);
    assert.match((await read(locked)).detail, /EACCES; counts as 0$/);
  }
});

test('file: number parsing', () => {
  assert.equal(parseTrackedNumber('12'), 12);
  assert.equal(parseTrackedNumber('-0'), 0);
  assert.equal(Object.is(parseTrackedNumber('-0'), -0), false);
  assert.equal(parseTrackedNumber('1.5'), "not a number: '1.5'");
  assert.equal(parseTrackedNumber('12abc'), "not a number: '12abc'");
  assert.equal(parseTrackedNumber('99999999999999999999'), "number out of range: '99999999999999999999'");
  assert.equal(parseTrackedNumber('\u0000\u0001'), "not a number: '\\x00\\x01'");
});

test('file: a read that never completes times out (a FIFO with no writer)', async (t) => {
  const dir = await tempDir(t);
  const fifo = join(dir, 'fifo');
  try {
    execFileSync('mkfifo', [fifo]);
  } catch {
    t.skip('mkfifo is not available');
    return;
  }
  const result = await read(fifo, 150);
  assert.deepEqual([result.ok, result.value], [false, 0]);
  assert.equal(result.detail, `timed out after 150 ms reading ${fifo}; counts as 0`);
  // Release the thread-pool thread still blocked in open().
  const writer = await open(fifo, 'w');
  await writer.close();
});
