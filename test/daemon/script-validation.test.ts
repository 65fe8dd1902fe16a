import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/config/config-error.js';
import type { HotstandbyConfig } from '../../src/config/model.js';
import { validateScripts } from '../../src/daemon/script-validation.js';
import { instanceConfig } from '../support/instance-config.js';

const source = { file: '/etc/keepalived/keepalived.conf', line: 12 };

function config(scriptPath: string, enableScriptSecurity: boolean): HotstandbyConfig {
  return {
    global: {
      multicastGroup4: '224.0.0.18',
      multicastGroup6: 'ff02::12',
      enableScriptSecurity,
      startupDelayMs: 0, processPriority: -10,
      garp: { masterDelayMs: 0, masterRepeat: 1, masterRefreshMs: 0, masterRefreshRepeat: 1, intervalMs: 0 },
    },
    instances: [instanceConfig({ notify: { master: `${scriptPath} master` } })],
    checks: [
      { kind: 'exec', name: 'chk', command: [scriptPath], intervalMs: 1000, timeoutMs: 1000, weight: 0, rise: 1, fall: 1, initFail: false, source },
    ],
    syncGroups: [],
  };
}

test('validateScripts refuses a missing script, naming file, line and the check', async () => {
  await assert.rejects(validateScripts(config('/nonexistent/check.sh', false)), (err: unknown) => {
    assert.ok(err instanceof ConfigError);
    assert.match(err.message, /keepalived\.conf:12: check chk: /);
    return true;
  });
});

test('validateScripts with script security refuses a world-writable script (root only)', { skip: process.getuid?.() === 0 ? undefined : 'needs root: scripts run as root are the ones checked' }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hs-scripts-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  chmodSync(dir, 0o755);
  const script = join(dir, 'check.sh');
  writeFileSync(script, '#!/bin/sh\nexit 0\n');
  chmodSync(script, 0o757);
  await assert.rejects(validateScripts(config(script, true)), /writable/);
  await validateScripts(config(script, false)); // without enable_script_security it runs
  chmodSync(script, 0o755);
  await validateScripts(config(script, true));
});
