/**
 * Every configuration under examples/ loads with the project's loader without errors or
 * warnings; each node's keepalived.conf describes the same election as its YAML; every script a
 * configuration names ships with the example and is valid shell.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { accessSync, constants, readdirSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { splitCommandLine } from '../../src/config/command-line.js';
import { loadConfigFile } from '../../src/config/load.js';
import type { HotstandbyConfig, InstanceConfig } from '../../src/config/model.js';

const examplesDir = fileURLToPath(new URL('../../../examples/', import.meta.url));
const exampleDirs = readdirSync(examplesDir).filter((name) => statSync(join(examplesDir, name)).isDirectory());

function configFiles(dir: string): string[] {
  return readdirSync(join(examplesDir, dir))
    .filter((name) => ['.yaml', '.conf'].includes(extname(name)))
    .sort();
}

async function load(dir: string, file: string): Promise<HotstandbyConfig> {
  const { config, warnings } = await loadConfigFile(join(examplesDir, dir, file), extname(file) === '.yaml' ? 'yaml' : 'keepalived');
  assert.deepEqual(
    warnings.map((w) => `${w.source.line}: ${w.message}`),
    [],
    `${dir}/${file} has warnings`,
  );
  return config;
}

/** What decides the election and what runs on a change; the check kinds may differ (no HTTP check in keepalived). */
function electionOf(instance: InstanceConfig): unknown {
  return {
    name: instance.name,
    interface: instance.interface,
    vrid: instance.vrid,
    version: instance.version,
    priority: instance.priority,
    advertIntervalMs: instance.advertIntervalMs,
    preempt: instance.preempt,
    vips: instance.vips.map((v) => `${v.address}/${v.prefixLength}`),
    tracked: instance.trackChecks.map((t) => t.name).sort(),
    notify: instance.notify,
  };
}

function checksOf(config: HotstandbyConfig): unknown {
  return config.checks
    .map((c) => ({ name: c.name, weight: c.weight, rise: c.rise, fall: c.fall }))
    .sort((x, y) => x.name.localeCompare(y.name));
}

test('there are examples: tomcat-pair, nginx-pair, postgresql-standby', () => {
  for (const name of ['tomcat-pair', 'nginx-pair', 'postgresql-standby']) assert.ok(exampleDirs.includes(name), name);
});

for (const dir of exampleDirs) {
  test(`examples/${dir}: every configuration loads without errors or warnings`, async () => {
    const files = configFiles(dir);
    assert.ok(files.includes('node-a.yaml') && files.includes('node-b.yaml'), `${dir} has node-a.yaml and node-b.yaml`);
    for (const file of files) await load(dir, file);
  });

  test(`examples/${dir}: each node's keepalived.conf holds the same election as its YAML`, async (t) => {
    for (const node of ['a', 'b']) {
      const conf = `keepalived-${node}.conf`;
      if (!configFiles(dir).includes(conf)) {
        t.diagnostic(`${dir} has no ${conf}`);
        continue;
      }
      const yaml = await load(dir, `node-${node}.yaml`);
      const keepalived = await load(dir, conf);
      assert.deepEqual(keepalived.instances.map(electionOf), yaml.instances.map(electionOf), `${dir} node ${node}`);
      assert.deepEqual(checksOf(keepalived), checksOf(yaml), `${dir} node ${node} checks`);
      assert.equal(keepalived.global.scriptUser, yaml.global.scriptUser);
      assert.equal(keepalived.global.enableScriptSecurity, yaml.global.enableScriptSecurity);
    }
  });

  test(`examples/${dir}: the nodes differ only where a pair must (router id, priorities, peers)`, async () => {
    const a = await load(dir, 'node-a.yaml');
    const b = await load(dir, 'node-b.yaml');
    assert.notEqual(a.global.routerId, b.global.routerId);
    assert.deepEqual(
      b.instances.map((i) => [i.name, i.vrid, i.vips.map((v) => v.address)]),
      a.instances.map((i) => [i.name, i.vrid, i.vips.map((v) => v.address)]),
    );
    // In every instance one node is preferred: equal priorities would leave the choice to the addresses.
    for (const instance of a.instances) {
      const peer = b.instances.find((i) => i.name === instance.name);
      assert.ok(peer && peer.priority !== instance.priority, `${dir}: ${instance.name} has the same priority on both nodes`);
    }
  });

  test(`examples/${dir}: the scripts the configurations name ship with the example, executable and valid sh`, async () => {
    const programs = new Set<string>();
    for (const file of configFiles(dir)) {
      const config = await load(dir, file);
      const commands = [
        ...config.instances.flatMap((i) => Object.values(i.notify)),
        ...config.checks.flatMap((c) => (c.kind === 'exec' ? [c.command.join(' ')] : [])),
      ];
      for (const command of commands) {
        const program = splitCommandLine(command)[0] as string;
        if (program.startsWith('/etc/hotstandby/')) programs.add(basename(program));
      }
    }
    for (const name of programs) {
      const path = join(examplesDir, dir, name);
      accessSync(path, constants.X_OK);
      execFileSync('sh', ['-n', path]);
    }
  });
}
