/**
 * The writer process's last lines survive its exit when the reader lags (the final check read,
 * hundreds of KB, was once cut short by process.exit with the line still queued for the pipe),
 * and a cut op line is recognised as one instead of silently vanishing from the history.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { looksLikeOpLine, parseOpLine } from '../../src/lab/jepsen/history.js';

const MODULE = new URL('../../src/lab/jepsen/flushed-exit.js', import.meta.url).href;

/** A child that writes a ~500 KB line and one more, then exits; the parent reads slowly. */
async function bytesReceived(): Promise<{ received: number; expected: number }> {
  const line = JSON.stringify({ kind: 'check', label: 'final', ids: Array.from({ length: 40_000 }, (_, i) => `r1w1-${i}`) });
  const last = '{"stopped":true}';
  // The line is built in the child (one argv string may not exceed 128 KiB). With a bare
  // process.exit(0) instead, 219 of 509 KB arrived in a trial.
  const script = `const m = await import(${JSON.stringify(MODULE)});
    process.stdout.write(JSON.stringify({ kind: 'check', label: 'final', ids: Array.from({ length: 40000 }, (_, i) => 'r1w1-' + i) }) + '\\n');
    await m.exitAfterLastLine(${JSON.stringify(last)});`;
  const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let received = 0;
  child.stdout.on('data', (chunk: Buffer) => {
    received += chunk.length;
    child.stdout.pause();
    setTimeout(() => child.stdout.resume(), 20);
  });
  await new Promise((resolve) => child.on('close', resolve));
  return { received, expected: Buffer.byteLength(`${line}\n${last}\n`) };
}

test('exitAfterLastLine() exits only once everything written reached a slow reader', async () => {
  const { received, expected } = await bytesReceived();
  assert.equal(received, expected);
});

test('a cut op line is recognised as an op line that does not parse', () => {
  const cut = JSON.stringify({ kind: 'check', writer: 'checker', label: 'final', ids: ['a-1', 'a-2'] }).slice(0, 40);
  assert.equal(parseOpLine(cut), undefined);
  assert.equal(looksLikeOpLine(cut), true);
  assert.equal(looksLikeOpLine('{"ready":true}'), false);
});
