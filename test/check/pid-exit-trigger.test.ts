import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { triggerOnPidExit } from '../../src/check/pid-exit-trigger.js';
import type { ProcessProbe } from '../../src/check/process-probe.js';
import { silentLogger } from '../../src/daemon/logger.js';
import { loadNative } from '../../src/net/native.js';

test('triggerOnPidExit re-runs the check the moment a counted process exits (pidfd)', async () => {
  const native = loadNative();
  const child = spawn('sleep', ['30']);
  const pid = child.pid as number;
  const scopes: string[] = [];
  const probe = { matched: new Set([pid]), requestScope: (scope: string) => scopes.push(scope) } as unknown as ProcessProbe;
  let resultListener: () => void = () => {};
  let reran: () => void = () => {};
  const ran = new Promise<void>((resolve) => (reran = resolve));
  const runner = {
    runNow: () => reran(),
    onResult(listener: () => void) {
      resultListener = listener;
      return () => {};
    },
  };
  const stop = triggerOnPidExit(probe, runner, (p, onExit) => new native.PidWatch(p, onExit), silentLogger);
  resultListener(); // a probe counted the child: it is now watched
  child.kill('SIGKILL');
  await ran;
  assert.deepEqual(scopes, ['known'], 're-checks the counted processes');
  stop();
});

test('triggerOnPidExit: a pid already gone when watched also re-runs the check', () => {
  const native = loadNative();
  let reruns = 0;
  const probe = { matched: new Set([2 ** 22 + 12345]), requestScope: () => {} } as unknown as ProcessProbe;
  let resultListener: () => void = () => {};
  const stop = triggerOnPidExit(
    probe,
    {
      runNow: () => reruns++,
      onResult(listener: () => void) {
        resultListener = listener;
        return () => {};
      },
    },
    (p, onExit) => new native.PidWatch(p, onExit),
    silentLogger,
  );
  resultListener();
  assert.equal(reruns, 1);
  stop();
});
