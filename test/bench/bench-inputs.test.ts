/**
 * What the benchmark feeds the daemons must be what it claims: the service-death row's configs
 * load in hotstandby with the checks it names, and its kills land at the phase it aims for.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfigFile } from '../../src/config/load.js';
import { nextPhaseAt, phaseOf } from '../../bench/lib/phase.js';
import { webPairKeepalivedConf, webPairYaml, type WebCheck, type WebPairSpec } from '../../bench/lib/web-check-conf.js';
import type { WebServer } from '../../bench/lib/web-server.js';
import { restoreCold, setsToRun } from '../../bench/rows/backup.js';

const server = { host: 'a', pidFile: '/run/nginx-a.pid', commandLine: '/usr/sbin/nginx -c /tmp/nginx-a.conf' } as WebServer;

function spec(check: WebCheck): WebPairSpec {
  return { priority: 150, vip: '10.99.0.100/24', vrid: 60, advertIntS: 0.1, check, server };
}

async function load(text: string, kind: 'yaml' | 'keepalived') {
  const dir = mkdtempSync(join(tmpdir(), 'bench-conf-'));
  try {
    const file = join(dir, kind === 'yaml' ? 'hs.yaml' : 'keepalived.conf');
    writeFileSync(file, text);
    return await loadConfigFile(file, kind);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('row 3 configs load with the check they name, at weight 0 (a failure is FAULT), v3 at 0.1 s', async () => {
  const cases: Array<{ check: WebCheck; kind: 'yaml' | 'keepalived'; checkKind: string }> = [
    { check: { kind: 'track-process' }, kind: 'keepalived', checkKind: 'process' },
    { check: { kind: 'curl-script', intervalS: 1, fall: 2, rise: 2 }, kind: 'keepalived', checkKind: 'exec' },
    { check: { kind: 'yaml-process' }, kind: 'yaml', checkKind: 'process' },
    { check: { kind: 'yaml-http', intervalMs: 200, timeoutMs: 150, fall: 2, rise: 2 }, kind: 'yaml', checkKind: 'http' },
  ];
  for (const { check, kind, checkKind } of cases) {
    const text = kind === 'yaml' ? webPairYaml(spec(check)) : webPairKeepalivedConf(spec(check));
    const { config } = await load(text, kind);
    const [instance] = config.instances;
    assert.ok(instance, check.kind);
    assert.equal(instance.version, 3, check.kind);
    assert.equal(instance.advertIntervalMs, 100, check.kind);
    assert.deepEqual(instance.vips.map((v) => v.address), ['10.99.0.100'], check.kind);
    assert.deepEqual(config.checks.map((c) => c.kind), [checkKind], check.kind);
    // The instance's weight overrides the check's own (src/config/check-model.ts).
    assert.deepEqual(
      instance.trackChecks.map((t) => t.weight ?? config.checks.find((c) => c.name === t.name)?.weight),
      [0],
      check.kind,
    );
  }
});

test('a kill aimed at a phase of a cycle lands there, at least the margin ahead', () => {
  const last = 1_000_000;
  for (const [now, phase] of [
    [last + 10, 0.5],
    [last + 990, 0.01],
    [last + 5_000, 0.99],
  ] as const) {
    const at = nextPhaseAt(last, now, 1000, phase, 30);
    assert.ok(at >= now + 30, `${at} is not 30 ms after ${now}`);
    assert.ok(at - now < 1030, 'and within one cycle of that');
    assert.ok(Math.abs((phaseOf(at, last, 1000) % 1) - phase) < 1e-9);
  }
});

test('the backup row runs both sets unless BENCH_BACKUP_SETS names some; an unknown set is refused by name', () => {
  assert.deepEqual(setsToRun(undefined), ['mixed', 'small']);
  assert.deepEqual(setsToRun('small'), ['small']);
  assert.deepEqual(setsToRun(' mixed , small '), ['mixed', 'small']);
  assert.throws(() => setsToRun('mixed,big'), (e: Error) => e instanceof RangeError && /unknown set 'big'/.test(e.message));
});

test('the backup row restores from a dropped page cache as root unless BENCH_RESTORE_CACHE=kept; a bad value is refused', () => {
  assert.equal(restoreCold({}, true), true);
  assert.equal(restoreCold({ BENCH_RESTORE_CACHE: 'kept' }, true), false);
  assert.equal(restoreCold({}, false), false, 'not root: the cache cannot be dropped');
  assert.throws(() => restoreCold({ BENCH_RESTORE_CACHE: 'dropped' }, false), (e: Error) => e instanceof RangeError && /needs root/.test(e.message));
  assert.throws(() => restoreCold({ BENCH_RESTORE_CACHE: 'cold' }, true), (e: Error) => e instanceof RangeError && /unknown value 'cold'/.test(e.message));
});
