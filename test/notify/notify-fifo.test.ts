import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createReadStream } from 'node:fs';
import { lstat, writeFile } from 'node:fs/promises';
import { NotifyFifo } from '../../src/notify/notify-fifo.js';
import { harness, recordingLogger, ScriptDir, type LogLine } from './support.js';

/** Reads `fifo` until `count` lines have arrived. */
function readLines(fifo: string, count: number): { lines: Promise<string[]>; stop: () => void } {
  const stream = createReadStream(fifo, { encoding: 'utf8' });
  let text = '';
  const lines = new Promise<string[]>((resolve, reject) => {
    stream.on('data', (chunk) => {
      text += chunk;
      const got = text.split('\n');
      if (got.length > count) {
        stream.destroy();
        resolve(got.slice(0, count));
      }
    });
    stream.on('error', reject);
  });
  return { lines, stop: () => stream.destroy() };
}

test('Notify FIFO: the dispatcher writes keepalived lines in order to a reader', async () => {
  const dir = await ScriptDir.create();
  const fifoPath = dir.path('notify.fifo');
  execFileSync('mkfifo', [fifoPath]);
  const reader = readLines(fifoPath, 4);
  const fifo = await NotifyFifo.open(fifoPath, recordingLogger([]));
  try {
    const { dispatcher } = harness({ fifo });
    dispatcher.instanceChanged({ name: 'VI_1', notify: {} }, 'BACKUP', 100);
    dispatcher.instanceChanged({ name: 'VI_1', notify: {} }, 'MASTER', 150);
    dispatcher.groupChanged({ name: 'G1', notify: {} }, 'MASTER');
    dispatcher.instanceChanged({ name: 'VI_1', notify: {} }, 'STOP', 150);
    assert.deepEqual(await reader.lines, ['INSTANCE "VI_1" BACKUP 100', 'INSTANCE "VI_1" MASTER 150', 'GROUP "G1" MASTER 0', 'INSTANCE "VI_1" STOP 150']);
  } finally {
    reader.stop();
    await fifo.close();
    await dir.remove();
  }
});

test('Notify FIFO: no reader never blocks; lines wait in the pipe and a full pipe drops lines', async () => {
  const dir = await ScriptDir.create();
  const fifoPath = dir.path('notify.fifo');
  execFileSync('mkfifo', [fifoPath]);
  const logs: LogLine[] = [];
  const fifo = await NotifyFifo.open(fifoPath, recordingLogger(logs));
  try {
    // Far more than a pipe holds (64 KiB by default); each write must fail fast, not wait.
    const started = performance.now();
    for (let i = 0; i < 20_000; i++) fifo.write(`INSTANCE "VI_${i}" MASTER 100\n`);
    assert.ok(performance.now() - started < 5_000);
    assert.ok(fifo.dropped > 0, 'lines beyond the pipe size were dropped');
    assert.equal(logs.filter((l) => l.level === 'warn').length, 1, 'one warning per run of drops, not one per line');

    // A reader that comes later still gets the oldest lines, in order.
    const reader = readLines(fifoPath, 2);
    assert.deepEqual(await reader.lines, ['INSTANCE "VI_0" MASTER 100', 'INSTANCE "VI_1" MASTER 100']);
  } finally {
    await fifo.close();
    await dir.remove();
  }
});

test('Notify FIFO: created when missing and removed on close; a regular file is refused', async () => {
  const dir = await ScriptDir.create();
  try {
    const fifoPath = dir.path('made.fifo');
    const fifo = await NotifyFifo.open(fifoPath, recordingLogger([]));
    const stat = await lstat(fifoPath);
    assert.ok(stat.isFIFO());
    assert.equal(stat.mode & 0o777, 0o600);
    await fifo.close();
    await assert.rejects(lstat(fifoPath), { code: 'ENOENT' });

    const plain = dir.path('plain');
    await writeFile(plain, '');
    await assert.rejects(NotifyFifo.open(plain, recordingLogger([])), (err: unknown) => err instanceof TypeError && /"[^"]*plain" exists and is not a FIFO/.test(err.message));
  } finally {
    await dir.remove();
  }
});

test('Notify FIFO: an existing FIFO is left in place on close', async () => {
  const dir = await ScriptDir.create();
  try {
    const fifoPath = dir.path('kept.fifo');
    execFileSync('mkfifo', [fifoPath]);
    const fifo = await NotifyFifo.open(fifoPath, recordingLogger([]));
    await fifo.close();
    assert.ok((await lstat(fifoPath)).isFIFO());
    fifo.write('after close is ignored\n');
  } finally {
    await dir.remove();
  }
});
