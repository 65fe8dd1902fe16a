/**
 * The daemon's ChildPriority reaches every place that starts a process, through the dependency
 * objects the composition root fills (src/util/child-priority.ts): a recording ChildPriority is
 * handed in at each level and must be asked for the command that runs. child-priority.test.ts
 * shows that the spawn sites then run their program at the priority it returns.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createProbe } from '../../src/check/check-set.js';
import type { CheckConfig } from '../../src/config/check-model.js';
import { processRunner } from '../../src/resources/kinds/command.js';
import { execKind } from '../../src/resources/kinds/exec.js';
import { pgPrograms } from '../../src/resources/postgresql/commands.js';
import type { ResourceHost } from '../../src/resources/resource.js';
import type { ChildPriority } from '../../src/util/child-priority.js';
import { probeTime, realTime } from '../check/helpers.js';
import { harness } from '../notify/support.js';

/** Records each command it is asked for and leaves it unchanged. */
function recording(): ChildPriority & { seen: string[][] } {
  const seen: string[][] = [];
  return {
    seen,
    command(command, target) {
      seen.push(target === undefined ? [...command] : [...command, `(target ${target})`]);
      return [...command];
    },
  };
}

const self = { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
const quiet = { log: () => {}, child: () => quiet };

test('createProbe(): an exec check asks the ChildPriority of its deps', async () => {
  const children = recording();
  const config = { kind: 'exec', name: 'c', command: ['/bin/true', 'x'], timeoutMs: 10_000, intervalMs: 1000, weight: 0, rise: 1, fall: 1, initFail: false, source: { file: 't', line: 1 } } as CheckConfig;
  const probe = createProbe(config, { ...probeTime, users: { resolve: async () => self }, childPriority: children });
  const result = await probe.run(new AbortController().signal);
  assert.equal(result.ok, true, result.detail);
  assert.deepEqual(children.seen, [['/bin/true', 'x']]);
});

test('NotifyDispatcher: a notify script asks the ChildPriority of its deps', async () => {
  const children = recording();
  const { dispatcher } = harness({ childPriority: children });
  dispatcher.instanceChanged({ name: 'VI_1', notify: { master: '/bin/true' } }, 'MASTER', 100);
  await dispatcher.idle();
  await dispatcher.close();
  assert.equal(children.seen.length, 1);
  assert.equal(children.seen[0]?.[0], '/bin/true');
});

test('processRunner() and a resource kind: commands ask the host\'s ChildPriority', async () => {
  const children = recording();
  const run = processRunner(realTime, {}, children);
  assert.equal((await run(['/bin/true', 'fence'], { signal: new AbortController().signal })).exitCode, 0);
  assert.deepEqual(children.seen, [['/bin/true', 'fence']]);

  const host: ResourceHost = {
    name: 'app',
    follows: { instance: 'VI_1' },
    vips: () => [],
    peers: () => [],
    masterAddress: () => undefined,
    stateDir: '/nonexistent',
    enforceScriptSecurity: false,
    clock: realTime,
    timers: realTime,
    log: quiet,
    childPriority: children,
  };
  const driver = execKind.create({ commands: { promote: ['/bin/true', 'promote'] } }, host);
  await driver.promote({ signal: new AbortController().signal, log: quiet });
  assert.deepEqual(children.seen[1], ['/bin/true', 'promote']);
});

test('pgPrograms(): PostgreSQL programs ask the ChildPriority they were built with', async () => {
  const children = recording();
  await pgPrograms('/bin', self, {}, children).run('true', ['-D', 'x'], new AbortController().signal);
  assert.deepEqual(children.seen, [['/bin/true', '-D', 'x']]);
});
